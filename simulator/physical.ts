/**
 * The seeded town's physical layer (DESIGN §2.5, "Feasibility along the poles"): pole types, pole lines along every
 * street, one pole under every box, the crossings joined, and a river that pole lines may cross at one bridge only.
 *
 * It is drawn from a random generator of its own, after the boxes, so that the boxes, splitters and clients of a
 * seed are exactly what they were before poles existed. Each box's pole keeps the id the box has always had.
 */
import { type Street, CITY, GAZETTEER, streetLengthMeters } from './gazetteer.ts';
import { type LatLng, distanceMeters, offsetMeters, pointAlong, round7 } from './geo.ts';
import type { BaseRecord, BoxRecord, CreatorData, PoleRecord, PoleTypeRecord } from './model.ts';
import { type IdGenerator, type Random, mulberry32, seededObjectIds } from './random.ts';
import type { Store } from './store.ts';

/**
 * The Rio da Bulha, canalised down the middle of Avenida Hercílio Luz (whose two sidewalks carry a pole line each),
 * from south of Rua Visconde de Ouro Preto to the bay beyond Avenida Beira-Mar Norte. Pole lines stop at its banks:
 * the only adjacency across it is on the Avenida Rio Branco bridge.
 */
export const RIVER = {
  name: 'Rio da Bulha',
  /** Its bed, south to north; between the avenue's ends it is the avenue's centre line. */
  path: [
    { lat: -27.6015, lng: -48.5467 },
    { lat: -27.599, lng: -48.547 },
    { lat: -27.5942, lng: -48.5476 },
    { lat: -27.5898, lng: -48.5483 },
    { lat: -27.583, lng: -48.5494 },
  ] as readonly LatLng[],
  /** The avenue along it: a pole line on each bank. */
  avenue: 'Avenida Hercílio Luz',
  /** The one street whose pole line crosses it. */
  bridge: 'Avenida Rio Branco',
} as const;

/**
 * Pole lines space their poles evenly, at most this far apart along the street (metres), give or take 1.5 m; a
 * little more in a straight line where the line crosses to a box on the other sidewalk.
 */
export const MAX_POLE_SPACING = 40;

/** Where a box stands on its street: `along` metres from the street's start, on `side` (as network.ts offsets it). */
export interface BoxPlacement {
  box: BoxRecord;
  street: Street;
  along: number;
  side: 1 | -1;
}

/** Line poles stand this far from the street's centre line (boxes stand 5-9 m from it, on either side). */
const LINE_OFFSET = 7;
/** Street ends reach this much further when looking for crossings (the gazetteer's streets stop short of them). */
const CROSSING_REACH = 50;
/** A crossing joins the two streets' poles nearest to it, each at most this far from it. */
const CROSSING_RADIUS = 45;
/** Its poles are of another company's type, which feasibility does not start from. */
const THIRD_PARTY_STREET = 'Rua Frei Caneca';

const DAY = 86_400_000;

/** Metres east and north of a fixed origin: exact enough for crossing tests within a town. */
interface Flat {
  x: number;
  y: number;
}
const ORIGIN: LatLng = { lat: -27.59, lng: -48.55 };
const flat = (p: LatLng): Flat => {
  const north = distanceMeters(ORIGIN, { lat: p.lat, lng: ORIGIN.lng }) * Math.sign(p.lat - ORIGIN.lat);
  const east = distanceMeters({ lat: p.lat, lng: ORIGIN.lng }, p) * Math.sign(p.lng - ORIGIN.lng);
  return { x: east, y: north };
};

const cross = (o: Flat, a: Flat, b: Flat): number => (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);

/** The point where segments ab and cd cross, if they do (touching ends count). */
function segmentCrossing(a: Flat, b: Flat, c: Flat, d: Flat): Flat | undefined {
  const d1 = cross(c, d, a);
  const d2 = cross(c, d, b);
  const d3 = cross(a, b, c);
  const d4 = cross(a, b, d);
  if (d1 * d2 > 0 || d3 * d4 > 0) return undefined;
  const denominator = d1 - d2;
  if (denominator === 0) return undefined;
  const t = d1 / denominator;
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}

const RIVER_BED = RIVER.path.map(flat);

