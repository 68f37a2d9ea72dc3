/**
 * The drop-route search's time (activities/drop-route.ts): `npx tsx bench/drop-route.ts [runs]`. A synthetic town:
 * a 60 × 60 grid of poles 35 m apart (one in five not usable as a first pole; each link listed on one of its two
 * poles only), 300 boxes on poles anywhere in it, the longest drop 300 m. Each search is for a customer at another
 * place near the middle. It prints the median time per search:
 *   - on the whole town, the search as written (it stops at the longest drop);
 *   - the baseline, in the same process, interleaved: the same search on the whole town with no longest drop, so it
 *     settles every pole (and draws a route to every box);
 *   - on the poles within poleSearchRadiusMeters only, as the survey fetches them.
 * Never part of the tests' pass/fail.
 */
import {
  dropRoutes,
  poleSearchRadiusMeters,
  type BoxOnPole,
  type DropAnswer,
  type PoleNode,
} from '../activities/drop-route.ts';
import { distanceMeters } from '../activities/geo.ts';

const RUNS = Number(process.argv[2] ?? 400);
const WARMUP = 50;
const SIDE = 60;
const SPACING = 35;
const BOXES = 300;
const MAX_DROP = 300;

const ORIGIN = { lat: -27.6, lng: -48.55 };
const METERS_PER_DEGREE = 111_195;
const at = (east: number, north: number) => ({
  lat: ORIGIN.lat + north / METERS_PER_DEGREE,
  lng: ORIGIN.lng + east / (METERS_PER_DEGREE * Math.cos((ORIGIN.lat * Math.PI) / 180)),
});

/** A fixed sequence (mulberry32), so that every run measures the same town and customers. */
let seed = 20_261_201;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const id = (row: number, col: number) => `pole-${row}-${col}`;
/** Links to the east and the north, each listed on one of its two poles only, alternately. */
const listed = new Map<string, string[]>();
for (let row = 0; row < SIDE; row++) {
  for (let col = 0; col < SIDE; col++) {
    for (const other of [col + 1 < SIDE ? id(row, col + 1) : null, row + 1 < SIDE ? id(row + 1, col) : null]) {
      if (other === null) continue;
      const [on, to] = (row + col) % 2 === 0 ? [id(row, col), other] : [other, id(row, col)];
      listed.set(on, [...(listed.get(on) ?? []), to]);
    }
  }
}
const poles: PoleNode[] = Array.from({ length: SIDE * SIDE }, (_, i) => {
  const [row, col] = [Math.floor(i / SIDE), i % SIDE];
  const adjacents = listed.get(id(row, col)) ?? [];
  return { id: id(row, col), ...at(col * SPACING, row * SPACING), adjacents, viabilityAllowed: random() >= 0.2 };
});
const boxes: BoxOnPole[] = Array.from({ length: BOXES }, (_, i) => {
  const pole = poles[Math.floor(random() * poles.length)]!;
  return { boxId: `box-${i}`, poleId: pole.id, lat: pole.lat + 2 / METERS_PER_DEGREE, lng: pole.lng };
});
const middle = (SIDE * SPACING) / 2;
const customers = Array.from({ length: RUNS + WARMUP }, () =>
  at(middle + (random() - 0.5) * 600, middle + (random() - 0.5) * 600),
);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const timed = (search: () => unknown) => {
  const start = performance.now();
  search();
  return performance.now() - start;
};

/** The drops that fit, as JSON by box: what the three searches must agree on. */
const fitting = (answers: Map<string, DropAnswer>) =>
  JSON.stringify([...answers].filter(([, a]) => a.ok && a.drop.lengthMeters <= MAX_DROP));

const pruned: number[] = [];
const unpruned: number[] = [];
const fetched: number[] = [];
let drops = 0;
let fetchedPoles = 0;
customers.forEach((customer, i) => {
  const near = poles.filter((p) => distanceMeters(customer, p) <= poleSearchRadiusMeters(MAX_DROP));
  const answers: Map<string, DropAnswer>[] = [];
  const times = [
    timed(() => answers.push(dropRoutes(customer, poles, boxes, { maxDropMeters: MAX_DROP }))),
    timed(() => answers.push(dropRoutes(customer, poles, boxes, { maxDropMeters: Infinity }))),
    timed(() => answers.push(dropRoutes(customer, near, boxes, { maxDropMeters: MAX_DROP }))),
  ];
  const [all, unbounded, some] = answers.map(fitting);
  if (all !== unbounded || all !== some) throw new Error(`the searches disagree for the customer at ${i}`);
  if (i < WARMUP) return;
  pruned.push(times[0]!);
  unpruned.push(times[1]!);
  fetched.push(times[2]!);
  drops += [...answers[0]!.values()].filter((a) => a.ok).length;
  fetchedPoles += near.length;
});

const baseline = median(unpruned);
const line = (what: string, times: number[]) =>
  `  ${what.padEnd(48)} ${median(times).toFixed(3)} ms per search, ×${(median(times) / baseline).toFixed(3)}`;
console.log(`drop-route search: ${SIDE}×${SIDE} poles ${SPACING} m apart, ${BOXES} boxes, longest drop ${MAX_DROP} m`);
console.log(`median of ${RUNS} searches each (after ${WARMUP} to warm up), a customer per search, interleaved:`);
console.log(line('baseline: whole town, no longest drop', unpruned));
console.log(line(`whole town, stopping at ${MAX_DROP} m`, pruned));
console.log(line(`poles within ${poleSearchRadiusMeters(MAX_DROP)} m (~${Math.round(fetchedPoles / RUNS)})`, fetched));
console.log(
  `  boxes with a drop: ${(drops / RUNS).toFixed(1)} of ${BOXES} per search (the three searches agree on them)`,
);
