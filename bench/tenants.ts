/**
 * Per-tenant figures (docs/tenants.md), on a stack of their own: a private dev server with Priority and Fairness on
 * (as `npm start` runs it), the HTTP API in this process with its admin routes (tenants are registered as
 * `ozres tenants add` does, PUT /v1/admin/tenants/{id}), the bench worker as a child process in multi-tenant mode
 * (TENANT_SECRETS_KEY and the registry's data folder, configured from the environment as production is), and
 * simulators in this process: one each for tenants A, B and C, and a few shared by the many others (a simulator
 * takes one key; each tenant still has its own registry row, sealed key, OZmap client and connections).
 *   1. noisy neighbour: A's p50 at a modest concurrency alone, then while B's OZmap hangs with B's reservations in
 *      flight and C starts a burst at once; the ratio, goal ≤ 1.2, and where A's time went in each (histories);
 *   2. the worker's RSS after a GC with one tenant, then with 1,000 registered and 100 active: goal ≤ 30 MiB more;
 *   3. a registry look-up per activity, in this process (bench/tenant-lookup.ts).
 * `npx tsx bench/tenants-main.ts [--quick]` runs it alone; bench/main.ts runs it after its own figures.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { DEFAULT_SLOTS_PER_TENANT } from '../activities/tenant-ozmaps.ts';
import { createHttpLogger, startHttpApi } from '../api/main.ts';
import { ReservationsClient } from '../client/reservations.ts';
import { loadConfig } from '../config/env.ts';
import { workflowIdFor } from '../contract/ids.ts';
import { ReservationStatusKey, TenantIdKey } from '../contract/search-attributes.ts';
import { FAIRNESS_DYNAMIC_CONFIG, findFreePort, startDevServer, type DevServer } from '../scripts/dev-server.ts';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import { registerTenantActivityRate, type TenantRateRegistration } from '../worker/tenant-rate.ts';
import { RESERVATION_DEFAULTS, spreadPoints } from './load.ts';
import { fmtOptions, sampleOf, type MemorySample } from './memory.ts';
import { meanPhases, type Phases } from './phases.ts';
import type { Log } from './stack.ts';
import { cpuMeter } from './cpu.ts';
import type { CpuPhase } from './format.ts';
import { meanTaskWaits, type TaskWaits } from './task-waits.ts';
import { measureLookups, type LookupFigures } from './tenant-lookup.ts';
import { pool, round, timed, type Latencies } from './timing.ts';
import { startWorker, type WorkerChild } from './worker-process.ts';
import type { WorkerMemory } from './worker.ts';

export const NOISE_GOAL = 1.2;
export const MEMORY_GOAL_MIB = 30;
const TASK_QUEUE = 'bench-tenants';
/** Simulators the many tenants share (A, B and C have one each). */
const SHARED_SIMULATORS = 4;
/** How long the bench waits for C's burst to be reserved, once A is done. */
const BURST_WAIT_MS = 120_000;

export interface TenantSizes {
  /** A's reservations alone and again under noise, and how many at once. */
  measured: number;
  concurrency: number;
  /** B's reservations on its hung OZmap, and C's burst. */
  broken: number;
  burst: number;
  registered: number;
  /** Tenants that make one reservation each; the one tenant makes as many, twice, before the others exist. */
  active: number;
  /** Look-ups per round of the micro-benchmark. */
  lookups: number;
}

export const tenantSizes = (quick: boolean): TenantSizes =>
  quick
    ? { measured: 24, concurrency: 4, broken: 10, burst: 200, registered: 1000, active: 25, lookups: 5_000 }
    : { measured: 60, concurrency: 4, broken: 20, burst: 200, registered: 1000, active: 100, lookups: 20_000 };