/** Whether the straight line between two points crosses the river's bed. */
export function crossesRiver(a: LatLng, b: LatLng): boolean {
  const fa = flat(a);
  const fb = flat(b);
  for (let i = 1; i < RIVER_BED.length; i++) {
    if (segmentCrossing(fa, fb, RIVER_BED[i - 1] as Flat, RIVER_BED[i] as Flat)) return true;
  }
  return false;
}

/** A street's polyline in flat metres, its ends stretched by `reach`. */
function reachOf(street: Street, reach: number): Flat[] {
  const points = street.path.map(flat);
  const stretch = (from: Flat, to: Flat): Flat => {
    const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
    return { x: to.x + ((to.x - from.x) / length) * reach, y: to.y + ((to.y - from.y) / length) * reach };
  };
  const last = points.length - 1;
  return points.map((point, i) =>
    i === 0 ? stretch(points[1] as Flat, point) : i === last ? stretch(points[last - 1] as Flat, point) : point,
  );
}

/** Where two streets cross (or would, reaching a little beyond their ends). */
function crossings(a: Street, b: Street): Flat[] {
  const pa = reachOf(a, CROSSING_REACH);
  const pb = reachOf(b, CROSSING_REACH);
  const found: Flat[] = [];
  for (let i = 1; i < pa.length; i++)
    for (let j = 1; j < pb.length; j++) {
      const x = segmentCrossing(pa[i - 1] as Flat, pa[i] as Flat, pb[j - 1] as Flat, pb[j] as Flat);
      if (x) found.push(x);
    }
  return found;
}

export class PoleLayerBuilder {
  private readonly rng: Random;
  private readonly newId: IdGenerator;
  private readonly since: Date;
  private readonly types: { regular: PoleTypeRecord; thirdParty: PoleTypeRecord };
  /** The project's drop cable type (there is no cable-type catalog: only the id is kept). */
  readonly cableTypeId: string;
  private count = 0;

  constructor(
    seed: number,
    baseTime: number,
    private readonly designer: CreatorData,
    private readonly projectId: string,
  ) {
    // A generator of its own: drawing from the boxes' one would change every box after the first pole.
    this.rng = mulberry32((seed ^ 0x5eed_901e) >>> 0);
    this.newId = seededObjectIds(this.rng);
    this.since = new Date(baseTime - 90 * DAY);
    const poleType = (fields: Omit<PoleTypeRecord, keyof BaseRecord>): PoleTypeRecord => {
      const id = this.newId(this.since);
      const stamp = this.since.toISOString();
      return { _id: id, id, ...fields, createdAt: stamp, updatedAt: stamp, creatorData: designer };
    };
    this.types = {
      regular: poleType({
        name: 'Poste de concreto',
        prefix: 'P_',
        viabilityAllowed: true,
        color: '#3388FF',
        description: 'Poste da distribuidora com a rede óptica',
      }),
      thirdParty: poleType({
        name: 'Poste de terceiros',
        prefix: 'PT_',
        viabilityAllowed: false,
        color: '#8A8A8A',
        description: 'Poste de outra operadora: a viabilidade não parte dele',
      }),
    };
    this.cableTypeId = this.newId(this.since);
  }

  /** Adds the pole types, the poles and their adjacencies to the store (the boxes are there already). */
  build(store: Store, placements: readonly BoxPlacement[]): void {
    store.insertPoleType(this.types.regular);
    store.insertPoleType(this.types.thirdParty);
    const lines = new Map<Street, PoleRecord[][]>();
    for (const street of GAZETTEER) {
      const own = placements.filter((p) => p.street === street);
      const sides: (1 | -1)[] = street.name === RIVER.avenue ? [1, -1] : [1];
      lines.set(
        street,
        sides.map((side) =>
          this.line(
            street,
            side,
            own.filter((p) => sides.length === 1 || p.side === side),
          ),
        ),
      );
    }
    for (const pole of [...lines.values()].flat(2)) store.insertPole(pole);

    for (const [street, streetLines] of lines)
      for (const line of streetLines)
        for (let i = 1; i < line.length; i++) {
          const a = line[i - 1] as PoleRecord;
          const b = line[i] as PoleRecord;
          if (street.name === RIVER.bridge || !crossesRiver(a, b)) this.join(a, b);
        }
    this.joinCrossings(lines);
  }

