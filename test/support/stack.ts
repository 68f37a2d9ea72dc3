/**
 * The whole product for end-to-end tests: a private Temporal dev server (with its Web UI), the OZmap simulator,
 * and the worker as a separate process, all on random loopback ports. The CLI runs as a real process too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { createDevServerEnv, type DevServerEnv } from './temporal.ts';
import { SIM_API_KEY, startWorld, type World } from './world.ts';

export interface Stack {
  dev: DevServerEnv;
  world: World;
  client: Client;
  reservations: ReservationsClient;
  /** Environment for our processes (worker, CLI) pointing at this stack. */
  env: NodeJS.ProcessEnv;
  worker: WorkerProcess;
  startWorker(): WorkerProcess;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startStack(
  options: {
    ui?: boolean;
    taskQueue?: string;
    /** More for the worker and CLI (WEBHOOK_URL, say). */ env?: NodeJS.ProcessEnv;
  } = {},
): Promise<Stack> {
  const [dev, world] = await Promise.all([createDevServerEnv({ ui: options.ui }), startWorld()]);
  const taskQueue = options.taskQueue ?? 'e2e';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: dev.address,
    TEMPORAL_NAMESPACE: dev.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    OZMAP_URL: world.simUrl,
    OZMAP_API_KEY: SIM_API_KEY,
    GEOCODER_MIN_INTERVAL_MS: '0',
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const client = dev.env.client;
  const reservations = new ReservationsClient(client, taskQueue, {
    radiusMeters: 250,
    holdDays: 30,
    selectionTimeoutHours: 24,
  });
  const workers: WorkerProcess[] = [];
  const startWorker = () => {
    const w = spawnWorker(env);
    workers.push(w);
    return w;
  };
  const worker = startWorker();
  await worker.ready;
  return {
    dev,
    world,
    client,
    reservations,
    env,
    worker,
    startWorker,
    cli: (args, extraEnv = {}) => run([...entryArgs('cli'), ...args], { ...env, ...extraEnv }),
    async stop() {
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
      await world.close();
      await dev.stop();
    },
  };
}

/**
 * How to run the worker or the CLI: compiled, when scripts/run-tests.ts built them once for the whole run
 * (TEST_WORKER_ENTRY, TEST_CLI_ENTRY), else from source through tsx.
 */
export function entryArgs(entry: 'worker' | 'cli'): string[] {
  const built = entry === 'worker' ? process.env.TEST_WORKER_ENTRY : process.env.TEST_CLI_ENTRY;
  return built ? [built] : ['--import', 'tsx', path.join(projectRoot, entry, 'main.ts')];
}

export function spawnWorker(env: NodeJS.ProcessEnv): WorkerProcess {
  const child = spawn(process.execPath, entryArgs('worker'), {
    // The bundle scripts/run-tests.ts built once, as the built worker runs one (WORKFLOW_BUNDLE_PATH).
    env: {
      ...env,
      LOG_LEVEL: 'info',
      ...(env.TEST_WORKER_BUNDLE && !env.WORKFLOW_BUNDLE_PATH ? { WORKFLOW_BUNDLE_PATH: env.TEST_WORKER_BUNDLE } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (chunk.toString().includes('Worker started')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it started:\n${output.join('')}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    output,
    ready,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/** Runs node with `args` to its exit; `input` is its standard input. */
export function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(input); // without input, an empty one
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
