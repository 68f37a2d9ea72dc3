/**
 * The drop-route search (activities/drop-route.ts, DESIGN §2.5): examples on small drawn networks, then properties
 * on random ones: lengths are the sum of the route's spans, routes follow links, nothing shorter exists (against a
 * brute force over every simple path on tiny networks, and against Bellman-Ford on larger ones), `no-pole-path`
 * means disconnected, the poles fetched in poleSearchRadiusMeters are enough, and the input's order changes nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  dropRoutes,
  poleSearchRadiusMeters,
  type BoxOnPole,
  type DropAnswer,
  type PoleNode,
} from '../../activities/drop-route.ts';
import { distanceMeters } from '../../activities/geo.ts';
import { DropRoute, MAX_DROP_POLES } from '../../contract/schemas.ts';

/** Points given in metres east and north of a customer in Florianópolis. */
const ORIGIN = { lat: -27.5935, lng: -48.5585 };
const METERS_PER_DEGREE = 111_195;
const at = (east: number, north: number) => ({
  lat: ORIGIN.lat + north / METERS_PER_DEGREE,
  lng: ORIGIN.lng + east / (METERS_PER_DEGREE * Math.cos((ORIGIN.lat * Math.PI) / 180)),
});
const pole = (
  id: string,
  east: number,
  north: number,
  adjacents: string[] = [],
  viabilityAllowed = true,
): PoleNode => ({
  id,
  ...at(east, north),
  adjacents,
  viabilityAllowed,
});
const box = (boxId: string, poleId: string | null, east: number, north: number): BoxOnPole => ({
  boxId,
  poleId,
  ...at(east, north),
});
const tenth = (meters: number) => Math.round(meters * 10) / 10;
/** The length of a polyline as the search measures it: span by span, from its start. */
const along = (points: readonly { lat: number; lng: number }[]) =>
  points.slice(1).reduce((sum, p, i) => sum + distanceMeters(points[i]!, p), 0);
const ok = (answer: DropAnswer | undefined) => {
  assert.ok(answer?.ok, `expected a drop, got ${JSON.stringify(answer)}`);
  DropRoute.parse(answer.drop);
  return answer.drop;
};
const place = (p: { lat: number; lng: number }) => ({ lat: p.lat, lng: p.lng });

