/**
 * Surveys by area (docs/demand.md, "Batch feasibility: how it works"): many points, each with its own radius, grouped
 * into areas so that one OZmap search per area serves every point in it; then each point evaluated against its area's
 * answer, giving exactly what surveyBoxes gives for that point alone (survey.ts is a one-point area).
 *
 * An area's answer is complete or not used: when OZmap holds more boxes in it than MAX_AREA_BOXES, the area is split
 * in four and each quarter searched again; a list is never silently cut short.
 */
import type { Candidate, UnavailableBox } from '../contract/schemas.ts';
import { dropRoutes, poleSearchRadiusMeters, type DropAnswer } from './drop-route.ts';
import { distanceMeters, shownDistanceMeters } from './geo.ts';
import type { OzmapClient } from './ozmap/client.ts';
import type { OzBox, OzPole, OzSplitter } from './ozmap/schemas.ts';
import { freePorts } from './ports.ts';

/** A point to survey, with its own radius; pole mode as survey.ts's BoxSearch says. */
export interface SurveyPoint {
  lat: number;
  lng: number;
  radiusMeters: number;
}

export interface PoleMode {
  /** The longest drop for a project that sets none (docs/poles.md). */
  fallbackMaxDropMeters: number;
}

export interface BoxSurvey {
  candidates: Candidate[];
  unavailable: UnavailableBox[];
}

export type AreaOzmap = Pick<
  OzmapClient,
  'findBoxesInArea' | 'findDropSplittersOfMany' | 'findPolesNear' | 'poleTypeViability' | 'dropLimitOf'
>;

/** The circle searched: every member's own circle lies inside it. */
export interface Area {
  lat: number;
  lng: number;
  /** The farthest member from the centre, in metres. */
  spreadMeters: number;
  /** Boxes are searched within this: the spread plus the largest member radius. */
  radiusMeters: number;
}

/** An area as OZmap answered for it: what evaluatePoint needs, and nothing it must ask again. */
export interface FetchedArea {
  area: Area;
  /** Every box in the area's circle, "Em projeto" ones too. */
  boxes: OzBox[];
  /** The drop splitters of the area's in-service boxes, in OZmap's order. */
  splitters: OzSplitter[];
  /** Pole mode only. */
  poles?: {
    fallbackMaxDropMeters: number;
    list: OzPole[];
    /** Each project's maximum drop (undefined: it sets none). */
    limits: Map<string, number | undefined>;
    /** Pole types' viability, read only when a pole does not carry its own. */
    typed?: Map<string, boolean>;
  };
}

/** The most boxes of each kind kept in a survey: enough for a salesperson to choose, small enough for history. */
const MAX_CANDIDATES = 25;
/** The longest drop looked for, whatever a project says: poles are read within this distance of the customer. */
export const MAX_DROP_REACH_METERS = 2000;
/**
 * The most boxes one area's search may bring: one page of the client's area lists. More, and the area is split;
 * evaluating a point against it stays cheap (a distance per box).
 */
export const MAX_AREA_BOXES = 1000;
/**
 * The side of the grid's cells areas start from: a town's core in one search where OZmap holds few boxes; where it
 * holds more than MAX_AREA_BOXES, areas split until they fit.
 */
export const DEFAULT_AREA_CELL_METERS = 5000;

/** More boxes within a single point's radius than one answer may bring: that point cannot be surveyed whole. */
export class AreaTooDenseError extends Error {
  constructor(readonly point: SurveyPoint) {
    super(
      `OZmap holds more than ${MAX_AREA_BOXES} boxes within ${point.radiusMeters} m of ` +
        `(${point.lat}, ${point.lng}): narrow the radius`,
    );
    this.name = 'AreaTooDenseError';
  }
}

const METRES_PER_DEGREE = (Math.PI * 6_371_008.8) / 180;

/** The smallest circle around the members' bounding box's centre that holds every member's own circle. */
export function areaOf(points: readonly SurveyPoint[]): Area {
  if (points.length === 0) throw new Error('an area needs at least one point');
  let [south, north, west, east] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const p of points) {
    south = Math.min(south, p.lat);
    north = Math.max(north, p.lat);
    west = Math.min(west, p.lng);
    east = Math.max(east, p.lng);
  }
  const centre = { lat: (south + north) / 2, lng: (west + east) / 2 };
  // A single point is its own centre, exactly: the one-point area is surveyBoxes' own search.
  const single = south === north && west === east;
  const at = single ? { lat: points[0]!.lat, lng: points[0]!.lng } : centre;
  let spread = 0;
  let radius = 0;
  for (const p of points) {
    // Metres to a tenth more, so that a server measuring with its own formula still reaches every member's circle.
    const d = single ? 0 : distanceMeters(at, p) + 0.1;
    spread = Math.max(spread, d);
    radius = Math.max(radius, d + p.radiusMeters);
  }
  return { ...at, spreadMeters: spread, radiusMeters: radius };
}

