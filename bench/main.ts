/**
 * `npm run bench`: one run on one private dev server (in memory), the OZmap simulator in this process (no injected
 * faults or latency), and the worker as a child process (bench/worker.ts, the production worker plus the baselines):
 *   (a) reservations per second and p50/p99 from update-with-start to RESERVED, against a baseline workflow with the
 *       same update-with-start and the same two activities as no-ops; same concurrency for both;
 *   (b) OZmap HTTP calls per reservation, per cancellation and per expiry, counted by the simulator;
 *   (c) the worker's memory, part by part (bench/worker.ts), with up to 20,000 reservations held, and a query's time
 *       on a held reservation (a replay when it is not cached);
 *   (d) the time to release 1,000 reservations that expire at once, on top of those held, against the time the same
 *       server and worker take to complete 1,000 baseline workflows whose timers fire at once.
 * Never part of the tests' pass/fail. Prints a summary, writes bench/results/latest.json (quick.json), exits 0.
 *   npm run bench -- --quick        (smaller numbers, to try it out)
 *   npm run bench -- --held 0,1000  (other held steps)
 *   npm run bench -- --cluster      (a) also on `npm run start:cluster`'s topology, with one and with two workers
 *   npm run bench -- --help
 * The worker's settings come from the environment as in production (WORKER_*, MALLOC_ARENA_MAX, LD_PRELOAD: see
 * bench/README.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { ReservationsClient } from '../client/reservations.ts';
import { loadConfig } from '../config/env.ts';
import { workflowIdFor } from '../contract/ids.ts';
import { getState } from '../contract/messages.ts';
import { startCluster } from '../scripts/cluster/cluster.ts';
import { startDevServer, type DevServer } from '../scripts/dev-server.ts';
import { projectRoot } from '../scripts/temporal-tools.ts';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import type { Coordinates } from '../contract/schemas.ts';
import { CustomerCodeKey, ReservationStatusKey, ViabilityIdKey } from '../contract/search-attributes.ts';
import { BaselineWorkflow, baselineRelease, baselineReady } from './workflows/baseline.ts';
import { LAYER_SHIFT_DEGREES, widenNetwork } from './network.ts';
import { meanPhases, type Phases } from './phases.ts';
import { cpuMeter, type CpuMeter } from './cpu.ts';
import { WORKER_NODE_ARGS, workerProcessEnv } from '../worker/process-env.ts';
import { WORKFLOW_BUNDLE_FILE } from '../worker/worker.ts';
import { BUILD_DIR, buildWorkerEntry, buildWorkflowBundle } from '../scripts/worker-build.ts';
import type { WorkerMemory } from './worker.ts';

const USAGE = `npm run bench -- [--quick] [--held N,N,...] [--expiring N] [--concurrency N] [--cluster]
  --quick      60 measured, held 0,100,200, 100 expiring (a minute or two)
  --held       the held steps of (c) (default 0,1000,5000,10000,20000; quick 0,100,200)
  --expiring   how many expire at once in (d) (default 1000; quick 100)
  --concurrency calls in flight in (a) and (b) (default 16; quick 8)
  --cluster    (a) also on a fresh npm run start:cluster topology, one worker then two
The worker is configured from the environment like npm run worker (WORKER_MAX_CACHED_WORKFLOWS, ...).`;
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    held: { type: 'string' },
    expiring: { type: 'string' },
    concurrency: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const quick = args.quick;
const onCluster = args.cluster;
const SIZES = {
  ...(quick
    ? { warmup: 10, measured: 60, concurrency: 8, heldSteps: [0, 100, 200], expiring: 100, queries: 20 }
    : {
        warmup: 40,
        measured: 400,
        concurrency: 16,
        heldSteps: [0, 1000, 5000, 10000, 20000],
        expiring: 1000,
        queries: 100,
      }),
  ...(args.held && { heldSteps: args.held.split(',').map((n) => wholeNumber('--held', n)) }),
  ...(args.expiring && { expiring: wholeNumber('--expiring', args.expiring) }),
  ...(args.concurrency && { concurrency: Math.max(1, wholeNumber('--concurrency', args.concurrency)) }),
};
const TASK_QUEUE = 'bench';
/** (a) again with this many in flight: two cores then wait for the server's round trips, not for each other. */
const CALM_CONCURRENCY = 2;
const API_KEY = 'bench-ozmap-key';
const DAY_MS = 86_400_000;
/**
 * Mass expiry holds for seconds, ending at one instant: fractions of a day, which a deployment allows only when told
 * to (RESERVATION_FRACTIONAL_HOLD_DAYS; contract/limits.ts). The client library and the worker both check it.
 */