export interface TenantFigures {
  sizes: TenantSizes;
  /** The worker's cache, task slots, threads and node flags, as the environment set them. */
  workerOptions: string;
  noise: {
    alone: Latencies;
    loaded: Latencies;
    p50Ratio: number;
    p99Ratio: number;
    met: boolean;
    /** Where A's time went (means over its histories, server clock), alone and under noise. */
    phases: { alone: Phases; loaded: Phases };
    /** Where A's workflow tasks waited: the shared queue (Fairness) or the worker's sticky queue (first come). */
    taskWaits: { alone: TaskWaits; loaded: TaskWaits };
    /** Seconds from the burst's start until C's last reservation answered, and how many of them did. */
    burst: { seconds: number; reserved: number };
    /** Per cent of one core, per process and thread, during A's rounds. */
    cpu: { alone: CpuPhase; loaded: CpuPhase };
    /** The isolation this run had (docs/tenants.md, "Isolation"). */
    isolation: { fairness: boolean; tenantRate: TenantRateRegistration; perSecond: number; slotsPerTenant: number };
  };
  memory: {
    oneTenant: MemorySample;
    /** The same after as many reservations again: what work alone moves. */
    oneTenantAgain: MemorySample;
    manyTenants: MemorySample;
    registerSeconds: number;
    overOneMiB: number;
    driftMiB: number;
    met: boolean;
  };
  lookups: LookupFigures;
}

interface Parts {
  sims: Simulator[];
  dataDir?: string;
  server?: DevServer;
  api?: { close(): Promise<void> };
  connection?: Connection;
  worker?: WorkerChild;
}

interface Tenant {
  id: string;
  sim: Simulator;
}

export async function measureTenants(log: Log, quick: boolean): Promise<TenantFigures> {
  const sizes = tenantSizes(quick);
  const parts: Parts = { sims: [] };
  try {
    return await measure(parts, sizes, log);
  } finally {
    await parts.worker?.stop();
    await parts.connection?.close();
    await parts.api?.close();
    await parts.server?.stop();
    await Promise.all(parts.sims.map((sim) => sim.close()));
    if (parts.dataDir) rmSync(parts.dataDir, { recursive: true, force: true });
  }
}

