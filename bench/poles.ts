/**
 * What pole mode costs (docs/poles.md): `npm run bench:poles [reservations]` (default 40) on the simulator's seeded
 * town, in this process, nothing else running:
 *  - OZmap calls per reservation, counted by the OZmap client: the survey and the reserve as a reservation in auto
 *    mode runs them (the same activity functions, in an activity context), in radius mode (the baseline) and in pole
 *    mode, for the first reservation (the project and pole types not read yet) and for the rest;
 *  - the drop-route search's time per reservation on the poles the survey read, against a radius-mode survey's time
 *    measured in the same run (its two OZmap round trips over loopback): the baseline.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { dropRoutes, poleSearchRadiusMeters } from '../activities/drop-route.ts';
import { OzmapClient } from '../activities/ozmap/client.ts';
import { reservePort, type ReservePortResult } from '../activities/reserve.ts';
import { surveyBoxes, type BoxSearch } from '../activities/survey.ts';
import { DEFAULT_POLE_MAX_DROP_METERS } from '../contract/limits.ts';
import type { Candidate, PortChoice } from '../contract/schemas.ts';
import { startSimulator } from '../simulator/server.ts';

const RESERVATIONS = Number(process.argv[2] ?? 40);
const KEY = 'bench-ozmap-key';
const CENTRE = { lat: -27.5935, lng: -48.5515 };
const RADIUS = 250;

const sim = await startSimulator({ port: 0, apiKey: KEY, log: () => {} });
const env = new MockActivityEnvironment();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Customers a few tens of metres off boxes of the town, spread over it. */
async function customers(count: number) {
  const probe = new OzmapClient({ baseUrl: sim.url, apiKey: KEY });
  const boxes = (await probe.findBoxesNear(CENTRE, 3000)).filter((b) => !b.draft);
  await probe.close();
  const step = Math.max(1, Math.floor(boxes.length / count));
  return boxes
    .filter((_, i) => i % step === 0)
    .slice(0, count)
    .map((b, i) => ({ lat: b.lat + 0.0002 * ((i % 3) - 1), lng: b.lng + 0.00025 }));
}

/** Auto mode's pick: the survey lists the nearest (pole mode: the shortest drop) first; its first free port. */
function firstChoice(candidates: Candidate[]): PortChoice | undefined {
  const box = candidates[0];
  const splitter = box?.splitters[0];
  if (!box || !splitter) return undefined;
  const { boxId, boxName, projectId } = box;
  return {
    boxId,
    boxName,
    projectId,
    splitterId: splitter.splitterId,
    splitterName: splitter.splitterName,
    port: Math.min(...splitter.freePorts),
    ...(box.drop ? { dropPoles: box.drop.poles } : {}),
  };
}

/** Reservations in auto mode: the survey, then the reserve of the first choice; the calls each made. */
async function reserveAll(mode: 'radius' | 'poles', points: Array<{ lat: number; lng: number }>) {
  const ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: KEY });
  const calls: number[] = [];
  const surveyMs: number[] = [];
  const candidates: Candidate[][] = [];
  let reserved = 0;
  for (const [i, point] of points.entries()) {
    const before = ozmap.calls;
    const area: BoxSearch = {
      ...point,
      radiusMeters: RADIUS,
      ...(mode === 'poles' ? { poles: { fallbackMaxDropMeters: DEFAULT_POLE_MAX_DROP_METERS } } : {}),
    };
    const started = performance.now();
    const survey = await surveyBoxes(ozmap, area);
    surveyMs.push(performance.now() - started);
    candidates.push(survey.candidates);
    const choice = firstChoice(survey.candidates);
    if (choice) {
      const result: ReservePortResult = await env.run(reservePort, ozmap, {
        viabilityId: `BENCH-${mode}-${i}`,
        customer: { code: `C-${mode}-${i}`, name: 'Bench' },
        address: '',
        coordinates: point,
        choice,
        firstRound: true,
        radiusMeters: RADIUS,
      });
      if (result.outcome === 'reserved') reserved++;
    }
    calls.push(ozmap.calls - before);
  }
  await ozmap.close();
  return { calls, surveyMs, reserved, candidates };
}

const points = await customers(RESERVATIONS);
const radius = await reserveAll('radius', points);
const poles = await reserveAll('poles', points);

// The search alone, on the poles a pole-mode survey reads (the same call, made once per point here).
const reader = new OzmapClient({ baseUrl: sim.url, apiKey: KEY });
const [types, town] = await Promise.all([reader.poleTypeViability(), reader.findBoxesNear(CENTRE, 3000)]);
const searchMs: number[] = [];
let poleCount = 0;
for (const point of points) {
  const read = await reader.findPolesNear(point, poleSearchRadiusMeters(DEFAULT_POLE_MAX_DROP_METERS));
  poleCount += read.length;
  const nodes = read.map((p) => ({
    id: p.id,
    lat: p.lat,
    lng: p.lng,
    adjacents: p.adjacents,
    viabilityAllowed: p.usable && (p.viabilityAllowed ?? types.get(p.poleTypeId ?? '') !== false),
  }));
  const boxes = town.map((b) => ({ boxId: b.id, poleId: b.poleId ?? null, lat: b.lat, lng: b.lng }));
  for (let round = 0; round < 20; round++) {
    const started = performance.now();
    dropRoutes(point, nodes, boxes, { maxDropMeters: DEFAULT_POLE_MAX_DROP_METERS });
    searchMs.push(performance.now() - started);
  }
}
await reader.close();
await sim.close();

const perReservation = (xs: number[]) => (xs.slice(1).reduce((a, b) => a + b, 0) / (xs.length - 1)).toFixed(2);
const found = (c: Candidate[][]) => c.filter((list) => list.length > 0).length;
console.log(`${points.length} reservations on the seeded town, auto mode, radius ${RADIUS} m`);
console.log(
  `OZmap calls per reservation: radius ${radius.calls[0]} first, ${perReservation(radius.calls)} after (baseline); ` +
    `poles ${poles.calls[0]} first, ${perReservation(poles.calls)} after (goal ≤ 4)`,
);
console.log(
  `customers with a candidate: radius ${found(radius.candidates)}, poles ${found(poles.candidates)} ` +
    `of ${points.length}; reserved: radius ${radius.reserved}, poles ${poles.reserved}`,
);
const search = median(searchMs);
const baseline = median(radius.surveyMs);
console.log(
  `drop-route search: median ${search.toFixed(3)} ms per reservation over ${(poleCount / points.length).toFixed(0)} ` +
    `poles and ${town.length} boxes (goal well under 10 ms); a radius survey: median ${baseline.toFixed(2)} ms; ` +
    `ratio ×${(search / baseline).toFixed(3)}; pole survey median ${median(poles.surveyMs).toFixed(2)} ms ` +
    `(×${(median(poles.surveyMs) / baseline).toFixed(2)} of radius)`,
);