const SHORT_HOLDS = { limits: { maxHoldDays: 90, fractionalHoldDays: true } } as const;
const SHORT_HOLDS_ENV = { RESERVATION_FRACTIONAL_HOLD_DAYS: 'true' } as const;

function wholeNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${flag} takes whole numbers, e.g. ${flag} 1000 (got "${text}")\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

interface Latencies {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

interface MemorySample {
  held: number;
  rssMiB: number;
  /** The highest RSS since the worker started (VmHWM): the fill's peak, before the GC the probe runs. */
  rssPeakMiB: number;
  rssAnonMiB: number;
  rssFileMiB: number;
  mainHeapUsedMiB: number;
  mainHeapResidentMiB: number;
  externalMiB: number;
  workflowThreadsHeapUsedMiB: number;
  workflowThreadsHeapResidentMiB: number;
  /** Anonymous RSS that no V8 heap accounts for: the SDK core (Rust), buffers, allocator fragmentation. */
  nativeMiB: number;
}

function sampleOf(held: number, m: WorkerMemory): MemorySample {
  const sum = (f: (t: WorkerMemory['threads'][number]) => number) => m.threads.reduce((a, t) => a + f(t), 0);
  const threadsResident = sum((t) => t.physicalBytes);
  return {
    held,
    rssMiB: mib(m.rss),
    rssPeakMiB: mib(m.rssPeak),
    rssAnonMiB: mib(m.rssAnon),
    rssFileMiB: mib(m.rssFile),
    mainHeapUsedMiB: mib(m.heapUsed),
    mainHeapResidentMiB: mib(m.heapPhysical),
    externalMiB: mib(m.external),
    workflowThreadsHeapUsedMiB: mib(sum((t) => t.usedBytes)),
    workflowThreadsHeapResidentMiB: mib(threadsResident),
    nativeMiB: mib(m.rssAnon - m.heapPhysical - threadsResident),
  };
}

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const sim = await startSimulator({ port: 0, apiKey: API_KEY, log });
  let server: DevServer | undefined;
  let worker: WorkerChild | undefined;
  let connection: Connection | undefined;
  try {
    // Ports for everything held at once plus (a)'s and (d)'s, with room for the search to find one nearby.
    const portsNeeded = Math.max(...SIZES.heldSteps) + SIZES.expiring + 2 * (SIZES.measured + SIZES.warmup);
    const layers = Math.ceil((portsNeeded * 1.3) / (228 * 16));
    const added = widenNetwork(sim.store, layers);
    server = await startDevServer({
      port: 0,
      headless: true,
      logLevel: 'error',
      log: (l) => !l.includes('time=') && log(l),
    });
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    const reservations = new ReservationsClient(client, TASK_QUEUE, {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
      ...SHORT_HOLDS,
    });
    worker = await startWorker({
      ...process.env,
      ...SHORT_HOLDS_ENV,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      OZMAP_URL: sim.url,
      OZMAP_API_KEY: API_KEY,
      LOG_LEVEL: 'warn',
    });
    const fresh = await worker.memory();
    const points = spreadPoints(sim, layers);
    let next = 0;
    const reserve = (holdDays: number) => {
      const i = next++;
      const id = `B-${i}`;
      return reservations.reserve({
        viabilityId: id,
        customer: { code: `C-${i}`, name: `Cliente ${i}` },
        coordinates: points[i % points.length]!,
        holdDays,
      });
    };
    const reserveHeld = async () => {
      const state = await reserve(30);
      if (state.status !== 'RESERVED') throw new Error(`${state.viabilityId} answered ${state.status}`);
      return state.viabilityId;
    };
    let baselines = 0;
    const baseline = (until?: number) => startBaseline(client, TASK_QUEUE, `BL-${baselines++}`, until);

    // (a) Throughput and latency, baseline then reservation, after a warm-up of each.
    log(`(a) ${SIZES.measured} each at concurrency ${SIZES.concurrency}, after ${SIZES.warmup} to warm up`);
    await timed(SIZES.warmup, SIZES.concurrency, () => baseline());
    await timed(SIZES.warmup, SIZES.concurrency, reserveHeld);
    const pids = { server: server.pid!, worker: worker.pid, bench: process.pid };
    /** `timed`, with the CPU each call cost in the bench's processes. */
    const timedWithCpu = async (count: number, concurrency: number, fn: (i: number) => Promise<unknown>) => {
      const meter = cpuMeter(pids);
      const latencies = await timed(count, concurrency, fn);
      return [latencies, meter.stop(count)] as const;
    };
    const logPair = (base: Latencies, real: Latencies, baseCpu: CpuPhase, realCpu: CpuPhase) => {
      log(`    baseline     ${fmt(base)}`);
      log(`    reservation  ${fmt(real)}`);
      log(`    CPU ms each: baseline ${fmtCpu(baseCpu)}`);
      log(`                 reservation ${fmtCpu(realCpu)}`);
    };
    const [base, baseCpu] = await timedWithCpu(SIZES.measured, SIZES.concurrency, () => baseline());
    sim.stats.reset();
    const firstMeasured = next;
    const [real, realCpu] = await timedWithCpu(SIZES.measured, SIZES.concurrency, reserveHeld);
    const reserveStats = sim.stats.snapshot();
    logPair(base, real, baseCpu, realCpu);
    const ratios = ratiosOf(real, base);
    const cpuRatio = round(totalCpu(realCpu) / totalCpu(baseCpu), 2);

    // Where (a)'s time goes, from the histories of a sample of the measured runs of each.
    const sample = Math.min(40, SIZES.measured);
    const step = SIZES.measured / sample;
    const phases = {
      baseline: await meanPhases(
        client,
        Array.from({ length: sample }, (_, k) => `baseline-BL-${SIZES.warmup + Math.floor(k * step)}`),
      ),
      reservation: await meanPhases(
        client,
        Array.from({ length: sample }, (_, k) => workflowIdFor(`B-${firstMeasured + Math.floor(k * step)}`)),
      ),
    };
    for (const [name, p] of Object.entries(phases)) log(`    ${name.padEnd(12)} ${fmtPhases(p)}`);

    // The same with the machine not saturated: what the reservation's path itself adds, without waiting for CPU.
    const calmCount = Math.ceil(SIZES.measured / 2);
    log(`(a) ${calmCount} each at concurrency ${CALM_CONCURRENCY} (the cores not saturated)`);
    const [calmBase, calmBaseCpu] = await timedWithCpu(calmCount, CALM_CONCURRENCY, () => baseline());
    const calmIds: string[] = [];
    const [calmReal, calmRealCpu] = await timedWithCpu(calmCount, CALM_CONCURRENCY, async () =>
      calmIds.push(await reserveHeld()),
    );
    logPair(calmBase, calmReal, calmBaseCpu, calmRealCpu);
    const unsaturated = {
      concurrency: CALM_CONCURRENCY,
      baseline: calmBase,
      reservation: calmReal,
      ratios: ratiosOf(calmReal, calmBase),
      cpuMsEach: { baseline: calmBaseCpu, reservation: calmRealCpu },
    };

    // (b) OZmap calls: per reservation (above) and per cancellation (now, releasing those very reservations).
    sim.stats.reset();
    const measuredIds = Array.from({ length: SIZES.measured }, (_, k) => `B-${firstMeasured + k}`);
    await pool(measuredIds, SIZES.concurrency, (id) => reservations.cancel(id, { reason: 'bench' }));
    await pool(measuredIds, SIZES.concurrency, (id) => reservations.result(id));
    const cancelStats = sim.stats.snapshot();
    const calls = {
      perReservation: round(reserveStats.totalRequests / SIZES.measured, 2),
      perCancellation: round(cancelStats.totalRequests / SIZES.measured, 2),
      reservationRoutes: reserveStats.requests,
      cancellationRoutes: cancelStats.requests,
    };
    log(`(b) OZmap calls: ${calls.perReservation} per reservation ${JSON.stringify(reserveStats.requests)}`);
    log(`    ${calls.perCancellation} per cancellation ${JSON.stringify(cancelStats.requests)}`);
    // The baselines and the warm-up reservations end now, so that only what (c) holds stays in the worker.
    await pool(
      Array.from({ length: baselines }, (_, k) => `baseline-BL-${k}`),
      SIZES.concurrency,
      (id) => client.workflow.getHandle(id).signal(baselineRelease),
    );
    await pool([...Array.from({ length: SIZES.warmup }, (_, k) => `B-${k}`), ...calmIds], SIZES.concurrency, (id) =>
      reservations.cancel(id),
    );
    await waitUntil(async () => (await client.workflow.count('ExecutionStatus = "Running"')).count === 0, 120_000);

    // (c) Memory with reservations held (30-day holds: they sleep on a server timer).
    const memory: MemorySample[] = [];
    const heldIds: string[] = [];
    let held = 0;
    const fillStarted = Date.now();
    for (const target of SIZES.heldSteps) {
      await pool(Array.from({ length: target - held }), SIZES.concurrency * 2, async () => {
        heldIds.push(await reserveHeld());
      });
      held = target;
      await sleep(2000); // let the worker finish the tasks that follow each answer
      const sample = sampleOf(held, await worker.memory());
      memory.push(sample);
      log(`(c) ${String(held).padStart(5)} held: ${fmtMemory(sample)}`);
    }
    const fillSeconds = round((Date.now() - fillStarted) / 1000, 1);
    // A query on a held reservation: a replay of its history when the worker no longer caches it.
    const queried: Latencies = await timed(Math.min(SIZES.queries, heldIds.length), 1, (i) =>
      client.workflow
        .getHandle(workflowIdFor(heldIds[Math.floor((i * heldIds.length) / SIZES.queries)]!))
        .query(getState),
    );
    log(`(c) a query on a held reservation, one at a time: p50 ${queried.p50Ms} ms, p99 ${queried.p99Ms} ms`);

    // (d) Baselines whose timers fire at once, then reservations that expire at once, on top of those held.
    const completed = async (type: string) =>
      (await client.workflow.count(`ExecutionStatus = "Completed" AND WorkflowType = "${type}"`)).count;
    const windowMs = (rate: number) => Math.ceil((SIZES.expiring / rate) * 2000) + 15_000;
    const atOnce = async (
      type: string,
      rate: number,
      start: (at: number) => Promise<boolean>,
    ): Promise<{ seconds: number; perSecond: number; startedBeforeTheMoment: number; cpu: CpuPhase }> => {
      const at = Date.now() + windowMs(rate);
      const before = await completed(type);
      let inTime = 0;
      await pool(Array.from({ length: SIZES.expiring }), SIZES.concurrency * 2, async () => {
        if ((await start(at)) && Date.now() < at) inTime++;
      });
      sim.stats.reset();
      await sleep(Math.max(0, at - Date.now() - 1000));
      const cpuFromTheMoment = cpuMeter(pids); // a second early: the meter reads /proc of three processes
      await sleep(Math.max(0, at - Date.now()));
      await waitUntil(async () => (await completed(type)) - before >= SIZES.expiring, 15 * 60_000, 200);
      const seconds = round((Date.now() - at) / 1000, 1);
      const cpu = cpuFromTheMoment.stop(SIZES.expiring);
      log(`    CPU ms each: ${fmtCpu(cpu)}`);
      return { seconds, perSecond: round(SIZES.expiring / seconds, 1), startedBeforeTheMoment: inTime, cpu };
    };
    const baselineExpiry = await atOnce('BaselineWorkflow', base.perSecond, async (at) => {
      await baseline(at);
      return true;
    });
    log(`(d) ${SIZES.expiring} baseline timers at once: all completed in ${baselineExpiry.seconds} s`);
    const expiry = await atOnce('ReservationWorkflow', real.perSecond, async (at) => {
      const state = await reserve((at - Date.now()) / DAY_MS);
      return state.status === 'RESERVED';
    });
    const expiryStats = sim.stats.snapshot();
    const after = sampleOf(held, await worker.memory());
    const expiryRatio = round(expiry.seconds / baselineExpiry.seconds, 2);
    log(
      `(d) ${SIZES.expiring} reservations expiring at once: all released in ${expiry.seconds} s ` +
        `(${expiry.startedBeforeTheMoment} reserved before the moment); RSS after ${after.rssMiB} MiB`,
    );

    const cluster = onCluster ? await clusterThroughput(log) : undefined;
    const perExpiry = round(expiryStats.totalRequests / SIZES.expiring, 2);
    const summary = [
      '',
      `summary (${quick ? 'quick' : 'full'}; worker ${fmtOptions(fresh)}; ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => round(l, 1))
        .join(' ')})`,
      `  throughput   reservation ${real.perSecond}/s, baseline ${base.perSecond}/s: ×${ratios.throughput}`,
      `  p50          ${real.p50Ms} vs ${base.p50Ms} ms: ×${ratios.p50}`,
      `  p99          ${real.p99Ms} vs ${base.p99Ms} ms: ×${ratios.p99}`,
      `  CPU          ${fmtCpuVs(realCpu, baseCpu)}: ×${cpuRatio}`,
      `  unsaturated  at concurrency ${CALM_CONCURRENCY}: throughput ×${unsaturated.ratios.throughput}, ` +
        `p50 ${calmReal.p50Ms} vs ${calmBase.p50Ms} ms ×${unsaturated.ratios.p50}, p99 ×${unsaturated.ratios.p99}`,
      `  where (mean) reservation ${fmtPhases(phases.reservation)}`,
      `               baseline    ${fmtPhases(phases.baseline)}`,
      `  OZmap calls  ${calls.perReservation} per reservation, ${calls.perCancellation} per cancellation, ` +
        `${perExpiry} per expiry`,
      `  worker RSS   fresh ${mib(fresh.rss)} MiB; ` +
        memory.map((m) => `${m.held.toLocaleString('en')} held ${m.rssMiB}`).join(' · ') +
        ` MiB (after a GC; highest since start ${memory.at(-1)?.rssPeakMiB} MiB)`,
      `  query        on a held reservation p50 ${queried.p50Ms} ms, p99 ${queried.p99Ms} ms`,
      `  mass expiry  ${SIZES.expiring} reservations ${expiry.seconds} s, ${SIZES.expiring} baseline timers ` +
        `${baselineExpiry.seconds} s: ×${expiryRatio}; CPU ${fmtCpuVs(expiry.cpu, baselineExpiry.cpu)}`,
      ...(cluster
        ? cluster.map((f) => `  cluster      ${f.workers} worker(s): reservation ${fmt(f.reservation)}`)
        : []),
    ];
    for (const line of summary) log(line);

    const results = {
      date: new Date().toISOString(),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model,
        ramGiB: round(os.totalmem() / 2 ** 30, 1),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
        loadAverageAtEnd: os.loadavg().map((l) => round(l, 1)),
      },
      setup: {
        server: 'temporal server start-dev, in memory',
        worker: 'child process (bench/worker.ts)',
        workerOptions: fresh.options,
        allocator: fresh.allocator,
        simulator: 'in the bench process, no injected faults or latency',
        quick,
        ...SIZES,
        widenedBoxes: added,
      },
      throughput: {
        baseline: base,
        reservation: real,
        ratios,
        phases,
        cpuMsEach: { baseline: baseCpu, reservation: realCpu },
        cpuRatio,
        unsaturated,
      },
      ...(cluster && { cluster: { setup: 'npm run start:cluster topology, fresh PostgreSQL', throughput: cluster } }),
      ozmapCalls: { ...calls, perExpiry, expiryRoutes: expiryStats.requests },
      memory: {
        fresh: sampleOf(0, fresh),
        samples: memory,
        afterExpiry: after,
        heldFillSeconds: fillSeconds,
        queryOnHeld: queried,
      },
      expiry: { ...expiry, count: SIZES.expiring, baseline: baselineExpiry, ratio: expiryRatio },
    };
    const name = `${quick ? 'quick' : 'latest'}${onCluster ? '-cluster' : ''}.json`;
    const out = path.join(projectRoot, 'bench', 'results', name);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`results: ${path.relative(projectRoot, out)}`);
  } finally {
    await worker?.stop();
    await connection?.close();
    await server?.stop();
    await sim.close();
  }
}