/**
 * Points grouped by the cell of a grid (`cellMeters` a side) they fall in, each group with its area. Groups keep the
 * points' order; the grid starts at the points' south-west corner, so a town smaller than a cell is one area.
 */
export function groupIntoAreas<T extends SurveyPoint>(
  points: readonly T[],
  cellMeters: number = DEFAULT_AREA_CELL_METERS,
): Array<{ area: Area; members: T[] }> {
  if (points.length === 0) return [];
  const south = Math.min(...points.map((p) => p.lat));
  const west = Math.min(...points.map((p) => p.lng));
  // Columns are as wide in metres as rows are tall at the corner's latitude (near enough over a town).
  const cosLat = Math.max(0.01, Math.cos((south * Math.PI) / 180));
  const cells = new Map<string, T[]>();
  for (const p of points) {
    const row = Math.floor(((p.lat - south) * METRES_PER_DEGREE) / cellMeters);
    const col = Math.floor(((p.lng - west) * METRES_PER_DEGREE * cosLat) / cellMeters);
    const key = `${row}:${col}`;
    const cell = cells.get(key);
    if (cell) cell.push(p);
    else cells.set(key, [p]);
  }
  return [...cells.values()].map((members) => ({ area: areaOf(members), members }));
}

/** The four quarters of a group, split at its centre: a group of one place cannot split (undefined). */
function quarters<T extends SurveyPoint>(members: readonly T[], area: Area): T[][] | undefined {
  const parts: T[][] = [[], [], [], []];
  for (const p of members) parts[(p.lat < area.lat ? 0 : 2) + (p.lng < area.lng ? 0 : 1)]!.push(p);
  const used = parts.filter((part) => part.length > 0);
  return used.length > 1 ? used : undefined;
}

/**
 * Fetches one area: its boxes (drafts too), then the drop splitters of the in-service ones; in pole mode the poles
 * within a drop's reach of any member, and the projects' limits. Undefined when the area holds more than
 * MAX_AREA_BOXES boxes (split it).
 */
export async function fetchArea(ozmap: AreaOzmap, area: Area, poles?: PoleMode): Promise<FetchedArea | undefined> {
  const boxes = await ozmap.findBoxesInArea(area, area.radiusMeters, { includeDrafts: true, maxRows: MAX_AREA_BOXES });
  if (!boxes) return undefined;
  const inService = boxes.filter((b) => !b.draft);
  const [splitters, poleData] = await Promise.all([
    ozmap.findDropSplittersOfMany(inService.map((b) => b.id)),
    poles && inService.length > 0 ? fetchPoles(ozmap, area, poles, inService) : undefined,
  ]);
  return { area, boxes, splitters, ...(poleData ? { poles: poleData } : {}) };
}

/**
 * The poles every member's drop may use: a member's poles lie within poleSearchRadiusMeters(its reach) of it, so
 * within the spread plus the longest reach of the area's centre (triangle inequality).
 */
async function fetchPoles(ozmap: AreaOzmap, area: Area, mode: PoleMode, inService: OzBox[]) {
  const projects = [...new Set(inService.map((b) => b.projectId).filter((id) => id !== undefined))];
  const limits = new Map(await Promise.all(projects.map(async (id) => [id, await ozmap.dropLimitOf(id)] as const)));
  const limitOf = limitFor(limits, mode.fallbackMaxDropMeters);
  const reach = Math.min(MAX_DROP_REACH_METERS, Math.max(...inService.map(limitOf)));
  const list = await ozmap.findPolesNear(area, area.spreadMeters + poleSearchRadiusMeters(reach));
  const typed = list.some((p) => p.viabilityAllowed === undefined) ? await ozmap.poleTypeViability() : undefined;
  return { fallbackMaxDropMeters: mode.fallbackMaxDropMeters, list, limits, ...(typed ? { typed } : {}) };
}

const limitFor =
  (limits: Map<string, number | undefined>, fallback: number) =>
  (box: OzBox): number =>
    (box.projectId && limits.get(box.projectId)) || fallback;

/**
 * The areas for `points` with OZmap's answer for each: grouped by the grid, and any area over MAX_AREA_BOXES split
 * into quarters until each fits. Throws AreaTooDenseError when a single place cannot fit.
 */
