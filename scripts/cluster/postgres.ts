/**
 * The cluster's own PostgreSQL (docs/deployment.md): a data folder of its own, TCP on loopback only (no Unix socket),
 * password authentication (SCRAM) with a generated password kept next to the data in a file only its owner reads.
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user; that user must be able to
 * traverse the path to its data folder, and when the project lives under a folder it cannot enter, the data goes to
 * a folder under the system's temporary directory instead (said at start-up).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isPortOpen } from '../dev-server.ts';
import { isProcessAlive } from '../processes.ts';
import type { ProcessSpec } from './supervisor.ts';

export const PG_USER = 'temporal';

export interface PostgresPlan {
  binDir: string;
  dataDir: string;
  port: number;
  /** The unprivileged user it runs as when we are root. */
  runAs?: { uid: number; gid: number; name: string };
  password: string;
  /** Why the data is not where it was asked to be, when it is not. */
  relocated?: string;
}

/** initdb/pg_ctl/postgres: on PATH, else Debian's /usr/lib/postgresql/<newest>/bin. */
export async function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    // Links on PATH (e.g. /usr/local/bin/postgres) lead to the folder with pg_isready and the rest.
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))) {
      return path.dirname(realpathSync(path.join(dir, 'postgres')));
    }
  }
  const debian = '/usr/lib/postgresql';
  const versions = (await readdir(debian).catch(() => [] as string[]))
    .filter((v) => /^\d+$/.test(v) && existsSync(path.join(debian, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  if (versions[0]) return path.join(debian, versions[0], 'bin');
  throw new Error(
    'PostgreSQL was not found (no initdb/postgres on PATH nor under /usr/lib/postgresql). ' +
      'Fix: apt-get install -y postgresql (Debian 12 ships PostgreSQL 15), or put its bin folder on PATH.',
  );
}

function lookUpUser(name: string): { uid: number; gid: number; name: string } | undefined {
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name };
}

/** Whether `user` may enter `dir` (which checks every folder on the way, as path resolution does). */
function canTraverse(dir: string, user: { uid: number; gid: number } | undefined): boolean {
  if (!user) return true;
  return spawnSync('test', ['-x', dir], { uid: user.uid, gid: user.gid }).status === 0;
}

/** Picks the data folder and the user, initialises the cluster on first use; returns how to run it. */
export async function preparePostgres(opts: {
  wantedDataDir: string;
  secretsDir: string;
  port: number;
  log: (line: string) => void;
}): Promise<PostgresPlan> {
  const binDir = await findPostgresBinDir();
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot ? lookUpUser('postgres') : undefined;
  if (isRoot && !runAs) {
    throw new Error(
      'PostgreSQL refuses to run as root, and there is no `postgres` user to run it as. ' +
        'Fix: apt-get install -y postgresql (it creates the user), or run `npm run start:cluster` as a normal user.',
    );
  }

  let dataDir = opts.wantedDataDir;
  let relocated: string | undefined;
  await mkdir(path.dirname(dataDir), { recursive: true });
  if (!canTraverse(path.dirname(dataDir), runAs)) {
    const tag = createHash('sha256').update(opts.wantedDataDir).digest('hex').slice(0, 12);
    const base = path.join(os.tmpdir(), `ispbox-ozmap-postgres-${tag}`);
    relocated =
      `the ${runAs?.name} user cannot reach ${path.dirname(dataDir)} (a parent folder is closed to it), ` +
      `so PostgreSQL keeps its data in ${base} instead; it survives restarts, not the temporary folder being emptied`;
    await mkdir(base, { recursive: true, mode: 0o700 });
    if (runAs) await chown(base, runAs.uid, runAs.gid);
    dataDir = path.join(base, 'data');
  }

  await mkdir(opts.secretsDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(opts.secretsDir, 'postgres-password');
  let password = (await readFile(passwordFile, 'utf8').catch(() => '')).trim();
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!initialised) {
    password ||= randomBytes(18).toString('hex');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    await initdb({ binDir, dataDir, runAs, password, log: opts.log });
  } else if (!password) {
    throw new Error(
      `PostgreSQL's data in ${dataDir} exists but its password file ${passwordFile} is gone. ` +
        `Fix: remove ${dataDir} to start afresh (the cluster's reservations are lost), or restore the file.`,
    );
  }
  await stopOrphan(dataDir, opts.log);
  if (await isPortOpen('127.0.0.1', opts.port)) {
    throw new Error(
      `Port ${opts.port} on 127.0.0.1 is taken (another PostgreSQL?). Fix: set CLUSTER_POSTGRES_PORT to a free port.`,
    );
  }
  return { binDir, dataDir, port: opts.port, runAs, password, relocated };
}

async function initdb(o: {
  binDir: string;
  dataDir: string;
  runAs: PostgresPlan['runAs'];
  password: string;
  log: (line: string) => void;
}): Promise<void> {
  o.log(`[postgres] initialising a new cluster in ${o.dataDir}`);
  await rm(o.dataDir, { recursive: true, force: true }); // a half-done initdb leaves no PG_VERSION
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  // initdb reads the superuser's password from a file; the user it runs as must read it, nobody else.
  const pwFile = path.join(os.tmpdir(), `ispbox-ozmap-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(pwFile, `${o.password}\n`, { mode: 0o600 });
  try {
    if (o.runAs) {
      await chown(o.dataDir, o.runAs.uid, o.runAs.gid);
      await chown(pwFile, o.runAs.uid, o.runAs.gid);
    }
    await chmod(o.dataDir, 0o700);
    const args = ['-D', o.dataDir, '-U', PG_USER, '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8'];
    const result = spawnSync(path.join(o.binDir, 'initdb'), [...args, '--no-locale'], {
      uid: o.runAs?.uid,
      gid: o.runAs?.gid,
      encoding: 'utf8',
      cwd: os.tmpdir(), // initdb complains when it cannot stat its working folder
    });
    if (result.status !== 0) throw new Error(`initdb failed:\n${result.stdout}\n${result.stderr}`);
  } finally {
    await rm(pwFile, { force: true });
  }
}

/** A postmaster left running by a start that was killed outright (SIGKILL gives us no chance to stop it). */
async function stopOrphan(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidText = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number(pidText.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  log(`[postgres] a PostgreSQL from an earlier run (pid ${pid}) still uses ${dataDir}: stopping it`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 120 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 250));
  if (isProcessAlive(pid)) throw new Error(`PostgreSQL pid ${pid} (from an earlier run) did not stop; stop it by hand`);
}

/** The supervised postmaster: fast shutdown (SIGINT) on stop, so open connections do not hold it up. */
export function postgresProcess(plan: PostgresPlan): ProcessSpec {
  return {
    name: 'postgres',
    command: path.join(plan.binDir, 'postgres'),
    args: [
      '-D',
      plan.dataDir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `port=${plan.port}`,
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
    ],
    cwd: os.tmpdir(),
    uid: plan.runAs?.uid,
    gid: plan.runAs?.gid,
    stopSignal: 'SIGINT',
    // Temporal inserts and relies on conflicts (an existing database, a namespace row): routine, not a problem.
    quiet: new RegExp(
      [
        String.raw`ERROR: {2}(database "[^"]+" already exists|duplicate key value violates)`,
        String.raw`^\S+ \S+ UTC \[\d+\] (STATEMENT|DETAIL):`,
      ].join('|'),
    ),
    stopGraceMs: 30_000,
    ready: () => pgReady(plan),
    readyTimeoutMs: 60_000,
  };
}

export async function pgReady(plan: Pick<PostgresPlan, 'binDir' | 'port'>): Promise<boolean> {
  if (!(await isPortOpen('127.0.0.1', plan.port))) return false;
  const probe = spawnSync(path.join(plan.binDir, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(plan.port)]);
  return probe.status === 0;
}