async function startBaseline(client: Client, taskQueue: string, id: string, until?: number): Promise<string> {
  const startWorkflowOperation = new WithStartWorkflowOperation(BaselineWorkflow, {
    workflowId: `baseline-${id}`,
    taskQueue,
    args: until === undefined ? [] : [until],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [
      { key: ViabilityIdKey, value: id },
      { key: CustomerCodeKey, value: id },
      { key: ReservationStatusKey, value: 'SEARCHING' },
    ],
    staticSummary: `Baseline ${id}`,
  });
  const state = await client.workflow.executeUpdateWithStart(baselineReady, { startWorkflowOperation });
  if (state.status !== 'RESERVED') throw new Error(`baseline ${id} answered ${state.status}`);
  return `baseline-${id}`;
}

/** Ports apart from `npm run start:cluster`'s and `npm run test:cluster`'s (docs/deployment.md, ports). */
const CLUSTER_ENV: NodeJS.ProcessEnv = {
  TEMPORAL_ADDRESS: '127.0.0.1:27233',
  TEMPORAL_NAMESPACE: 'default',
  CLUSTER_POSTGRES_PORT: '25432',
  CLUSTER_UI_PORT: '28233',
  CLUSTER_PROMETHEUS_PORT: '29090',
  CLUSTER_METRICS_PORT_BASE: '29000',
  CLUSTER_WORKERS: '1',
  HTTP_PORT: '23000',
  OZMAP_API_KEY: API_KEY,
  ISPBOX_API_KEY: 'bench-cluster-ispbox-key-0123456789',
  LOG_LEVEL: 'warn',
};