export async function surveyAreas<T extends SurveyPoint>(
  ozmap: AreaOzmap,
  points: readonly T[],
  options: { poles?: PoleMode; cellMeters?: number; onArea?: () => void } = {},
): Promise<Array<{ fetched: FetchedArea; members: T[] }>> {
  const done: Array<{ fetched: FetchedArea; members: T[] }> = [];
  const todo = groupIntoAreas(points, options.cellMeters);
  for (let group = todo.shift(); group; group = todo.shift()) {
    const fetched = await fetchArea(ozmap, group.area, options.poles);
    options.onArea?.();
    if (fetched) {
      done.push({ fetched, members: group.members });
      continue;
    }
    const parts = quarters(group.members, group.area);
    if (!parts) throw new AreaTooDenseError(group.members[0]!);
    todo.unshift(...parts.map((members) => ({ area: areaOf(members), members })));
  }
  return done;
}

/**
 * One point against a fetched area that holds its circle: the boxes in its radius, not "Em projeto", with a service
 * splitter that has a free port, nearest first; and those in the radius that cannot take the customer now. Pure: the
 * same answer from any area that holds the point's circle (test/unit/area-survey.test.ts checks it).
 */
export function evaluatePoint(fetched: FetchedArea, point: SurveyPoint): BoxSurvey {
  // The server's `near` held the one-point search to the radius; a bigger area's answer is held to it here.
  const inRadius = fetched.boxes
    .map((box) => ({ box, exact: distanceMeters(point, box), distanceMeters: shownDistanceMeters(point, box) }))
    .filter((b) => b.exact <= point.radiusMeters && b.distanceMeters <= point.radiusMeters)
    .sort((a, b) => a.distanceMeters - b.distanceMeters || a.exact - b.exact || compareIds(a.box.id, b.box.id));
  const inService = inRadius.filter(({ box }) => !box.draft).map(({ box }) => box);
  const drops = fetched.poles && inService.length > 0 ? dropsTo(fetched.poles, point, inService) : undefined;
  const candidates: Candidate[] = [];
  const unavailable: UnavailableBox[] = [];
  for (const { box, distanceMeters } of inRadius) {
    const where = { boxId: box.id, boxName: box.name, distanceMeters, coordinates: { lat: box.lat, lng: box.lng } };
    if (box.draft) {
      unavailable.push({ ...where, reason: 'in-design' });
      continue;
    }
    const drop = fetched.splitters.filter((s) => s.boxId === box.id && s.isDrop);
    // A box without service splitters (a splice box) serves no customer: not a candidate, not worth greying.
    if (drop.length === 0) continue;
    const inBox = drop
      .map((s) => ({ splitterId: s.id, splitterName: s.name, freePorts: freePorts(s) }))
      .filter((s) => s.freePorts.length > 0);
    const free = inBox.reduce((n, s) => n + s.freePorts.length, 0);
    if (free === 0) {
      unavailable.push({ ...where, reason: 'no-free-port' });
      continue;
    }
    const route = drops?.get(box.id);
    if (route && !route.ok) {
      unavailable.push({ ...where, reason: route.reason });
      continue;
    }
    candidates.push({
      ...where,
      freePorts: free,
      projectId: box.projectId,
      splitters: inBox,
      ...(route ? { drop: route.drop } : {}),
    });
  }
  // Pole mode: the shortest drop first (the straight line says little about the cable an installer hangs).
  if (drops) candidates.sort((a, b) => a.drop!.lengthMeters - b.drop!.lengthMeters);
  return { candidates: candidates.slice(0, MAX_CANDIDATES), unavailable: unavailable.slice(0, MAX_CANDIDATES) };
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The drop along the poles to each box (docs/poles.md), each held to its own project's maximum, over the poles a
 * one-point search would have read: those within poleSearchRadiusMeters of the longest maximum.
 */
function dropsTo(
  data: NonNullable<FetchedArea['poles']>,
  customer: { lat: number; lng: number },
  boxes: OzBox[],
): Map<string, DropAnswer> {
  const limitOf = limitFor(data.limits, data.fallbackMaxDropMeters);
  const reach = Math.min(MAX_DROP_REACH_METERS, Math.max(...boxes.map(limitOf)));
  const within = poleSearchRadiusMeters(reach);
  const poles = data.list.filter((p) => distanceMeters(customer, p) <= within);
  const routes = dropRoutes(
    customer,
    poles.map((p) => ({
      id: p.id,
      lat: p.lat,
      lng: p.lng,
      adjacents: p.adjacents,
      viabilityAllowed:
        p.usable && (p.viabilityAllowed ?? (p.poleTypeId === undefined || data.typed?.get(p.poleTypeId) !== false)),
    })),
    boxes.map((b) => ({ boxId: b.id, poleId: b.poleId ?? null, lat: b.lat, lng: b.lng })),
    { maxDropMeters: reach },
  );
  // The search held every drop to the longest maximum; each box's own project may allow less.
  for (const box of boxes) {
    const answer = routes.get(box.id);
    if (answer?.ok && answer.drop.lengthMeters > limitOf(box))
      routes.set(box.id, { ok: false, reason: 'drop-too-long', lengthMeters: answer.drop.lengthMeters });
  }
  return routes;
}
