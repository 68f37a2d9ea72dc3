/** The surveyBoxes activity: the boxes around a point that can take the customer, and those that cannot now. */
import type { Candidate, UnavailableBox } from '../contract/schemas.ts';
import { dropRoutes, poleSearchRadiusMeters, type DropAnswer } from './drop-route.ts';
import { classified } from './failures.ts';
import { shownDistanceMeters } from './geo.ts';
import type { OzmapClient } from './ozmap/client.ts';
import type { OzBox } from './ozmap/schemas.ts';
import { freePorts } from './ports.ts';

export interface BoxSearch {
  lat: number;
  lng: number;
  radiusMeters: number;
  /**
   * Pole mode (docs/poles.md): a box counts only if a drop along the poles reaches it, no longer than its project's
   * maximum drop, or `fallbackMaxDropMeters` for a project that sets none. Absent: radius mode.
   */
  poles?: { fallbackMaxDropMeters: number };
}

export interface BoxSurvey {
  candidates: Candidate[];
  unavailable: UnavailableBox[];
}

export type SurveyOzmap = Pick<
  OzmapClient,
  'findBoxesNear' | 'findDropSplitters' | 'findPolesNear' | 'poleTypeViability' | 'dropLimitOf'
>;

/** The most boxes of each kind kept in the state: enough for a salesperson to choose, small enough for history. */
const MAX_CANDIDATES = 25;
/** The longest drop looked for, whatever a project says: poles are read within this distance of the customer. */
export const MAX_DROP_REACH_METERS = 2000;

/**
 * Boxes in the radius, not "Em projeto", with a service splitter that has a free port, nearest first; and the boxes
 * in the radius that cannot take the customer now (greyed on the map). Two OZmap calls: the boxes `near` the point
 * ("Em projeto" ones too, to show them greyed), then the drop splitters of all of them at once. Pole mode adds one:
 * the poles within a drop's reach, read beside the splitters (projects and pole types are cached by the client).
 */
export function surveyBoxes(ozmap: SurveyOzmap, input: BoxSearch): Promise<BoxSurvey> {
  return classified('OZmap', async () => {
    // The server's `near` should already bound this; a server that ignores the radius must not widen it.
    const inRadius = (await ozmap.findBoxesNear(input, input.radiusMeters, { includeDrafts: true }))
      .map((box) => ({ box, distanceMeters: shownDistanceMeters(input, box) }))
      .filter((b) => b.distanceMeters <= input.radiusMeters)
      .sort((a, b) => a.distanceMeters - b.distanceMeters);
    const inService = inRadius.filter(({ box }) => !box.draft);
    const [splitters, drops] = await Promise.all([
      ozmap.findDropSplitters(inService.map(({ box }) => box.id)),
      input.poles && inService.length > 0
        ? dropsTo(
            ozmap,
            input,
            input.poles.fallbackMaxDropMeters,
            inService.map(({ box }) => box),
          )
        : undefined,
    ]);
    const candidates: Candidate[] = [];
    const unavailable: UnavailableBox[] = [];
    for (const { box, distanceMeters } of inRadius) {
      const where = { boxId: box.id, boxName: box.name, distanceMeters, coordinates: { lat: box.lat, lng: box.lng } };
      if (box.draft) {
        unavailable.push({ ...where, reason: 'in-design' });
        continue;
      }
      const drop = splitters.filter((s) => s.boxId === box.id && s.isDrop);
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
  });
}

/**
 * The drop along the poles to each box (docs/poles.md), each held to its own project's maximum. The poles are read
 * once, around the customer within the longest of those maxima (poleSearchRadiusMeters says why that is enough).
 */
async function dropsTo(
  ozmap: SurveyOzmap,
  customer: { lat: number; lng: number },
  fallbackMaxDropMeters: number,
  boxes: OzBox[],
): Promise<Map<string, DropAnswer>> {
  const projects = [...new Set(boxes.map((b) => b.projectId).filter((id) => id !== undefined))];
  const limits = new Map(
    await Promise.all(
      projects.map(async (id) => [id, (await ozmap.dropLimitOf(id)) ?? fallbackMaxDropMeters] as const),
    ),
  );
  const limitOf = (box: OzBox) => (box.projectId && limits.get(box.projectId)) || fallbackMaxDropMeters;
  const reach = Math.min(MAX_DROP_REACH_METERS, Math.max(...boxes.map(limitOf)));
  const poles = await ozmap.findPolesNear(customer, poleSearchRadiusMeters(reach));
  const typed = poles.some((p) => p.viabilityAllowed === undefined) ? await ozmap.poleTypeViability() : undefined;
  const routes = dropRoutes(
    customer,
    poles.map((p) => ({
      id: p.id,
      lat: p.lat,
      lng: p.lng,
      adjacents: p.adjacents,
      viabilityAllowed:
        p.usable && (p.viabilityAllowed ?? (p.poleTypeId === undefined || typed?.get(p.poleTypeId) !== false)),
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