describe('dropRoutes: examples', () => {
  it('runs along a straight line of poles and measures customer → poles → box', () => {
    const poles = [pole('P1', 10, 0, ['P2']), pole('P2', 45, 0, ['P3']), pole('P3', 80, 0)];
    const drop = ok(dropRoutes(ORIGIN, poles, [box('B', 'P3', 80, 2)], { maxDropMeters: 300 }).get('B'));
    assert.deepEqual(drop.poles, ['P1', 'P2', 'P3']);
    assert.deepEqual(drop.route, [ORIGIN, ...poles.map(place), at(80, 2)]);
    assert.equal(drop.lengthMeters, tenth(along(drop.route)));
    assert.ok(Math.abs(drop.lengthMeters - 82) < 0.5, `about 82 m, got ${drop.lengthMeters}`);
  });

  it('crosses a river at its one bridge; the nearest box, across the water, has no path', () => {
    // West bank x = 0, east bank x = 40; the bridge W3-E3 is 105 m north. South of the bridge the east bank's poles
    // (E0, E1) are not linked to it.
    const poles = [
      pole('W0', 0, 0, ['W1']),
      pole('W1', 0, 35, ['W2']),
      pole('W2', 0, 70, ['W3']),
      pole('W3', 0, 105, ['E3']),
      pole('E3', 40, 105, ['E2']),
      pole('E2', 40, 70),
      pole('E1', 40, 35, ['E0']),
      pole('E0', 40, 0),
    ];
    const boxes = [box('across', 'E0', 42, 0), box('over-the-bridge', 'E2', 42, 70), box('same-bank', 'W1', 2, 35)];
    const answers = dropRoutes(at(-5, 0), poles, boxes, { maxDropMeters: 400 });
    assert.deepEqual(answers.get('across'), { ok: false, reason: 'no-pole-path' });
    const bridged = ok(answers.get('over-the-bridge'));
    assert.deepEqual(bridged.poles, ['W0', 'W1', 'W2', 'W3', 'E3', 'E2']);
    assert.ok(Math.abs(bridged.lengthMeters - 187) < 1, `about 187 m, got ${bridged.lengthMeters}`);
    assert.deepEqual(ok(answers.get('same-bank')).poles, ['W0', 'W1']);
  });

  it('of two routes takes the shorter, whichever is listed first', () => {
    const poles = [
      pole('S', 0, 0, ['LONG', 'SHORT']),
      pole('LONG', 50, -40, ['T']),
      pole('SHORT', 50, 10, ['T']),
      pole('T', 100, 0),
    ];
    for (const order of [poles, [...poles].reverse()]) {
      const drop = ok(dropRoutes(ORIGIN, order, [box('B', 'T', 100, 0)], { maxDropMeters: 300 }).get('B'));
      assert.deepEqual(drop.poles, ['S', 'SHORT', 'T']);
    }
  });

  it('breaks a tie between equally long routes by pole id, whatever the order of the input', () => {
    // A and B stand at the same place: both routes are exactly as long.
    const poles = [pole('S', 0, 0, ['B', 'A']), pole('B', 50, 10, ['T']), pole('A', 50, 10, ['T']), pole('T', 100, 0)];
    for (const order of [poles, [...poles].reverse()]) {
      const drop = ok(dropRoutes(ORIGIN, order, [box('X', 'T', 100, 0)], { maxDropMeters: 300 }).get('X'));
      assert.deepEqual(drop.poles, ['S', 'A', 'T']);
    }
  });

  it('follows a link listed on one pole only, both ways', () => {
    const boxes = [box('B', 'Q', 40, 0)];
    const onTheFar = [pole('P', 0, 0), pole('Q', 40, 0, ['P'])];
    const onTheNear = [pole('P', 0, 0, ['Q']), pole('Q', 40, 0)];
    for (const poles of [onTheFar, onTheNear]) {
      assert.deepEqual(ok(dropRoutes(ORIGIN, poles, boxes, { maxDropMeters: 100 }).get('B')).poles, ['P', 'Q']);
    }
  });

  it('starts at the nearest usable pole only: one not viabilityAllowed is skipped, the next usable is the start', () => {
    // N is nearest but not usable; U is the nearest usable, V farther. V is linked to N only, not to U.
    const poles = [pole('N', 5, 0, ['V'], false), pole('U', 30, 0), pole('V', 0, 60)];
    const boxes = [box('on-U', 'U', 30, 1), box('on-V', 'V', 0, 61), box('on-N', 'N', 5, 1)];
    const answers = dropRoutes(ORIGIN, poles, boxes, { maxDropMeters: 300 });
    assert.deepEqual(ok(answers.get('on-U')).poles, ['U']);
    // V is usable and within 100 m too, but the drop starts at U alone, and U is linked to nothing.
    assert.deepEqual(answers.get('on-V'), { ok: false, reason: 'no-pole-path' });
    assert.deepEqual(answers.get('on-N'), { ok: false, reason: 'no-pole-path' });
    // Linked to U, V is reached through it, not directly from the customer.
    const linked = dropRoutes(ORIGIN, [...poles, pole('U2', 30, 0.5, ['U', 'V'], false)], boxes, {
      maxDropMeters: 300,
    });
    assert.deepEqual(ok(linked.get('on-V')).poles, ['U', 'U2', 'V']);
  });

  it('gives no-pole-path to every box when no usable pole is within 100 m (or the radius asked)', () => {
    const poles = [pole('near-unusable', 5, 0, ['far'], false), pole('far', 120, 0)];
    const boxes = [box('B1', 'far', 120, 0), box('B2', null, 10, 0), box('B3', 'near-unusable', 5, 0)];
    const none = dropRoutes(ORIGIN, poles, boxes, { maxDropMeters: 500 });
    assert.deepEqual(
      [...none],
      boxes.map((b) => [b.boxId, { ok: false, reason: 'no-pole-path' }]),
    );
    const wider = dropRoutes(ORIGIN, poles, boxes, { maxDropMeters: 500, accessRadiusMeters: 150 });
    assert.deepEqual(ok(wider.get('B1')).poles, ['far']);
    assert.deepEqual(dropRoutes(ORIGIN, [], boxes, { maxDropMeters: 500 }).get('B1'), {
      ok: false,
      reason: 'no-pole-path',
    });
  });

  it('takes a first pole at exactly the access radius, as shown to a tenth, and not one a tenth beyond', () => {
    const exactly = pole('P', 0, 100, []);
    const shown = tenth(distanceMeters(ORIGIN, exactly));
    const boxes = [box('B', 'P', 0, 100)];
    assert.ok(dropRoutes(ORIGIN, [exactly], boxes, { maxDropMeters: 500, accessRadiusMeters: shown }).get('B')?.ok);
    assert.deepEqual(
      dropRoutes(ORIGIN, [exactly], boxes, { maxDropMeters: 500, accessRadiusMeters: shown - 0.1 }).get('B'),
      { ok: false, reason: 'no-pole-path' },
    );
  });

  it('keeps a drop of exactly the maximum, and refuses it a tenth shorter, with its length', () => {
    const poles = [pole('P1', 10, 0, ['P2']), pole('P2', 45, 0, ['P3']), pole('P3', 80, 0)];
    const boxes = [box('B', 'P3', 80, 3)];
    const length = tenth(along([ORIGIN, ...poles, boxes[0]!]));
    assert.equal(ok(dropRoutes(ORIGIN, poles, boxes, { maxDropMeters: length }).get('B')).lengthMeters, length);
    assert.deepEqual(dropRoutes(ORIGIN, poles, boxes, { maxDropMeters: length - 0.1 }).get('B'), {
      ok: false,
      reason: 'drop-too-long',
      lengthMeters: length,
    });
  });

  it('keeps a drop shown at the maximum though a few hundredths longer, even where its last pole is beyond it', () => {
    // The box stands at its pole, which is itself farther along than the maximum, by less than half a tenth.
    const line = (east: number) => [pole('P1', 10, 0, ['P2']), pole('P2', east, 0)];
    const length = (east: number) => along([ORIGIN, ...line(east)]);
    let east = 80;
    while (!(length(east) - tenth(length(east)) > 0.01 && length(east) - tenth(length(east)) < 0.04)) east += 0.01;
    const maxDropMeters = tenth(length(east));
    const drop = ok(dropRoutes(ORIGIN, line(east), [box('B', 'P2', east, 0)], { maxDropMeters }).get('B'));
    assert.equal(drop.lengthMeters, maxDropMeters);
  });

  it('calls a connected box beyond where the search stops too long, without a length', () => {
    const line = Array.from({ length: 30 }, (_, i) => pole(`P${i}`, 35 * i, 0, [`P${i + 1}`]));
    const answers = dropRoutes(ORIGIN, line, [box('far', 'P29', 35 * 29, 0), box('near', 'P2', 70, 0)], {
      maxDropMeters: 200,
    });
    assert.deepEqual(answers.get('far'), { ok: false, reason: 'drop-too-long' });
    assert.ok(answers.get('near')?.ok);
  });

  it('counts a drop on more than MAX_DROP_POLES poles as too long', () => {
    // Poles half a metre apart: the count, not the length, is what stops it.
    const chain = (n: number) => Array.from({ length: n }, (_, i) => pole(`P${i}`, 0.5 * i, 0, [`P${i + 1}`]));
    const toLast = (n: number) => [box('B', `P${n - 1}`, 0.5 * (n - 1), 0)];
    const fits = dropRoutes(ORIGIN, chain(MAX_DROP_POLES), toLast(MAX_DROP_POLES), { maxDropMeters: 500 });
    assert.equal(ok(fits.get('B')).poles.length, MAX_DROP_POLES);
    const over = dropRoutes(ORIGIN, chain(MAX_DROP_POLES + 1), toLast(MAX_DROP_POLES + 1), { maxDropMeters: 500 });
    const answer = over.get('B');
    assert.ok(answer?.ok === false && answer.reason === 'drop-too-long' && answer.lengthMeters! < 60, 'too many poles');
  });

  it('takes odd data in its stride: dangling, self and repeated links, unknown and missing poles', () => {
    const poles = [
      pole('P', 0, 0, ['P', 'ghost', 'Q', 'Q', 'Q', '']),
      pole('Q', 35, 0, ['P', 'Q', 'R', 'ghost']),
      pole('R', 70, 0, ['P', 'Q', 'R']),
      { ...pole('nowhere', 0, 0, ['P']), lat: Number.NaN },
      pole('P', 500, 500, []), // the same id again: the first stands
    ];
    const boxes = [box('on-R', 'R', 70, 0), box('ghost', 'ghost', 0, 0), box('none', null, 0, 0)];
    const answers = dropRoutes(ORIGIN, poles, boxes, { maxDropMeters: 300 });
    assert.deepEqual(ok(answers.get('on-R')).poles, ['P', 'R']);
    assert.deepEqual(answers.get('ghost'), { ok: false, reason: 'no-pole-path' });
    assert.deepEqual(answers.get('none'), { ok: false, reason: 'no-pole-path' });
  });

  it('fetches poles in the drop maximum, or the access radius if larger, with a metre to spare', () => {
    assert.equal(poleSearchRadiusMeters(300), 301);
    assert.equal(poleSearchRadiusMeters(60), 101);
    assert.equal(poleSearchRadiusMeters(60, 50), 61);
  });
});