interface ClusterFigures {
  workers: number;
  baseline: Latencies;
  reservation: Latencies;
}

/**
 * (a) on the cluster: a fresh one (PostgreSQL, the Temporal services as processes) and a simulator of its own, then
 * the same warm-up and measure with one bench worker, then with a second one added on the same task queue. The
 * cluster's own worker serves another queue and stays idle.
 */
async function clusterThroughput(log: (line: string) => void): Promise<ClusterFigures[]> {
  const sim = await startSimulator({ port: 0, apiKey: API_KEY, log });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ozres-bench-cluster-'));
  const env = { ...process.env, ...CLUSTER_ENV, OZMAP_URL: sim.url, ISPBOX_OZMAP_DATA_DIR: dataDir };
  const workers: WorkerChild[] = [];
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  let connection: Connection | undefined;
  try {
    widenNetwork(sim.store);
    const quiet = /^\[(postgres|history|matching|frontend|worker|ui|api|cluster)\]/;
    cluster = await startCluster({ config: loadConfig(env), env, dataDir, log: (l) => !quiet.test(l) && log(l) });
    connection = await Connection.connect({ address: cluster.address });
    const client = new Client({ connection, namespace: 'default' });
    const points = spreadPoints(sim);
    const figures: ClusterFigures[] = [];
    const taskQueue = TASK_QUEUE;
    for (const count of [1, 2]) {
      workers.push(await startWorker({ ...env, TEMPORAL_ADDRESS: cluster.address, TEMPORAL_TASK_QUEUE: taskQueue }));
      const reservations = new ReservationsClient(client, taskQueue, {
        radiusMeters: 250,
        holdDays: 30,
        selectionTimeoutHours: 24,
      });
      let next = 0;
      const reserve = async () => {
        const i = next++;
        const state = await reservations.reserve({
          viabilityId: `B${count}-${i}`,
          customer: { code: `C-${i}`, name: `Cliente ${i}` },
          coordinates: points[(i + count * 10_000) % points.length]!,
          holdDays: 30,
        });
        if (state.status !== 'RESERVED') throw new Error(`${state.viabilityId} answered ${state.status}`);
      };
      let b = 0;
      const baseline = () => startBaseline(client, taskQueue, `BL${count}-${b++}`);
      await timed(SIZES.warmup, SIZES.concurrency, baseline);
      await timed(SIZES.warmup, SIZES.concurrency, reserve);
      const base = await timed(SIZES.measured, SIZES.concurrency, baseline);
      const real = await timed(SIZES.measured, SIZES.concurrency, reserve);
      log(`    cluster, ${count} worker(s): baseline     ${fmt(base)}`);
      log(`    cluster, ${count} worker(s): reservation  ${fmt(real)}`);
      figures.push({ workers: count, baseline: base, reservation: real });
    }
    return figures;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await connection?.close();
    await cluster?.stop();
    await sim.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs `count` calls of `fn`, `concurrency` at a time; the latency of each and the overall rate. */
async function timed(count: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<Latencies> {
  const latencies: number[] = [];
  const started = Date.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const t = performance.now();
      await fn(i);
      latencies.push(performance.now() - t);
    },
  );
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!);
  return { count, seconds: round(seconds, 2), perSecond: round(count / seconds, 1), p50Ms: q(0.5), p99Ms: q(0.99) };
}

