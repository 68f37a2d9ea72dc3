/**
 * Runs the cluster's processes (docs/deployment.md): each is a direct child (no shell in between, so a signal
 * reaches the real process), its output relayed line by line with its name, restarted when it dies unexpectedly
 * (as a service manager would in production), and stopped in reverse order of start. `state.json` lists the live
 * pids, so tests and operators can kill one on purpose and watch it come back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
  /** Restart when it exits on its own. Default true. */
  restart?: boolean;
  /** Signal for a clean stop. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** How long a clean stop may take before SIGKILL. Default 15 s. */
  stopGraceMs?: number;
  /** Resolves true once the process serves; polled until readyTimeoutMs. */
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Output lines to drop (chatty but harmless). */
  quiet?: RegExp;
  /** Turns an output line into what is shown (JSON logs into one readable line). */
  format?: (line: string) => string;
}

export interface Supervised {
  readonly name: string;
  readonly pid: number | undefined;
  readonly restarts: number;
  /** Sends a signal; with `restart: false` the supervisor does not bring it back. */
  kill(signal: NodeJS.Signals, opts?: { restart?: boolean }): void;
  /** Resolves once it runs again (after a kill) and is ready. */
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const TAIL_LINES = 40;

export class Supervisor {
  private readonly started: Array<ManagedProcess> = [];
  private stopping = false;

  constructor(
    private readonly log: (line: string) => void,
    private readonly stateFile?: string,
  ) {}

  /** Starts the process and waits until it is ready (or fails with its last output). */
  async start(spec: ProcessSpec): Promise<Supervised> {
    const managed = new ManagedProcess(
      spec,
      this.log,
      () => this.stopping,
      () => void this.saveState(),
    );
    this.started.push(managed);
    managed.launch();
    await managed.waitReady(spec.readyTimeoutMs ?? 60_000);
    return managed;
  }

  get(name: string): Supervised | undefined {
    return this.started.find((p) => p.name === name);
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.started.map((p) => [p.name, p.pid]));
  }

  /** Stops everything, last started first, each with its own clean signal. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const managed of [...this.started].reverse()) {
      await managed
        .stop()
        .catch((error: unknown) => this.log(`[cluster] while stopping ${managed.name}: ${String(error)}`));
    }
  }

  private saving: Promise<void> = Promise.resolve();

  /** One write at a time, each of the latest pids; a failed write is reported, never fatal. */
  private saveState(): Promise<void> {
    const file = this.stateFile;
    if (!file) return Promise.resolve();
    this.saving = this.saving
      .then(async () => {
        const temporary = `${file}.${process.pid}`;
        await writeFile(temporary, `${JSON.stringify({ supervisor: process.pid, pids: this.pids() }, null, 2)}\n`);
        await rename(temporary, file);
      })
      .catch((error: unknown) => this.log(`[cluster] could not write ${file}: ${String(error)}`));
    return this.saving;
  }
}

class ManagedProcess implements Supervised {
  private child: ChildProcess | undefined;
  private tail: string[] = [];
  private noRestart = false;
  private stopped = false;
  private exitedAt: Promise<void> = Promise.resolve();
  restarts = 0;

  constructor(
    private readonly spec: ProcessSpec,
    private readonly log: (line: string) => void,
    private readonly shuttingDown: () => boolean,
    private readonly changed: () => void,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.running() ? this.child?.pid : undefined;
  }

  private running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  launch(): void {
    const { spec } = this;
    const child = spawn(spec.command, spec.args, {
      env: spec.env ?? process.env,
      cwd: spec.cwd,
      uid: spec.uid,
      gid: spec.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: Ctrl-C at the terminal reaches only the supervisor, which then stops everything
      // in order (PostgreSQL last), instead of every process at once.
      detached: true,
    });
    this.child = child;
    this.tail = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        if (!spec.quiet?.test(line)) this.log(`[${spec.name}] ${spec.format ? spec.format(line) : line}`);
      });
    }
    this.exitedAt = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.log(`[${spec.name}] could not be started: ${error.message}`);
        resolve();
      });
      child.once('exit', (code, signal) => {
        resolve();
        this.changed();
        if (this.stopped || this.shuttingDown()) return;
        if (this.noRestart || spec.restart === false) {
          this.log(`[${spec.name}] exited (${signal ?? code}); not restarting it`);
          return;
        }
        this.restarts += 1;
        const delayMs = Math.min(10_000, 500 * 2 ** Math.min(this.restarts - 1, 5));
        this.log(`[${spec.name}] exited (${signal ?? code}); restarting in ${delayMs} ms`);
        setTimeout(() => {
          if (!this.stopped && !this.shuttingDown()) this.launch();
        }, delayMs).unref();
      });
    });
    // If Node itself exits without stopping us (an uncaught error), take the child along rather than orphan it.
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    this.changed();
  }

  kill(signal: NodeJS.Signals, opts: { restart?: boolean } = {}): void {
    this.noRestart = opts.restart === false;
    this.child?.kill(signal);
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.running() && (!this.spec.ready || (await this.spec.ready().catch(() => false)))) return;
      if (this.stopped || (this.child && !this.running() && (this.noRestart || this.spec.restart === false))) {
        throw this.failure('exited before it was ready');
      }
      if (Date.now() > deadline) throw this.failure(`was not ready within ${timeoutMs / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (!this.running()) return;
    this.child!.kill(this.spec.stopSignal ?? 'SIGTERM');
    const force = setTimeout(() => {
      this.log(`[${this.spec.name}] did not stop in time: SIGKILL`);
      this.child?.kill('SIGKILL');
    }, this.spec.stopGraceMs ?? 15_000);
    await this.exitedAt;
    clearTimeout(force);
  }

  private failure(what: string): Error {
    const { command, args } = this.spec;
    return new Error(
      `${this.spec.name} (${[command, ...args].join(' ')}) ${what}.` +
        (this.tail.length > 0 ? ` Last output:\n${this.tail.join('\n')}` : ' It printed nothing.'),
    );
  }
}