// ---- Properties on random networks ----

interface Network {
  poles: PoleNode[];
  boxes: BoxOnPole[];
  maxDropMeters: number;
}

/**
 * `size` poles on a coarse grid (15 m steps, so that poles share places and routes tie), links to random ids among
 * them and a few that are not (dangling, repeated, the pole itself); boxes on known, unknown or no poles.
 */
const network = (size: { min: number; max: number }, step = 15, span = 6) =>
  fc
    .integer({ min: size.min, max: size.max })
    .chain((n) => {
      const ids = Array.from({ length: n }, (_, i) => `p${i}`);
      const cell = fc.integer({ min: -span, max: span }).map((k) => k * step);
      const aPole = (id: string) =>
        fc
          .record({
            east: cell,
            north: cell,
            adjacents: fc.array(fc.constantFrom(...ids, 'ghost'), { maxLength: 4 }),
            viabilityAllowed: fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)),
          })
          .map((p) => pole(id, p.east, p.north, p.adjacents, p.viabilityAllowed));
      const aBox = (i: number) =>
        fc
          .record({
            poleId: fc.oneof({ arbitrary: fc.constantFrom(...ids), weight: 8 }, fc.constantFrom(null, 'ghost')),
            dx: cell,
          })
          .map(({ poleId, dx }) => ({ poleId, dx, i }));
      return fc.record({
        poles: fc.tuple(...ids.map(aPole)),
        boxes: fc.integer({ min: 1, max: 5 }).chain((k) => fc.tuple(...Array.from({ length: k }, (_, i) => aBox(i)))),
        maxDropMeters: fc.integer({ min: 20, max: 600 }),
      });
    })
    .map(({ poles, boxes, maxDropMeters }): Network => ({
      poles,
      // A box stands by its pole, a few metres off (or anywhere, without a known pole).
      boxes: boxes.map(({ poleId, dx, i }) => {
        const onto = poles.find((p) => p.id === poleId) ?? at(dx, -dx);
        return { boxId: `b${i}`, poleId, lat: onto.lat + dx / 10 / METERS_PER_DEGREE, lng: onto.lng };
      }),
      maxDropMeters,
    }));

