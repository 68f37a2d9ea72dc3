/**
 * The run's workers, kept as a supervisor keeps them: a worker that cannot start (Temporal down at that moment: a
 * restart of the server overlapping the worker's own) is started again after a pause; one that dies on its own after
 * it started (not by the run's kill) is replaced and counted: that should not happen.
 */
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnWorker, type WorkerProcess } from '../support/stack.ts';
import type { Log } from './services.ts';

const WORKER_READY_TIMEOUT_MS = 60_000;
const WORKER_START_ATTEMPTS = 10;

export class WorkerSupervisor {
  /** Every worker started, the failed starts and the replaced ones included: their output is the post-mortem. */
  readonly all: WorkerProcess[] = [];
  /** The worker running now (the latest one started). */
  current: WorkerProcess | undefined;
  /** Set once the run is over: from then on an exit is expected and no start is tried again. */
  stopping = false;
  /** Worker starts that failed (Temporal unreachable at that moment) and were tried again. */
  failedStarts = 0;
  unexpectedExits = 0;
  private env: NodeJS.ProcessEnv = {};

  constructor(private readonly log: Log) {}

  async startFirst(env: NodeJS.ProcessEnv): Promise<void> {
    this.env = env;
    await this.start();
  }

  /** Starts a worker (again until it starts, up to WORKER_START_ATTEMPTS), which then becomes `current`. */
  async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const next = spawnWorker(this.env);
      this.all.push(next);
      try {
        await withTimeout(next.ready, WORKER_READY_TIMEOUT_MS, 'the worker did not start');
      } catch (error) {
        await next.kill('SIGKILL');
        if (attempt >= WORKER_START_ATTEMPTS || this.stopping) throw error;
        this.failedStarts++;
        this.log(`[chaos] a worker did not start (${firstLine(error)}); starting it again`);
        await sleep(2000);
        continue;
      }
      this.watchForUnexpectedExit(next);
      this.current = next;
      return;
    }
  }

  /** SIGTERM to every worker; then, with `workerLog`, every worker's output written there. */
  async stopAll(workerLog: string | undefined): Promise<void> {
    await Promise.allSettled(this.all.map((w) => w.kill('SIGTERM')));
    if (workerLog)
      await writeFile(workerLog, this.all.map((w, i) => `===== worker ${i + 1}\n${w.output.join('')}`).join('\n'));
  }

  /** How many nondeterminism errors the workers logged. */
  nondeterminismErrors(): number {
    return this.all.reduce((n, w) => n + (w.output.join('').match(/nondetermin/gi)?.length ?? 0), 0);
  }

  private watchForUnexpectedExit(next: WorkerProcess): void {
    let killedByUs = false;
    const kill = next.kill.bind(next);
    next.kill = (signal) => {
      killedByUs = true;
      return kill(signal);
    };
    next.child.once('exit', (code, signal) => {
      if (killedByUs || this.stopping) return;
      this.unexpectedExits++;
      this.log(
        `[chaos] the worker exited by itself (${signal ?? code}); starting another. ` +
          `Its last output:\n${next.output.slice(-5).join('')}`,
      );
      void this.start().catch((error: unknown) => this.log(`[chaos] could not restart the worker: ${String(error)}`));
    });
  }
}

const firstLine = (error: unknown) => String(error instanceof Error ? error.message : error).split('\n')[0];

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
