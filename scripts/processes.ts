/**
 * Child processes and executables, for the scripts that find, build or run the Temporal binaries
 * (temporal-tools.ts, cluster/): run a long build with progress, capture a short command's output, find an
 * executable on PATH, tell whether a pid is alive.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

const PROGRESS_INTERVAL_MS = 5_000;

interface ProgressOptions {
  onLine: (line: string) => void;
  progress: (elapsed: string) => string;
  log: (line: string) => void;
}

/** Runs a long build, reporting `progress` every few seconds and failing with the tail of its output. */
export function runWithProgress(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: ProgressOptions,
): Promise<void> {
  const started = Date.now();
  const tail: string[] = [];
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (raw) => {
      const line = stripAnsi(raw);
      opts.onLine(line);
      tail.push(line);
      if (tail.length > 30) tail.shift();
    });
  }
  const ticker = setInterval(() => opts.log(opts.progress(formatElapsed(Date.now() - started))), PROGRESS_INTERVAL_MS);
  return new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const what = `${path.basename(command)} ${args[0] ?? ''}`;
      reject(new Error(`\`${what}\` exited with ${signal ?? `code ${code}`}:\n${tail.join('\n')}`));
    });
  }).finally(() => clearInterval(ticker));
}

export function capture(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} exited with ${code}: ${output}`));
    });
  });
}

export async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

export async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}

export async function isExecutableFile(file: string): Promise<boolean> {
  if (!(await isFile(file))) return false;
  return await access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

export function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error ? String(error.code) : undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether a process with that pid exists (signal 0 checks without sending anything; EPERM: it exists). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}