/** Links as the rules read them: both ways, known poles only, no self-links. */
const linksOf = (poles: readonly PoleNode[]) => {
  const known = new Set(poles.map((p) => p.id));
  const links = new Map(poles.map((p) => [p.id, new Set<string>()]));
  for (const p of poles) {
    for (const q of p.adjacents) {
      if (!known.has(q) || q === p.id) continue;
      links.get(p.id)!.add(q);
      links.get(q)!.add(p.id);
    }
  }
  return links;
};

/** The first pole by the rules, found the plain way. */
const firstPole = (poles: readonly PoleNode[]) =>
  poles
    .filter((p) => p.viabilityAllowed)
    .map((p) => ({ p, meters: distanceMeters(ORIGIN, p) }))
    .sort((a, b) => a.meters - b.meters || (a.p.id < b.p.id ? -1 : 1))
    .filter((c, i) => i === 0 && tenth(c.meters) <= 100)[0]?.p;

/** Every simple path from `from` to `to` (tiny networks only). */
function* simplePaths(
  links: Map<string, Set<string>>,
  from: string,
  to: string,
  seen: string[] = [from],
): Generator<string[]> {
  if (from === to) yield seen;
  for (const next of links.get(from) ?? []) {
    if (!seen.includes(next)) yield* simplePaths(links, next, to, [...seen, next]);
  }
}

