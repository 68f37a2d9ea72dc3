/**
 * What the cluster tests share: the running cluster's addresses (from `npm run test:cluster`, test/cluster/run.ts),
 * Temporal clients on it, workers of their own on a task queue of their own, and signals to the cluster's processes
 * by name (their pids are in the supervisor's state.json; the supervisor brings a killed one back).
 */
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { ReservationsClient } from '../../client/reservations.ts';
import { isPortOpen } from '../../scripts/dev-server.ts';
import { spawnWorker, type WorkerProcess } from '../support/stack.ts';
import { SIM_API_KEY, type World } from '../support/world.ts';
import { SHORT_HOLD_ENV, SHORT_HOLD_LIMITS } from '../support/short-holds.ts';

export const CLUSTER_TEST_ENV = 'OZRES_CLUSTER_TEST';

export interface ClusterTestInfo {
  address: string;
  namespace: string;
  taskQueue: string;
  apiUrl: string;
  ispboxApiKey: string;
  adminApiKey: string;
  ozmapUrl: string;
  ozmapApiKey: string;
  prometheusUrl: string;
  stateFile: string;
  bundlePath: string;
  postgresPort: number;
  /** The cluster's workers by supervisor name, with the port each opens once it is up (its own metrics). */
  workers: Array<{ name: string; port: number }>;
}

export function clusterInfo(): ClusterTestInfo {
  const raw = process.env[CLUSTER_TEST_ENV];
  if (!raw) throw new Error('test/cluster files run inside `npm run test:cluster`, which starts the cluster');
  return JSON.parse(raw) as ClusterTestInfo;
}

export async function connectClient(info = clusterInfo()): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: info.address });
  return { client: new Client({ connection, namespace: info.namespace }), close: () => connection.close() };
}

export function reservationsOn(client: Client, taskQueue: string): ReservationsClient {
  // The cluster's workers allow holds of seconds (test/cluster/run.ts), for the tests that watch one end.
  return new ReservationsClient(client, taskQueue, {
    radiusMeters: 250,
    holdDays: 30,
    selectionTimeoutHours: 24,
    limits: SHORT_HOLD_LIMITS,
  });
}

/** A worker process of the test's own, on the cluster, against the test's simulator. */
export function startTestWorker(
  world: World,
  taskQueue: string,
  extra: NodeJS.ProcessEnv = {},
  info = clusterInfo(),
): WorkerProcess {
  return spawnWorker({
    ...process.env,
    TEMPORAL_ADDRESS: info.address,
    TEMPORAL_NAMESPACE: info.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    OZMAP_URL: world.simUrl,
    OZMAP_API_KEY: SIM_API_KEY,
    GEOCODER_MIN_INTERVAL_MS: '0',
    WORKFLOW_BUNDLE_PATH: info.bundlePath,
    WORKER_METRICS_ADDRESS: '',
    WORKER_APP_METRICS_ADDRESS: '',
    ...SHORT_HOLD_ENV,
    ...extra,
  });
}

export async function pidOf(name: string, info = clusterInfo()): Promise<number | undefined> {
  const state = JSON.parse(await readFile(info.stateFile, 'utf8')) as { pids: Record<string, number | null> };
  return state.pids[name] ?? undefined;
}

/** Signals one of the cluster's processes and waits until the supervisor has it running again on `port`. */
export async function bounce(
  name: string,
  signal: NodeJS.Signals,
  port: number,
  info = clusterInfo(),
): Promise<{ downMs: number }> {
  const pid = await pidOf(name, info);
  if (!pid) throw new Error(`${name} is not running (state ${info.stateFile})`);
  const t0 = Date.now();
  process.kill(pid, signal);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const now = await pidOf(name, info);
    if (now && now !== pid && (await isPortOpen('127.0.0.1', port))) return { downMs: Date.now() - t0 };
    if (Date.now() > deadline) throw new Error(`${name} did not come back within 120 s after ${signal}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Calls until it answers: the cluster may be restarting a part. */
export async function persist<T>(call: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