async function measure(parts: Parts, sizes: TenantSizes, log: Log): Promise<TenantFigures> {
  const simulator = async () => {
    const sim = await startSimulator({ port: 0, apiKey: randomBytes(12).toString('hex'), log: () => {} });
    parts.sims.push(sim);
    return sim;
  };
  const [a, b, c] = [await simulator(), await simulator(), await simulator()];
  const shared = await Promise.all(Array.from({ length: SHARED_SIMULATORS }, simulator));
  const dataDir = (parts.dataDir = mkdtempSync(path.join(tmpdir(), 'bench-tenants-')));
  const server = (parts.server = await startDevServer({
    port: 0,
    headless: true,
    logLevel: 'error',
    log: (l) => !l.includes('time=') && log(l),
    dynamicConfig: FAIRNESS_DYNAMIC_CONFIG,
  }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    OZMAP_URL: shared[0]!.url,
    OZMAP_API_KEY: shared[0]!.apiKey,
    ISPBOX_OZMAP_DATA_DIR: dataDir,
    TENANT_SECRETS_KEY: randomBytes(32).toString('base64'),
    ADMIN_API_KEY: randomBytes(24).toString('hex'),
    ISPBOX_API_KEY: randomBytes(24).toString('hex'),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(await findFreePort()),
    LOG_LEVEL: 'error',
  };
  // The registry is this run's SQLite file, under this run's key, whatever the shell says.
  for (const name of ['DATABASE_URL', 'TENANT_SECRETS_KEY_ID', 'TENANT_SECRETS_PREVIOUS_KEYS']) delete env[name];
  const config = loadConfig(env, 'api');
  const api = (parts.api = await startHttpApi(config, createHttpLogger('silent')));
  const register = registrar(api.url, env.ADMIN_API_KEY!);
  const tenantA = { id: 'tenant-a', sim: a };
  await register(tenantA);

  const connection = (parts.connection = await Connection.connect({ address: server.address }));
  const client = new Client({ connection, namespace: server.namespace });
  // What production's worker sets at start (worker/main.ts); the bench worker leaves it to its caller.
  const perSecond = loadConfig(env).worker.tenantActivitiesPerSecond;
  const tenantRate = await registerTenantActivityRate(
    client,
    { namespace: server.namespace, taskQueue: TASK_QUEUE, perSecond },
    { info: () => {}, warn: (o) => log(`  tenants: the per-tenant rate was not set: ${JSON.stringify(o)}`) },
  );
  const worker = (parts.worker = await startWorker(env));
  const base = new ReservationsClient(client, TASK_QUEUE, RESERVATION_DEFAULTS);
  const reserver = reservations(base);

  // 2. Memory: one tenant, then the many.
  await pool(range(sizes.active), 8, () => reserver.reserve(tenantA));
  const first = await settledMemory(worker);
  const oneTenant = sampleOf(0, first);
  await pool(range(sizes.active), 8, () => reserver.reserve(tenantA));
  const oneTenantAgain = sampleOf(0, await settledMemory(worker));
  const tenantB = { id: 'tenant-b', sim: b };
  const tenantC = { id: 'tenant-c', sim: c };
  const others = range(sizes.registered - 3).map((i) => ({
    id: `tenant-${String(i).padStart(4, '0')}`,
    sim: shared[i % shared.length]!,
  }));
  const registering = performance.now();
  await pool([tenantB, tenantC, ...others], 8, register);
  const registerSeconds = round((performance.now() - registering) / 1000, 1);
  await pool(others.slice(0, sizes.active), 8, (t) => reserver.reserve(t));
  const manyTenants = sampleOf(0, await settledMemory(worker));
  const overOneMiB = round(manyTenants.rssMiB - oneTenantAgain.rssMiB, 1);
  log(
    `  tenants: worker RSS one tenant ${oneTenant.rssMiB} → ${oneTenantAgain.rssMiB} MiB, ${sizes.registered} ` +
      `registered (in ${registerSeconds} s) and ${sizes.active} active ${manyTenants.rssMiB} MiB`,
  );

  // 3. Look-ups, on the registry of the 1,000, while nothing else runs.
  const lookups = await measureLookups(
    loadConfig(env),
    [tenantA, tenantB, tenantC, ...others].map((t) => t.id),
    sizes.lookups,
  );

  // 1. Noisy neighbour.
  const pids = { server: server.pid!, worker: worker.pid, bench: process.pid };
  const alone = await reserver.timedRound(tenantA, sizes, pids);
  b.setFaults({ latencyMs: 120_000 });
  const burstStarted = performance.now();
  await Promise.all([
    ...range(sizes.broken).map(() => reserver.start(tenantB)),
    ...range(sizes.burst).map(() => reserver.start(tenantC)),
  ]);
  const loaded = await reserver.timedRound(tenantA, sizes, pids);
  const p50Ratio = round(loaded.latencies.p50Ms / alone.latencies.p50Ms, 2);
  const p99Ratio = round(loaded.latencies.p99Ms / alone.latencies.p99Ms, 2);
  const burst = await burstSettled(client, tenantC.id, sizes.burst, burstStarted);
  const phases = {
    alone: await meanPhases(client, alone.workflowIds),
    loaded: await meanPhases(client, loaded.workflowIds),
  };
  const taskWaits = {
    alone: await meanTaskWaits(client, alone.workflowIds),
    loaded: await meanTaskWaits(client, loaded.workflowIds),
  };
  return {
    sizes,
    workerOptions: fmtOptions(first),
    noise: {
      alone: alone.latencies,
      loaded: loaded.latencies,
      p50Ratio,
      p99Ratio,
      met: p50Ratio <= NOISE_GOAL,
      phases,
      taskWaits,
      cpu: { alone: alone.cpu, loaded: loaded.cpu },
      burst,
      isolation: { fairness: true, tenantRate, perSecond, slotsPerTenant: DEFAULT_SLOTS_PER_TENANT },
    },
    memory: {
      oneTenant,
      oneTenantAgain,
      manyTenants,
      registerSeconds,
      overOneMiB,
      driftMiB: round(oneTenantAgain.rssMiB - oneTenant.rssMiB, 1),
      met: overOneMiB <= MEMORY_GOAL_MIB,
    },
    lookups,
  };
}

/**
 * The worker's memory after a GC: of three probes a second apart, the one of median RSS, so that a probe that caught
 * the worker mid-way through its last tasks' work does not make the figure (the figure is a few MiB).
 */
async function settledMemory(worker: WorkerChild): Promise<WorkerMemory> {
  const probes: WorkerMemory[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await sleep(1000);
    probes.push(await worker.memory());
  }
  return probes.sort((x, y) => x.rss - y.rss)[1]!;
}

/** How long until all of the tenant's `count` reservations were RESERVED (visibility, polled), or the wait ended. */
async function burstSettled(client: Client, tenantId: string, count: number, startedAt: number) {
  const query = `${TenantIdKey.name} = "${tenantId}" AND ${ReservationStatusKey.name} = "RESERVED"`;
  let reserved = 0;
  for (let waited = 0; waited < BURST_WAIT_MS; waited += 500) {
    reserved = (await client.workflow.count(query)).count;
    if (reserved >= count) break;
    await sleep(500);
  }
  return { seconds: round((performance.now() - startedAt) / 1000, 1), reserved };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Registers a tenant as `ozres tenants add` does: the admin API's PUT, its OZmap URL and key. */
function registrar(apiUrl: string, adminKey: string) {
  return async (tenant: Tenant): Promise<void> => {
    const response = await fetch(`${apiUrl}/v1/admin/tenants/${tenant.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: tenant.id, ozmap: { url: tenant.sim.url, apiKey: tenant.sim.apiKey } }),
    });
    if (response.status !== 201)
      throw new Error(`PUT tenant ${tenant.id}: ${response.status} ${await response.text()}`);
  };
}

/** Each tenant's reservations through the client library, numbered per tenant, at points with free ports. */
function reservations(base: ReservationsClient) {
  const clients = new Map<string, ReservationsClient>();
  const counts = new Map<string, number>();
  const points = new Map<Simulator, ReturnType<typeof spreadPoints>>();
  const request = (tenant: Tenant) => {
    const i = counts.get(tenant.id) ?? 0;
    counts.set(tenant.id, i + 1);
    if (!points.has(tenant.sim)) points.set(tenant.sim, spreadPoints(tenant.sim));
    const at = points.get(tenant.sim)!;
    const viabilityId = `V-${i}`;
    return { viabilityId, customer: { code: `C-${i}`, name: `Cliente ${i}` }, coordinates: at[i % at.length]! };
  };
  const clientOf = (tenant: Tenant) => {
    if (!clients.has(tenant.id)) clients.set(tenant.id, base.forTenant(tenant.id, base.defaults));
    return clients.get(tenant.id)!;
  };
  const reserve = async (tenant: Tenant): Promise<string> => {
    const input = request(tenant);
    const state = await clientOf(tenant).reserve(input);
    if (state.status !== 'RESERVED') throw new Error(`${tenant.id} ${input.viabilityId} answered ${state.status}`);
    return workflowIdFor(input.viabilityId, tenant.id);
  };
  return {
    reserve,
    start: (tenant: Tenant) => clientOf(tenant).start(request(tenant)),
    /** `measured` reservations of the tenant, `concurrency` at a time, timed; the workflows they ran. */
    async timedRound(tenant: Tenant, sizes: TenantSizes, pids: Record<string, number>) {
      const workflowIds: string[] = [];
      const meter = cpuMeter(pids);
      const latencies = await timed(sizes.measured, sizes.concurrency, async () =>
        workflowIds.push(await reserve(tenant)),
      );
      // Per cent of one core, per process and thread, over the round.
      return { latencies, workflowIds, cpu: meter.stop(latencies.seconds * 10) };
    },
  };
}
