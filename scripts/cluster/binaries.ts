/**
 * The binaries of the production topology (docs/deployment.md), obtained like the CLI in scripts/temporal-tools.ts:
 * built from the Go module proxy once, then kept in the per-user cache with the SQL schemas of the same release, so
 * later runs (and fresh clones on the machine) start at once and need no Go.
 *   temporal-server-<v>/temporal-server     go.temporal.io/server/cmd/server (frontend, history, matching, worker)
 *   temporal-server-<v>/temporal-sql-tool   go.temporal.io/server/cmd/tools/sql
 *   temporal-server-<v>/schema/postgresql/  the module's schemas (setup-schema / update-schema)
 *   temporal-ui-server-<v>/ui-server        github.com/temporalio/ui-server/v2/cmd/server (the Web UI)
 * Both mains are called `server`, so each is installed into its own staging GOBIN and renamed.
 */
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { capture, errorMessage, findOnPath, formatElapsed, isExecutableFile, runWithProgress } from '../processes.ts';
import { cacheRoot, withLock } from '../tool-cache.ts';

/** The server release the CLI v1.5.1 embeds, so its sources are already in the Go module cache after that build. */
export const SERVER_VERSION = '1.29.1';
export const UI_SERVER_VERSION = '2.42.1';
const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** `schema/postgresql/v12` of the server module: `temporal/` and `visibility/`, each with `versioned/`. */
  schemaDir: string;
}

export function clusterBinaryPaths(env: NodeJS.ProcessEnv = process.env): ClusterBinaries {
  const serverDir = path.join(cacheRoot(env), `temporal-server-${SERVER_VERSION}`);
  return {
    server: path.join(serverDir, 'temporal-server'),
    sqlTool: path.join(serverDir, 'temporal-sql-tool'),
    uiServer: path.join(cacheRoot(env), `temporal-ui-server-${UI_SERVER_VERSION}`, 'ui-server'),
    schemaDir: path.join(serverDir, 'schema', 'postgresql', 'v12'),
  };
}

/** Finds the binaries in the cache or builds them (with progress); throws naming what is missing and the fix. */
export async function ensureClusterBinaries(
  opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<ClusterBinaries> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const paths = clusterBinaryPaths(env);
  if (!(await hasServer(paths))) {
    await withLock('temporal-server', env, log, async () => {
      if (!(await hasServer(paths))) await buildServer(paths, env, log);
    });
  }
  if (!(await isExecutableFile(paths.uiServer))) {
    await withLock('temporal-ui-server', env, log, async () => {
      if (!(await isExecutableFile(paths.uiServer))) await buildUiServer(paths, env, log);
    });
  }
  return paths;
}

async function hasServer(paths: ClusterBinaries): Promise<boolean> {
  const schema = await stat(path.join(paths.schemaDir, 'temporal', 'versioned')).catch(() => undefined);
  return (await isExecutableFile(paths.server)) && (await isExecutableFile(paths.sqlTool)) && !!schema?.isDirectory();
}

async function requireGo(env: NodeJS.ProcessEnv, what: string): Promise<string> {
  const go = await findOnPath('go', env);
  if (go) return go;
  throw new Error(
    `Could not obtain ${what}: it is not in the cache and there is no \`go\` on PATH to build it from the Go ` +
      'module proxy. Fix: install Go 1.25 or newer (https://go.dev/dl/), then run `npm run temporal:tools -- cluster`.',
  );
}

async function buildServer(paths: ClusterBinaries, env: NodeJS.ProcessEnv, log: (line: string) => void) {
  const go = await requireGo(env, `the Temporal server v${SERVER_VERSION}`);
  await buildInStaging(path.dirname(paths.server), 'the Temporal server', log, async (staging) => {
    log(
      `[cluster] building temporal-server and temporal-sql-tool v${SERVER_VERSION} from the Go module proxy ` +
        '(about 2 min on 2 cores once the CLI is built, longer from empty Go caches)',
    );
    await goInstall(go, env, staging, [`${SERVER_MODULE}/cmd/server`, `${SERVER_MODULE}/cmd/tools/sql`], 'server', log);
    await rename(path.join(staging, 'server'), path.join(staging, 'temporal-server'));
    await rename(path.join(staging, 'sql'), path.join(staging, 'temporal-sql-tool'));
    // The schemas of the same release, copied out of the module cache so the cluster needs no Go later.
    const info = JSON.parse(
      await capture(go, ['mod', 'download', '-json', `${SERVER_MODULE}@v${SERVER_VERSION}`], goEnv(env)),
    ) as { Dir?: string };
    if (!info.Dir) throw new Error(`go mod download did not say where ${SERVER_MODULE}@v${SERVER_VERSION} is`);
    await cp(path.join(info.Dir, 'schema', 'postgresql'), path.join(staging, 'schema', 'postgresql'), {
      recursive: true,
    });
  });
}

async function buildUiServer(paths: ClusterBinaries, env: NodeJS.ProcessEnv, log: (line: string) => void) {
  const go = await requireGo(env, `the Temporal Web UI server v${UI_SERVER_VERSION}`);
  await buildInStaging(path.dirname(paths.uiServer), 'the Temporal Web UI server', log, async (staging) => {
    log(`[cluster] building the Temporal Web UI server v${UI_SERVER_VERSION} from the Go module proxy`);
    await goInstall(go, env, staging, [`${UI_MODULE}/cmd/server`], 'ui-server', log, UI_SERVER_VERSION);
    await rename(path.join(staging, 'server'), path.join(staging, 'ui-server'));
  });
}

/**
 * Builds `target` (a folder) into a staging folder renamed into place at the end, so a cut-off build never leaves
 * half a cache entry; a failure names `what` failed to build.
 */
async function buildInStaging(
  target: string,
  what: string,
  log: (line: string) => void,
  build: (staging: string) => Promise<void>,
): Promise<void> {
  const staging = `${target}.build-${process.pid}`;
  const started = Date.now();
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await build(staging);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
  } catch (error) {
    throw new Error(`Building ${what} failed: ${errorMessage(error)}`, { cause: error });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(`[cluster] built ${target} in ${formatElapsed(Date.now() - started)}`);
}

const goEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...env, CGO_ENABLED: '0' });

/** `go install -v pkg@version…` at low priority: the build machine is shared (docs/deployment.md). */
async function goInstall(
  go: string,
  env: NodeJS.ProcessEnv,
  gobin: string,
  packages: string[],
  label: string,
  log: (line: string) => void,
  version = SERVER_VERSION,
): Promise<void> {
  const args = ['install', '-v', '-trimpath', '-ldflags', '-s -w', ...packages.map((p) => `${p}@v${version}`)];
  const nice = await findOnPath('nice', env);
  let downloaded = 0;
  let compiled = 0;
  await runWithProgress(
    nice ?? go,
    nice ? ['-n', '10', go, ...args] : args,
    { ...goEnv(env), GOBIN: gobin },
    {
      onLine(line) {
        if (line.startsWith('go: downloading ')) downloaded += 1;
        else if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line)) compiled += 1;
      },
      progress: (elapsed) =>
        `[cluster] building ${label}… ${downloaded} modules downloaded, ${compiled} packages compiled (${elapsed})`,
      log,
    },
  );
}
