/**
 * The bench's measurements, in the order main.ts runs them on one stack: (a) throughput and latency against the
 * baseline, saturated and not, and where the time goes; (b) OZmap calls per reservation and per cancellation;
 * (c) the worker's memory with reservations held, and a query on one; (d) reservations that expire at once against
 * baseline timers that fire at once (and OZmap calls per expiry).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { workflowIdFor } from '../contract/ids.ts';
import { getState } from '../contract/messages.ts';
import type { StatsSnapshot } from '../simulator/stats.ts';
import { cpuMeter } from './cpu.ts';
import { fmt, fmtCpu, fmtPhases, totalCpu, type CpuPhase } from './format.ts';
import { fmtMemory, sampleOf, type MemorySample } from './memory.ts';
import { meanPhases, type Phases } from './phases.ts';
import type { Bench } from './stack.ts';
import { pool, ratiosOf, round, timed, waitUntil, type Latencies } from './timing.ts';
import { baselineRelease } from './workflows/baseline.ts';

/** (a) again with this many in flight: two cores then wait for the server's round trips, not for each other. */
export const CALM_CONCURRENCY = 2;
const DAY_MS = 86_400_000;

/** `timed`, with the CPU each call cost in the bench's processes. */
async function timedWithCpu(
  bench: Bench,
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<readonly [Latencies, CpuPhase]> {
  const meter = cpuMeter(bench.pids);
  const latencies = await timed(count, concurrency, fn);
  return [latencies, meter.stop(count)] as const;
}

function logPair(bench: Bench, base: Latencies, real: Latencies, baseCpu: CpuPhase, realCpu: CpuPhase): void {
  bench.log(`    baseline     ${fmt(base)}`);
  bench.log(`    reservation  ${fmt(real)}`);
  bench.log(`    CPU ms each: baseline ${fmtCpu(baseCpu)}`);
  bench.log(`                 reservation ${fmtCpu(realCpu)}`);
}

export interface Throughput {
  base: Latencies;
  baseCpu: CpuPhase;
  real: Latencies;
  realCpu: CpuPhase;
  ratios: ReturnType<typeof ratiosOf>;
  cpuRatio: number;
  /** The number of the first measured reservation (B-n): the measured ones follow it. */
  firstMeasured: number;
  /** OZmap calls during the measured reservations. */
  reserveStats: StatsSnapshot;
}

/** (a) Throughput and latency, baseline then reservation, after a warm-up of each. */
export async function measureThroughput(bench: Bench): Promise<Throughput> {
  const { sizes, load, sim } = bench;
  bench.log(`(a) ${sizes.measured} each at concurrency ${sizes.concurrency}, after ${sizes.warmup} to warm up`);
  await timed(sizes.warmup, sizes.concurrency, () => load.baseline());
  await timed(sizes.warmup, sizes.concurrency, () => load.reserveHeld());
  const [base, baseCpu] = await timedWithCpu(bench, sizes.measured, sizes.concurrency, () => load.baseline());
  sim.stats.reset();
  const firstMeasured = load.next;
  const [real, realCpu] = await timedWithCpu(bench, sizes.measured, sizes.concurrency, () => load.reserveHeld());
  const reserveStats = sim.stats.snapshot();
  logPair(bench, base, real, baseCpu, realCpu);
  const ratios = ratiosOf(real, base);
  const cpuRatio = round(totalCpu(realCpu) / totalCpu(baseCpu), 2);
  return { base, baseCpu, real, realCpu, ratios, cpuRatio, firstMeasured, reserveStats };
}

/** Where (a)'s time goes, from the histories of a sample of the measured runs of each. */
export async function measureWhereTimeGoes(
  bench: Bench,
  firstMeasured: number,
): Promise<{ baseline: Phases; reservation: Phases }> {
  const { sizes, client } = bench;
  const sample = Math.min(40, sizes.measured);
  const step = sizes.measured / sample;
  const phases = {
    baseline: await meanPhases(
      client,
      Array.from({ length: sample }, (_, k) => `baseline-BL-${sizes.warmup + Math.floor(k * step)}`),
    ),
    reservation: await meanPhases(
      client,
      Array.from({ length: sample }, (_, k) => workflowIdFor(`B-${firstMeasured + Math.floor(k * step)}`)),
    ),
  };
  for (const [name, p] of Object.entries(phases)) bench.log(`    ${name.padEnd(12)} ${fmtPhases(p)}`);
  return phases;
}

/**
 * (a) with the machine not saturated: what the reservation's path itself adds, without waiting for CPU. Also the
 * ids of the reservations it made, which stay held until `endAllButHeld`.
 */
export async function measureUnsaturated(bench: Bench) {
  const { sizes, load } = bench;
  const calmCount = Math.ceil(sizes.measured / 2);
  bench.log(`(a) ${calmCount} each at concurrency ${CALM_CONCURRENCY} (the cores not saturated)`);
  const [calmBase, calmBaseCpu] = await timedWithCpu(bench, calmCount, CALM_CONCURRENCY, () => load.baseline());
  const calmIds: string[] = [];
  const [calmReal, calmRealCpu] = await timedWithCpu(bench, calmCount, CALM_CONCURRENCY, async () =>
    calmIds.push(await load.reserveHeld()),
  );
  logPair(bench, calmBase, calmReal, calmBaseCpu, calmRealCpu);
  const unsaturated = {
    concurrency: CALM_CONCURRENCY,
    baseline: calmBase,
    reservation: calmReal,
    ratios: ratiosOf(calmReal, calmBase),
    cpuMsEach: { baseline: calmBaseCpu, reservation: calmRealCpu },
  };
  return { unsaturated, calmIds };
}

/** (b) OZmap calls: per reservation (counted in (a)) and per cancellation (now, releasing those very reservations). */
export async function countOzmapCalls(bench: Bench, throughput: Throughput) {
  const { sizes, sim, reservations } = bench;
  const { firstMeasured, reserveStats } = throughput;
  sim.stats.reset();
  const measuredIds = Array.from({ length: sizes.measured }, (_, k) => `B-${firstMeasured + k}`);
  await pool(measuredIds, sizes.concurrency, (id) => reservations.cancel(id, { reason: 'bench' }));
  await pool(measuredIds, sizes.concurrency, (id) => reservations.result(id));
  const cancelStats = sim.stats.snapshot();
  const calls = {
    perReservation: round(reserveStats.totalRequests / sizes.measured, 2),
    perCancellation: round(cancelStats.totalRequests / sizes.measured, 2),
    reservationRoutes: reserveStats.requests,
    cancellationRoutes: cancelStats.requests,
  };
  bench.log(`(b) OZmap calls: ${calls.perReservation} per reservation ${JSON.stringify(reserveStats.requests)}`);
  bench.log(`    ${calls.perCancellation} per cancellation ${JSON.stringify(cancelStats.requests)}`);
  return calls;
}

/** The baselines and the warm-up reservations end now, so that only what (c) holds stays in the worker. */
export async function endAllButHeld(bench: Bench, calmIds: readonly string[]): Promise<void> {
  const { sizes, client, reservations, load } = bench;
  await pool(
    Array.from({ length: load.baselines }, (_, k) => `baseline-BL-${k}`),
    sizes.concurrency,
    (id) => client.workflow.getHandle(id).signal(baselineRelease),
  );
  await pool([...Array.from({ length: sizes.warmup }, (_, k) => `B-${k}`), ...calmIds], sizes.concurrency, (id) =>
    reservations.cancel(id),
  );
  await waitUntil(async () => (await client.workflow.count('ExecutionStatus = "Running"')).count === 0, 120_000);
}

export interface HeldMemory {
  /** How many are held at the end (the last step). */
  held: number;
  memory: MemorySample[];
  fillSeconds: number;
  queried: Latencies;
  /** The viability ids held, in the order they were answered. */
  heldIds: string[];
}

/** (c) Memory with reservations held (30-day holds: they sleep on a server timer), and a query on one of them. */
export async function measureMemoryHeld(bench: Bench): Promise<HeldMemory> {
  const { sizes, load, worker, client, log } = bench;
  const memory: MemorySample[] = [];
  const heldIds: string[] = [];
  let held = 0;
  const fillStarted = Date.now();
  for (const target of sizes.heldSteps) {
    await pool(Array.from({ length: target - held }), sizes.concurrency * 2, async () => {
      heldIds.push(await load.reserveHeld());
    });
    held = target;
    await sleep(2000); // let the worker finish the tasks that follow each answer
    const sample = sampleOf(held, await worker.memory());
    memory.push(sample);
    log(`(c) ${String(held).padStart(5)} held: ${fmtMemory(sample)}`);
  }
  const fillSeconds = round((Date.now() - fillStarted) / 1000, 1);
  // A query on a held reservation: a replay of its history when the worker no longer caches it.
  const queried: Latencies = await timed(Math.min(sizes.queries, heldIds.length), 1, (i) =>
    client.workflow
      .getHandle(workflowIdFor(heldIds[Math.floor((i * heldIds.length) / sizes.queries)]!))
      .query(getState),
  );
  log(`(c) a query on a held reservation, one at a time: p50 ${queried.p50Ms} ms, p99 ${queried.p99Ms} ms`);
  return { held, memory, fillSeconds, queried, heldIds };
}

export interface AtOnce {
  seconds: number;
  perSecond: number;
  startedBeforeTheMoment: number;
  cpu: CpuPhase;
}

/**
 * `sizes.expiring` workflows of `type` started by `start` so that they all end at one moment, a window after now
 * long enough to start them all at `rate`: how long after that moment the last one completed, and the CPU it cost.
 */
async function atOnce(
  bench: Bench,
  type: string,
  rate: number,
  start: (at: number) => Promise<boolean>,
): Promise<AtOnce> {
  const { sizes, client, sim } = bench;
  const completed = async () =>
    (await client.workflow.count(`ExecutionStatus = "Completed" AND WorkflowType = "${type}"`)).count;
  const at = Date.now() + Math.ceil((sizes.expiring / rate) * 2000) + 15_000;
  const before = await completed();
  let inTime = 0;
  await pool(Array.from({ length: sizes.expiring }), sizes.concurrency * 2, async () => {
    if ((await start(at)) && Date.now() < at) inTime++;
  });
  sim.stats.reset();
  await sleep(Math.max(0, at - Date.now() - 1000));
  const cpuFromTheMoment = cpuMeter(bench.pids); // a second early: the meter reads /proc of three processes
  await sleep(Math.max(0, at - Date.now()));
  await waitUntil(async () => (await completed()) - before >= sizes.expiring, 15 * 60_000, 200);
  const seconds = round((Date.now() - at) / 1000, 1);
  const cpu = cpuFromTheMoment.stop(sizes.expiring);
  bench.log(`    CPU ms each: ${fmtCpu(cpu)}`);
  return { seconds, perSecond: round(sizes.expiring / seconds, 1), startedBeforeTheMoment: inTime, cpu };
}

/** (d) Baselines whose timers fire at once, then reservations that expire at once, on top of those held. */
export async function measureMassExpiry(bench: Bench, throughput: Throughput, held: number) {
  const { sizes, load, sim, worker, log } = bench;
  const baselineExpiry = await atOnce(bench, 'BaselineWorkflow', throughput.base.perSecond, async (at) => {
    await load.baseline(at);
    return true;
  });
  log(`(d) ${sizes.expiring} baseline timers at once: all completed in ${baselineExpiry.seconds} s`);
  const expiry = await atOnce(bench, 'ReservationWorkflow', throughput.real.perSecond, async (at) => {
    const state = await load.reserve((at - Date.now()) / DAY_MS);
    return state.status === 'RESERVED';
  });
  const expiryStats = sim.stats.snapshot();
  const after = sampleOf(held, await worker.memory());
  const expiryRatio = round(expiry.seconds / baselineExpiry.seconds, 2);
  log(
    `(d) ${sizes.expiring} reservations expiring at once: all released in ${expiry.seconds} s ` +
      `(${expiry.startedBeforeTheMoment} reserved before the moment); RSS after ${after.rssMiB} MiB`,
  );
  return { baselineExpiry, expiry, expiryStats, after, expiryRatio };
}