const byId = (poles: readonly PoleNode[]) => new Map(poles.map((p) => [p.id, p]));
const drawn = (poles: readonly PoleNode[], path: readonly string[], b: BoxOnPole) => {
  const index = byId(poles);
  return [ORIGIN, ...path.map((id) => index.get(id)!), b];
};

/** A Fisher-Yates shuffle driven by a seed (mulberry32). */
const shuffled = <T>(items: readonly T[], seed: number): T[] => {
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
};

describe('dropRoutes: properties', () => {
  it('a drop measures the sum of its spans, follows links, starts at the first pole and fits the contract', () => {
    fc.assert(
      fc.property(network({ min: 1, max: 12 }), ({ poles, boxes, maxDropMeters }) => {
        const links = linksOf(poles);
        const first = firstPole(poles);
        for (const [boxId, answer] of dropRoutes(ORIGIN, poles, boxes, { maxDropMeters })) {
          if (!answer.ok) continue;
          const { drop } = answer;
          DropRoute.parse(drop);
          const b = boxes.find((x) => x.boxId === boxId)!;
          assert.equal(drop.lengthMeters, tenth(along(drop.route)));
          assert.ok(drop.lengthMeters <= maxDropMeters);
          assert.deepEqual(drop.route, drawn(poles, drop.poles, b).map(place));
          assert.equal(drop.poles[0], first?.id);
          assert.equal(drop.poles.at(-1), b.poleId);
          drop.poles.slice(1).forEach((id, i) => assert.ok(links.get(drop.poles[i]!)!.has(id), 'linked poles'));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('nothing shorter exists: the same answer as a brute force over every simple path (≤ 7 poles)', () => {
    fc.assert(
      fc.property(network({ min: 1, max: 7 }), ({ poles, boxes, maxDropMeters }) => {
        const links = linksOf(poles);
        const first = firstPole(poles);
        const answers = dropRoutes(ORIGIN, poles, boxes, { maxDropMeters });
        for (const b of boxes) {
          const paths =
            first && b.poleId !== null && links.has(b.poleId) ? [...simplePaths(links, first.id, b.poleId)] : [];
          const shortest = Math.min(...paths.map((path) => along(drawn(poles, path, b))));
          const answer = answers.get(b.boxId);
          if (paths.length === 0) assert.deepEqual(answer, { ok: false, reason: 'no-pole-path' });
          else if (tenth(shortest) <= maxDropMeters) assert.equal(ok(answer).lengthMeters, tenth(shortest));
          else {
            assert.equal(answer?.ok, false);
            assert.ok(!answer.ok && answer.reason === 'drop-too-long');
            if (answer.lengthMeters !== undefined) assert.equal(answer.lengthMeters, tenth(shortest));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('nothing shorter exists on larger networks either: lengths as Bellman-Ford finds them', () => {
    fc.assert(
      fc.property(network({ min: 10, max: 60 }, 35, 8), ({ poles, boxes, maxDropMeters }) => {
        const links = linksOf(poles);
        const index = byId(poles);
        const first = firstPole(poles);
        if (!first) return;
        const dist = new Map([[first.id, distanceMeters(ORIGIN, first)]]);
        for (let changed = true; changed;) {
          changed = false;
          for (const [u, d] of [...dist]) {
            for (const v of links.get(u)!) {
              const meters = d + distanceMeters(index.get(u)!, index.get(v)!);
              if (meters < (dist.get(v) ?? Infinity)) {
                dist.set(v, meters);
                changed = true;
              }
            }
          }
        }
        const answers = dropRoutes(ORIGIN, poles, boxes, { maxDropMeters });
        for (const b of boxes) {
          const d = b.poleId === null ? undefined : dist.get(b.poleId);
          const answer = answers.get(b.boxId);
          if (d === undefined) assert.deepEqual(answer, { ok: false, reason: 'no-pole-path' });
          else {
            const length = tenth(d + distanceMeters(index.get(b.poleId!)!, b));
            if (length <= maxDropMeters) assert.equal(ok(answer).lengthMeters, length);
            else assert.ok(answer?.ok === false && answer.reason === 'drop-too-long');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no-pole-path means what it says: the box has no pole, or its pole is not connected to the first', () => {
    fc.assert(
      fc.property(network({ min: 1, max: 12 }), ({ poles, boxes, maxDropMeters }) => {
        const links = linksOf(poles);
        const first = firstPole(poles);
        const reached = new Set(first ? [first.id] : []);
        for (const id of reached) for (const next of links.get(id)!) reached.add(next);
        for (const b of boxes) {
          const connected = b.poleId !== null && reached.has(b.poleId);
          const answer = dropRoutes(ORIGIN, poles, [b], { maxDropMeters }).get(b.boxId);
          assert.equal(answer?.ok === false && answer.reason === 'no-pole-path', !connected);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('is the same whatever the order of the poles, their links and the boxes', () => {
    fc.assert(
      fc.property(network({ min: 1, max: 14 }, 10, 3), fc.integer(), ({ poles, boxes, maxDropMeters }, seed) => {
        const reordered = shuffled(poles, seed).map((p, i) => ({ ...p, adjacents: shuffled(p.adjacents, seed + i) }));
        const sorted = (answers: Map<string, DropAnswer>) => [...answers].sort(([a], [b]) => (a < b ? -1 : 1));
        assert.deepEqual(
          sorted(dropRoutes(ORIGIN, reordered, shuffled(boxes, seed ^ 1), { maxDropMeters })),
          sorted(dropRoutes(ORIGIN, poles, boxes, { maxDropMeters })),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('the poles within poleSearchRadiusMeters are enough for every drop that fits', () => {
    fc.assert(
      fc.property(network({ min: 1, max: 20 }, 25, 10), ({ poles, boxes, maxDropMeters }) => {
        const radius = poleSearchRadiusMeters(maxDropMeters);
        const fetched = poles.filter((p) => distanceMeters(ORIGIN, p) <= radius);
        const all = dropRoutes(ORIGIN, poles, boxes, { maxDropMeters });
        const some = dropRoutes(ORIGIN, fetched, boxes, { maxDropMeters });
        for (const [boxId, answer] of all) {
          if (answer.ok) assert.deepEqual(some.get(boxId), answer);
          else assert.equal(some.get(boxId)?.ok, false);
        }
      }),
      { numRuns: 500 },
    );
  });
});
