/**
 * What a feasibility batch costs (docs/demand.md, "Batch feasibility: how it works"): `npm run bench:batch [rows]`
 * (default 10,000) rows with coordinates spread over the simulator's seeded town, run by the production worker built
 * as production's is (a child process) on a private dev server, nothing else running. It prints, each with its goal:
 *  - the wall time from the workflow's start to its result (goal < 3 min on 2 cores);
 *  - OZmap calls, from the simulator's request counts (goal ≤ 1,000: areas, not rows);
 *  - the worker's peak RSS, VmHWM of its process (goal < 400 MiB);
 *  - a row-by-row check of 200 sampled rows, each surveyed alone with surveyBoxes against the same simulator: the
 *    same viable, boxId and distance. The bench exits non-zero when a sampled row disagrees.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { OzmapClient } from '../activities/ozmap/client.ts';
import { surveyBoxes } from '../activities/survey.ts';
import {
  BATCH_WORKFLOW_TYPE,
  MAX_BATCH_ROWS,
  batchWorkflowIdFor,
  type BatchInputRow,
  type BatchWorkflowInput,
} from '../contract/demand.ts';
import { BatchStore } from '../registry/batches.ts';
import { migrate, openRegistryDb } from '../registry/database.ts';
import { startDevServer } from '../scripts/dev-server.ts';
import { BUILD_DIR, buildWorker } from '../scripts/worker-build.ts';
import { startSimulator } from '../simulator/server.ts';
import { WORKER_NODE_ARGS, workerProcessEnv } from '../worker/process-env.ts';
import { WORKFLOW_BUNDLE_FILE } from '../worker/worker.ts';

const ROWS = Number(process.argv[2] ?? 10_000);
const SAMPLE = 200;
const KEY = 'bench-ozmap-key';
const RADIUS = 250;
const TASK_QUEUE = 'bench-batch';
const BATCH_ID = 'fb_benchbenchbenchbench';
/** The seeded town's boxes lie within this box (simulator seed 1042), with a little margin. */
const TOWN = { south: -27.609, north: -27.577, west: -48.564, east: -48.517 };
const GOALS = { wallSeconds: 180, ozmapCalls: 1000, rssMiB: 400 };

/** A small seeded generator (mulberry32): the same rows every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* rows(n: number): Iterable<BatchInputRow> {
  const next = random(1042);
  for (let i = 0; i < n; i++)
    yield {
      id: `row-${i}`,
      lat: (TOWN.south + next() * (TOWN.north - TOWN.south)).toFixed(6),
      lng: (TOWN.west + next() * (TOWN.east - TOWN.west)).toFixed(6),
    };
}

const log = (line: string) => console.log(line);
const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-batch-'));
const sim = await startSimulator({ port: 0, apiKey: KEY, log: () => {} });
const server = await startDevServer({ port: 0, headless: true, logLevel: 'error', log: () => {} });
const db = openRegistryDb({ kind: 'sqlite', file: path.join(dataDir, 'registry.sqlite') });
let failed = false;
let stopWorker = async () => {};
try {
  await migrate(db);
  const store = new BatchStore(db);
  const buildDir = path.join(BUILD_DIR, 'bench-batch');
  const { workerFile } = await buildWorker(buildDir);
  const child = spawn(process.execPath, [...WORKER_NODE_ARGS, workerFile], {
    env: workerProcessEnv({
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: server.namespace,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      OZMAP_URL: sim.url,
      OZMAP_API_KEY: KEY,
      ISPBOX_OZMAP_DATA_DIR: dataDir,
      WORKFLOW_BUNDLE_PATH: path.join(buildDir, WORKFLOW_BUNDLE_FILE),
      RECONCILE_SCHEDULE: 'off',
      LOG_LEVEL: 'info',
    }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  stopWorker = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('Worker started') && resolve());
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it started`)));
  });

  await store.create(
    {
      id: BATCH_ID,
      tenantId: 'default',
      options: { radiusMeters: RADIUS, prospects: false },
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    },
    rows(ROWS),
    MAX_BATCH_ROWS,
  );
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  sim.stats.reset();
  const started = performance.now();
  const args: [BatchWorkflowInput] = [{ tenantId: 'default', batchId: BATCH_ID }];
  await client.workflow.execute(BATCH_WORKFLOW_TYPE, {
    taskQueue: TASK_QUEUE,
    workflowId: batchWorkflowIdFor('default', BATCH_ID),
    args,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const ozmapCalls = sim.stats.snapshot().totalRequests;
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
  await connection.close();

  const progress = (await store.progress('default', BATCH_ID))!;
  const results = await store.results('default', BATCH_ID, 0, ROWS);
  const step = Math.max(1, Math.floor(results.length / SAMPLE));
  const sampled = results.filter((_, i) => i % step === 0).slice(0, SAMPLE);
  const ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: KEY });
  const disagreements: string[] = [];
  for (const { input, result } of sampled) {
    const alone = await surveyBoxes(ozmap, { lat: Number(input.lat), lng: Number(input.lng), radiusMeters: RADIUS });
    const [nearest] = alone.candidates;
    const expected = [nearest !== undefined, nearest?.boxId ?? null, nearest?.distanceMeters ?? null];
    const got = [result?.outcome === 'viable', result?.boxId ?? null, result?.distanceMeters ?? null];
    if (JSON.stringify(expected) !== JSON.stringify(got))
      disagreements.push(`${input.id}: batch ${JSON.stringify(got)}, alone ${JSON.stringify(expected)}`);
  }
  await ozmap.close();

  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  log(`${ROWS} rows with coordinates over the seeded town (seed 1042), radius ${RADIUS} m, one worker process`);
  log(
    `status ${progress.status}: ${progress.done} done, ${progress.viable} viable, ${progress.notViable} not viable, ` +
      `${progress.invalid} invalid`,
  );
  log(
    `wall time: ${wallSeconds.toFixed(1)} s (goal < ${GOALS.wallSeconds} s) ${mark(wallSeconds < GOALS.wallSeconds)}`,
  );
  log(`OZmap calls: ${ozmapCalls} (goal ≤ ${GOALS.ozmapCalls}) ${mark(ozmapCalls <= GOALS.ozmapCalls)}`);
  log(`worker peak RSS (VmHWM): ${rssMiB.toFixed(0)} MiB (goal < ${GOALS.rssMiB} MiB) ${mark(rssMiB < GOALS.rssMiB)}`);
  log(
    `sampled rows surveyed alone: ${sampled.length - disagreements.length} of ${sampled.length} agree ` +
      `(goal: all) ${mark(disagreements.length === 0)}`,
  );
  for (const line of disagreements.slice(0, 10)) log(`  ${line}`);
  failed = disagreements.length > 0 || progress.done !== ROWS;
} finally {
  await stopWorker();
  await db.destroy();
  await server.stop();
  await sim.close();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