  /**
   * A pole line along one side of a street: a pole under each of its boxes, one at each end, and poles in between
   * at most MAX_POLE_SPACING apart.
   */
  private line(street: Street, side: 1 | -1, boxes: readonly BoxPlacement[]): PoleRecord[] {
    const length = streetLengthMeters(street);
    const anchors = [...boxes].sort((a, b) => a.along - b.along);
    const out: PoleRecord[] = [];
    const thirdParty = street.name === THIRD_PARTY_STREET;
    const linePole = (along: number) => out.push(this.linePole(street, side, along, thirdParty));
    let from = 0;
    linePole(0);
    for (const anchor of [...anchors, undefined]) {
      const to = anchor ? anchor.along : length;
      const gap = to - from;
      const between = Math.max(0, Math.ceil(gap / MAX_POLE_SPACING) - 1);
      for (let k = 1; k <= between; k++) {
        // A little irregular, as real poles are.
        linePole(from + (gap * k) / (between + 1) + this.rng.between(-1.5, 1.5));
      }
      if (anchor) out.push(this.boxPole(anchor.box, street));
      else if (gap >= 10) linePole(length);
      from = to;
    }
    return out;
  }

  private linePole(street: Street, side: 1 | -1, along: number, thirdParty: boolean): PoleRecord {
    const { point, direction } = pointAlong(street.path, along);
    const aside = side * LINE_OFFSET;
    const position = offsetMeters(point, direction.east * aside, -direction.north * aside);
    const at = new Date(this.since.getTime() + this.count * 60_000);
    return this.pole(
      this.newId(at),
      position,
      at,
      thirdParty ? this.types.thirdParty : this.types.regular,
      street.name,
    );
  }

  /** The pole under a box: the id the box names, at the box's very coordinates, as old as the box. */
  private boxPole(box: BoxRecord, street: Street): PoleRecord {
    return this.pole(
      box.pole,
      { lat: box.lat, lng: box.lng },
      new Date(box.createdAt),
      this.types.regular,
      street.name,
    );
  }

  private pole(id: string, position: LatLng, at: Date, type: PoleTypeRecord, street: string): PoleRecord {
    const lat = round7(position.lat);
    const lng = round7(position.lng);
    const stamp = at.toISOString();
    return {
      _id: id,
      id,
      kind: 'Pole',
      name: `${type.prefix}${String(++this.count).padStart(4, '0')}`,
      project: this.projectId,
      poleType: type.id,
      coords: [lng, lat],
      lat,
      lng,
      adjacents: [],
      usable: true,
      observation: '',
      tags: [],
      licensing: { status: 2, protocol: null },
      address: `${street} - ${CITY}`,
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: this.designer,
    };
  }

  /** Both ways: the seeded town lists every adjacency on both poles. */
  private join(a: PoleRecord, b: PoleRecord): void {
    if (a === b || a.adjacents.includes(b.id)) return;
    a.adjacents.push(b.id);
    b.adjacents.push(a.id);
  }

  /** Where two streets cross, their nearest poles (on the same bank of the river) are joined. */
  private joinCrossings(lines: Map<Street, PoleRecord[][]>): void {
    const streets = [...lines.keys()];
    for (let i = 0; i < streets.length; i++)
      for (let j = i + 1; j < streets.length; j++) {
        const a = streets[i] as Street;
        const b = streets[j] as Street;
        for (const point of crossings(a, b)) {
          for (const la of lines.get(a) ?? [])
            for (const lb of lines.get(b) ?? []) {
              const near = (line: PoleRecord[]) =>
                line.filter((pole) => {
                  const f = flat(pole);
                  return Math.hypot(f.x - point.x, f.y - point.y) <= CROSSING_RADIUS;
                });
              let best: { a: PoleRecord; b: PoleRecord; distance: number } | undefined;
              for (const pa of near(la))
                for (const pb of near(lb)) {
                  if (crossesRiver(pa, pb)) continue;
                  const distance = distanceMeters(pa, pb);
                  if (!best || distance < best.distance) best = { a: pa, b: pb, distance };
                }
              if (best) this.join(best.a, best.b);
            }
        }
      }
  }
}
