/**
 * The per-user cache the Temporal binaries are kept in, outside the clone (docs/architecture.md, "Temporal
 * servers"), and its lock: one process builds or fetches at a time; the others wait, then find the result there.
 *
 * The lock is a pid file created exclusively (as PostgreSQL's postmaster.pid): stale once its process is gone, so a
 * build killed midway never blocks the next. It spares a second build, nothing more: every build writes into a
 * staging directory renamed into place, so two processes that both build lose time, never the cache.
 */
import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { errorCode, formatElapsed, isProcessAlive } from './processes.ts';

/** Per-user cache root: $ISPBOX_OZMAP_CACHE, else $XDG_CACHE_HOME/ispbox-ozmap, else ~/.cache/ispbox-ozmap. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ISPBOX_OZMAP_CACHE) return path.resolve(env.ISPBOX_OZMAP_CACHE);
  const xdg = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(env.HOME ?? os.homedir(), '.cache');
  return path.join(xdg, 'ispbox-ozmap');
}

/** Runs `fn` holding the cache's lock `name`, waiting (and saying who for, every 30 s) while another holds it. */
export async function withLock<T>(
  name: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const lockFile = path.join(cacheRoot(env), `.${name}.lock`);
  await mkdir(path.dirname(lockFile), { recursive: true });
  const waitStarted = Date.now();
  let lastNotice = 0;
  while (!(await tryCreateLock(lockFile))) {
    const holder = await lockHolder(lockFile);
    if (holder === 'stale') {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() - lastNotice >= 30_000) {
      lastNotice = Date.now();
      const waited = formatElapsed(Date.now() - waitStarted);
      log(`waiting for ${holder} to finish with the Temporal cache (${waited} so far; lock ${lockFile})`);
    }
    await delay(1_000);
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}

async function tryCreateLock(lockFile: string): Promise<boolean> {
  try {
    const handle = await open(lockFile, 'wx');
    await handle.writeFile(String(process.pid));
    await handle.close();
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** Who holds the lock, or 'stale' when that process is gone (killed mid-build). */
async function lockHolder(lockFile: string): Promise<string> {
  const [content, info] = await Promise.all([
    readFile(lockFile, 'utf8').catch(() => ''),
    stat(lockFile).catch(() => undefined),
  ]);
  if (!info) return 'stale';
  const pid = Number(content);
  // An empty file is one being written right now, unless it has been empty for a minute.
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - info.mtimeMs > 60_000 ? 'stale' : 'another process';
  return isProcessAlive(pid) ? `process ${pid}` : 'stale';
}