/**
 * Runs `fn` over `items`, `concurrency` at a time. After a failure it starts no more and waits for those in flight,
 * then throws the first error: nothing may still be calling the server once the bench tears it down.
 */
async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (!failure && next < items.length) {
        try {
          await fn(items[next++]!);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting after ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}

/** Every box with a free drop port, as a customer location: reservations spread out, so they rarely collide. */
/** A customer point at every box with a free port, in the seeded town and in each widened layer's own town. */
function spreadPoints(sim: Simulator, layers = 1): Coordinates[] {
  return Array.from({ length: Math.max(1, layers) }, (_, k) =>
    sim.store
      .boxesNear({ lat: -27.5935 - LAYER_SHIFT_DEGREES * k, lng: -48.5515 }, 5000)
      .filter((b) => !b.box.draft && b.splitters.some((s) => s.freePorts.length > 0))
      .map((b) => ({ lat: b.box.lat, lng: b.box.lng })),
  ).flat();
}

interface WorkerChild {
  readonly pid: number;
  memory(): Promise<WorkerMemory>;
  stop(): Promise<void>;
}

/**
 * The bench worker built as production's is (scripts/worker-build.ts): compiled, with its workflows (the real one
 * and the baseline) pre-bundled. The compiled file lives under dist/, where it finds node_modules.
 */
async function buildBenchWorker(): Promise<{ workerFile: string; bundleFile: string }> {
  const dir = path.join(BUILD_DIR, 'bench');
  const workerFile = path.join(dir, 'worker.js');
  const bundleFile = path.join(dir, WORKFLOW_BUNDLE_FILE);
  await Promise.all([
    buildWorkerEntry(path.join(projectRoot, 'bench', 'worker.ts'), workerFile),
    buildWorkflowBundle(bundleFile, {
      workflowsPath: path.join(projectRoot, 'bench', 'workflows', 'index.ts'),
      interceptorModules: [],
    }),
  ]);
  return { workerFile, bundleFile };
}

async function startWorker(env: NodeJS.ProcessEnv): Promise<WorkerChild> {
  const { workerFile, bundleFile } = await buildBenchWorker();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--expose-gc',
      ...WORKER_NODE_ARGS,
      ...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      path.join(projectRoot, 'bench', 'thread-probe.js'),
      workerFile,
    ],
    {
      env: workerProcessEnv({ ...env, WORKFLOW_BUNDLE_PATH: bundleFile }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the bench worker exited (${code}) before it started`)));
  });
  return {
    pid: child.pid!,
    memory: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as WorkerMemory));
        child.send('memory');
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      // A worker on the cluster has been seen not to end on SIGTERM with reservations held: the bench must end.
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const fmt = (l: Latencies) => `${l.perSecond}/s (${l.count} in ${l.seconds} s), p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`;
const fmtPhases = (p: Phases) =>
  `history: ${p.totalMs} ms to the answer = ${p.workflowTasks} workflow tasks ${p.workflowTasksMs} ms, ` +
  `activities queued ${p.activityQueueMs} ms, running ${p.activityRunMs} ms; ${p.upserts} upserts, ` +
  `${p.historyBytes} B of history (activity results ${p.activityResultBytes} B)`;
/** Reservation against baseline: throughput, p50 and p99. */
const ratiosOf = (real: Latencies, base: Latencies) => ({
  throughput: round(real.perSecond / base.perSecond, 2),
  p50: round(real.p50Ms / base.p50Ms, 2),
  p99: round(real.p99Ms / base.p99Ms, 2),
});
type CpuPhase = ReturnType<CpuMeter['stop']>;
/** "reservation vs baseline ms per workflow", in all and by process. */
const fmtCpuVs = (real: CpuPhase, base: CpuPhase) =>
  `${totalCpu(real)} vs ${totalCpu(base)} ms per workflow (` +
  Object.keys(real)
    .map((p) => `${p} ${real[p]!.total} vs ${base[p]!.total}`)
    .join(', ') +
  ')';
const totalCpu = (cpu: CpuPhase) =>
  round(
    Object.values(cpu).reduce((sum, p) => sum + p.total, 0),
    1,
  );
const fmtCpu = (cpu: CpuPhase) =>
  Object.entries(cpu)
    .map(
      ([name, { total, ...threads }]) =>
        `${name} ${total} (` +
        Object.entries(threads)
          .sort((a, b) => b[1] - a[1])
          .filter(([, ms]) => ms >= 0.5)
          .map(([t, ms]) => `${t} ${ms}`)
          .join(', ') +
        ')',
    )
    .join('; ');
const fmtMemory = (m: MemorySample) =>
  `RSS ${m.rssMiB} MiB = file ${m.rssFileMiB} + anon ${m.rssAnonMiB} (main heap ${m.mainHeapResidentMiB}, ` +
  `workflow threads' heaps ${m.workflowThreadsHeapResidentMiB}, native ${m.nativeMiB}); peak so far ${m.rssPeakMiB}`;
const fmtOptions = (m: WorkerMemory) =>
  `${Object.entries(m.options)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ')}, allocator ${m.allocator}`;
const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

try {
  await main();
} catch (err) {
  console.error('the bench failed:', err);
  process.exit(1);
}
// Whatever a child or the cluster left open (sockets, timers) must not keep the bench from ending.
process.exit(0);
