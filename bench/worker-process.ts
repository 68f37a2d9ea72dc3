/**
 * The bench worker as a child process (bench/worker.ts), built as production's is, with its memory probe on the IPC
 * channel and a stop that cannot hang the bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../scripts/temporal-tools.ts';
import { BUILD_DIR, buildWorkerEntry, buildWorkflowBundle } from '../scripts/worker-build.ts';
import { WORKER_NODE_ARGS, workerProcessEnv } from '../worker/process-env.ts';
import { WORKFLOW_BUNDLE_FILE } from '../worker/worker.ts';
import type { WorkerMemory } from './worker.ts';

export interface WorkerChild {
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

export async function startWorker(env: NodeJS.ProcessEnv): Promise<WorkerChild> {
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
