/** `npm start` (scripts/start.ts) as a real process, for the tests that run the embedded default end to end. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../scripts/temporal-tools.ts';

/**
 * Starts it and resolves once it prints its URLs and the worker is up; gives up (SIGINT) after `timeoutMs`. `output` is
 * what it printed until then; `logs()` all it has printed so far, stdout and stderr (the worker's and the API's
 * lines included), for as long as it runs and after.
 */
export async function startNpmStart(
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<{ child: ChildProcess; output: string; logs: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'scripts', 'start.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs); // then the exit below rejects with the output
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Stop: Ctrl-C') && output.includes('Worker started')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  }).finally(() => clearTimeout(timer));
  return { child, output, logs: () => output };
}

/** Stops it as Ctrl-C does, and waits until it has exited. */
export async function stopNpmStart(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}
