/**
 * Surveys by area (activities/area-survey.ts): a point evaluated against any area that holds it gives exactly what
 * surveyBoxes gives for it alone, in radius and pole mode, whatever the grid and however often areas split; areas
 * hold their members' circles; an area OZmap cannot answer whole is split, and a single place that cannot fit is an
 * error, never a list cut short.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AreaTooDenseError,
  areaOf,
  evaluatePoint,
  groupIntoAreas,
  surveyAreas,
  type AreaOzmap,
  type SurveyPoint,
} from '../../activities/area-survey.ts';
import { distanceMeters } from '../../activities/geo.ts';
import type { OzBox, OzPole, OzSplitter } from '../../activities/ozmap/schemas.ts';
import { surveyBoxes } from '../../activities/survey.ts';

const ORIGIN = { lat: -27.5935, lng: -48.5585 };
const METERS_PER_DEGREE = 111_195;
const at = (east: number, north: number) => ({
  lat: ORIGIN.lat + north / METERS_PER_DEGREE,
  lng: ORIGIN.lng + east / (METERS_PER_DEGREE * Math.cos((ORIGIN.lat * Math.PI) / 180)),
});

interface Network {
  boxes: OzBox[];
  splitters: OzSplitter[];
  poles: OzPole[];
  limits: Map<string, number | undefined>;
}

/** An in-memory OZmap: `near` by the service's own distance, nearest first; `cap` boxes at most per answer. */
function fakeOzmap(net: Network, cap = Infinity): AreaOzmap & { calls: number } {
  const near = <T extends { lat: number; lng: number }>(rows: T[], p: { lat: number; lng: number }, r: number) =>
    rows
      .map((row) => ({ row, d: distanceMeters(p, row) }))
      .filter(({ d }) => d <= r)
      .sort((a, b) => a.d - b.d)
      .map(({ row }) => row);
  const fake = {
    calls: 0,
    findBoxesInArea: (p: { lat: number; lng: number }, r: number, o: { maxRows: number }) => {
      fake.calls++;
      const found = near(net.boxes, p, r);
      return Promise.resolve(found.length > Math.min(cap, o.maxRows) ? undefined : found);
    },
    findDropSplittersOfMany: (ids: readonly string[]) => {
      fake.calls++;
      return Promise.resolve(net.splitters.filter((s) => ids.includes(s.boxId) && s.isDrop));
    },
    findPolesNear: (p: { lat: number; lng: number }, r: number) => (
      fake.calls++,
      Promise.resolve(near(net.poles, p, r))
    ),
    poleTypeViability: () => Promise.resolve(new Map([['t-no', false]])),
    dropLimitOf: (id: string) => Promise.resolve(net.limits.get(id)),
  };
  return fake;
}

/** A random network within ~1.2 km of ORIGIN: boxes (some drafts, splice boxes, full ones) on a grid of poles. */
const network = fc
  .record({
    boxes: fc.array(
      fc.record({
        east: fc.integer({ min: -1200, max: 1200 }),
        north: fc.integer({ min: -1200, max: 1200 }),
        draft: fc.boolean(),
        project: fc.constantFrom('p1', 'p2', 'p3'),
        splitters: fc.array(fc.record({ isDrop: fc.boolean(), taken: fc.array(fc.boolean(), { minLength: 2 }) }), {
          maxLength: 2,
        }),
      }),
      { minLength: 1, maxLength: 40 },
    ),
    poleTypes: fc.array(fc.constantFrom('t-ok', 't-no', undefined), { minLength: 64, maxLength: 64 }),
    limits: fc.tuple(fc.constantFrom(150, 300, undefined), fc.constantFrom(120, 400)),
  })
  .map(({ boxes, poleTypes, limits }): Network => {
    // Poles every 300 m on an 8x8 grid, each linked to its right and upper neighbours.
    const poles: OzPole[] = [];
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++)
        poles.push({
          id: `pole-${i}-${j}`,
          ...at(-1050 + i * 300, -1050 + j * 300),
          poleTypeId: poleTypes[i * 8 + j],
          viabilityAllowed: undefined,
          usable: true,
          adjacents: [...(i < 7 ? [`pole-${i + 1}-${j}`] : []), ...(j < 7 ? [`pole-${i}-${j + 1}`] : [])],
        });
    const outBoxes: OzBox[] = [];
    const splitters: OzSplitter[] = [];
    boxes.forEach((b, n) => {
      const where = at(b.east, b.north);
      const nearest = poles.reduce((best, p) => (distanceMeters(where, p) < distanceMeters(where, best) ? p : best));
      outBoxes.push({
        id: `box-${String(n).padStart(2, '0')}`,
        name: `CTO-${n}`,
        ...where,
        draft: b.draft,
        projectId: b.project,
        poleId: nearest.id,
      });
      b.splitters.forEach((s, k) =>
        splitters.push({
          id: `spl-${n}-${k}`,
          name: `Splitter ${k + 1}`,
          boxId: `box-${String(n).padStart(2, '0')}`,
          isDrop: s.isDrop,
          output: s.taken.map((t) => (t ? 'taken' : null)),
          blocked: s.taken.map(() => false),
        }),
      );
    });
    return {
      boxes: outBoxes,
      splitters,
      poles,
      limits: new Map([
        ['p1', limits[0]],
        ['p2', limits[1]],
      ]),
    };
  });

