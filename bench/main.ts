/**
 * `npm run bench`: one run on one private dev server (in memory), the OZmap simulator in this process (no injected
 * faults or latency), and the worker as a child process (bench/worker.ts, the production worker plus the baselines):
 *   (a) reservations per second and p50/p99 from update-with-start to RESERVED, against a baseline workflow with the
 *       same update-with-start and the same two activities as no-ops; same concurrency for both;
 *   (b) OZmap HTTP calls per reservation, per cancellation and per expiry, counted by the simulator;
 *   (c) the worker's memory, part by part (bench/worker.ts), with up to 20,000 reservations held, and a query's time
 *       on a held reservation (a replay when it is not cached);
 *   (d) the time to release 1,000 reservations that expire at once, on top of those held, against the time the same
 *       server and worker take to complete 1,000 baseline workflows whose timers fire at once;
 *   (e) per tenant, on a stack of its own (bench/tenants.ts): a noisy neighbour, a worker's memory with 1,000
 *       tenants, a registry look-up's cost.
 * Never part of the tests' pass/fail. Prints a summary, writes bench/results/latest.json (quick.json), exits 0.
 *   npm run bench -- --quick        (smaller numbers, to try it out)
 *   npm run bench -- --held 0,1000  (other held steps)
 *   npm run bench -- --cluster      (a) also on `npm run start:cluster`'s topology, with one and with two workers
 *   npm run bench -- --help
 * The worker's settings come from the environment as in production (WORKER_*, MALLOC_ARENA_MAX, LD_PRELOAD: see
 * bench/README.md).
 */
import { clusterThroughput } from './cluster.ts';
import {
  countOzmapCalls,
  endAllButHeld,
  measureMassExpiry,
  measureMemoryHeld,
  measureThroughput,
  measureUnsaturated,
  measureWhereTimeGoes,
} from './measure.ts';
import { readOptions, type BenchOptions } from './options.ts';
import { measureReads } from './reads.ts';
import type { Figures } from './figures.ts';
import { printSummary, writeResults } from './report.ts';
import { openStack, startStack, stopStack, type Bench } from './stack.ts';
import { measureTenants } from './tenants.ts';

async function main(options: BenchOptions): Promise<void> {
  const log = (line: string) => console.log(line);
  const stack = await openStack(log);
  let bench: Bench;
  let figures: Omit<Figures, 'tenants'>;
  try {
    bench = await startStack(stack, options.sizes, log);
    const throughput = await measureThroughput(bench);
    const phases = await measureWhereTimeGoes(bench, throughput.firstMeasured);
    const { unsaturated, calmIds } = await measureUnsaturated(bench);
    const calls = await countOzmapCalls(bench, throughput);
    await endAllButHeld(bench, calmIds);
    const held = await measureMemoryHeld(bench);
    const reads = await measureReads(bench, held.heldIds, options.quick ? 3 : 10);
    const expiry = await measureMassExpiry(bench, throughput, held.held);
    // The cluster's figures are an addition: one that fails to start is said, and the run's own figures still kept.
    const cluster = options.onCluster
      ? await clusterThroughput(log, options.sizes).catch((err: unknown) => {
          log(`(a) on the cluster: failed, left out: ${String(err)}`);
          return undefined;
        })
      : undefined;
    figures = { throughput, phases, unsaturated, calls, held, reads, expiry, cluster };
  } finally {
    await stopStack(stack);
  }
  // Tenants on a stack of their own, once the first one (and its 20,000 held) is gone.
  const tenants = await measureTenants(log, options.quick);
  printSummary(bench, options, { ...figures, tenants });
  await writeResults(bench, options, { ...figures, tenants });
}

const options = readOptions();
try {
  await main(options);
} catch (err) {
  console.error('the bench failed:', err);
  process.exit(1);
}
// Whatever a child or the cluster left open (sockets, timers) must not keep the bench from ending.
process.exit(0);