const points = fc.array(
  fc.record({
    east: fc.integer({ min: -1300, max: 1300 }),
    north: fc.integer({ min: -1300, max: 1300 }),
    radiusMeters: fc.constantFrom(50, 150, 250, 400),
  }),
  { minLength: 1, maxLength: 25 },
);

const toPoints = (ps: Array<{ east: number; north: number; radiusMeters: number }>): SurveyPoint[] =>
  ps.map((p) => ({ ...at(p.east, p.north), radiusMeters: p.radiusMeters }));

describe('surveys by area', () => {
  it('a point evaluated in any area that holds it equals surveying it alone (radius and pole mode)', async () => {
    await fc.assert(
      fc.asyncProperty(
        network,
        points,
        fc.constantFrom(200, 700, 5000),
        fc.constantFrom(3, 10, 1000),
        fc.boolean(),
        async (net, ps, cellMeters, cap, poleMode) => {
          const poles = poleMode ? { fallbackMaxDropMeters: 250 } : undefined;
          const pts = toPoints(ps);
          let areas;
          try {
            areas = await surveyAreas(fakeOzmap(net, cap), pts, { cellMeters, ...(poles ? { poles } : {}) });
          } catch (err) {
            // A small cap may leave a single place with too many boxes: said so, never cut short.
            assert.ok(err instanceof AreaTooDenseError);
            return;
          }
          assert.equal(
            areas.reduce((n, a) => n + a.members.length, 0),
            pts.length,
            'every point in exactly one area',
          );
          const alone = fakeOzmap(net);
          for (const { fetched, members } of areas)
            for (const p of members)
              assert.deepEqual(
                evaluatePoint(fetched, p),
                await surveyBoxes(alone, { ...p, ...(poles ? { poles } : {}) }),
              );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("an area holds every member's circle, and the grid keeps the points' order within a cell", () => {
    fc.assert(
      fc.property(points, fc.constantFrom(100, 500, 5000), (ps, cell) => {
        const pts = toPoints(ps);
        const groups = groupIntoAreas(pts, cell);
        assert.deepEqual(
          groups.flatMap((g) => g.members).sort((a, b) => pts.indexOf(a) - pts.indexOf(b)),
          pts,
        );
        for (const { area, members } of groups) {
          for (const p of members) assert.ok(distanceMeters(area, p) + p.radiusMeters <= area.radiusMeters + 1e-6);
          const order = members.map((m) => pts.indexOf(m));
          assert.deepEqual(
            order,
            [...order].sort((a, b) => a - b),
          );
        }
      }),
    );
  });

  it('one area for a town that fits, one search for boxes and one per 100 boxes for splitters', async () => {
    const net = fc.sample(network, { numRuns: 1, seed: 7 })[0]!;
    const pts = toPoints(fc.sample(points, { numRuns: 1, seed: 7 })[0]!);
    const oz = fakeOzmap(net);
    const areas = await surveyAreas(oz, pts);
    assert.equal(areas.length, 1);
    assert.equal(oz.calls, 2);
    assert.equal(areaOf([pts[0]!]).radiusMeters, pts[0]!.radiusMeters, 'a one-point area is the point itself');
  });
});
