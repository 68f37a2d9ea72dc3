/**
 * Finds or obtains the two Temporal servers this project runs, using package registries only
 * (docs/deployment.md, "Temporal servers without internet"):
 *   - the Temporal CLI (`temporal server start-dev`: dev server with the Web UI), built from the Go module proxy;
 *   - the Java time-skipping test server, whose jars come from Maven Central.
 * Both are cached per user, outside the clone, so a fresh clone on the same machine (which is what CI runs)
 * reuses them instead of building again.
 *
 *   npx tsx scripts/temporal-tools.ts [cli|test-server|all]     prints the resolved paths
 *   npx tsx scripts/temporal-tools.ts cluster                   the same for `npm run start:cluster`'s binaries
 */
import { realpathSync } from 'node:fs';
import { mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import {
  capture,
  errorMessage,
  findOnPath,
  formatElapsed,
  isExecutableFile,
  isFile,
  runWithProgress,
} from './processes.ts';
import { cacheRoot, withLock } from './tool-cache.ts';

/**
 * The newest CLI release `go install` can build (v1.6+ have a replace
 * directive); see docs/deployment.md, "Temporal servers without internet".
 */
export const CLI_VERSION = '1.5.1';
/** Keep in sync with tools/temporal-test-server.sh and tools/temporal-test-server/pom.xml. */
export const TEST_SERVER_VERSION = '1.38.0';

const CLI_MODULE = 'github.com/temporalio/cli';
/** Packages `go install -v` compiled for v1.5.1 from a cold build cache; only used to show progress. */
const CLI_PACKAGE_COUNT = 1290;

export const projectRoot = path.resolve(import.meta.dirname, '..');
export const testServerWrapper = path.join(projectRoot, 'tools', 'temporal-test-server.sh');
const testServerPom = path.join(projectRoot, 'tools', 'temporal-test-server', 'pom.xml');

export interface ToolOptions {
  /** Progress and decisions, one line each. Default: stderr. */
  log?: (line: string) => void;
  /**
   * Where TEMPORAL_*_PATH, PATH, JAVA_HOME and the cache location are read from. Default: process.env.
   * tools/temporal-test-server.sh reads the cache location from the environment it is started in.
   */
  env?: NodeJS.ProcessEnv;
  /** Directory that keeps the project-local `temporal` link; null for none. Default: `.tools/bin`. */
  binDir?: string | null;
}

const logToStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

// ---------------------------------------------------------------------------------------------------------------
// Cache layout

export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), `temporal-cli-${CLI_VERSION}`, 'temporal');
}

export function testServerLibDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheRoot(env), `temporal-test-server-${TEST_SERVER_VERSION}`, 'lib');
}

/** Where the SDK's own download (needs internet) puts its files. */
function sdkDownloadDir(env: NodeJS.ProcessEnv): string {
  return path.join(cacheRoot(env), 'sdk-download');
}

/** File name sdk-core gives a download of the SDK's default version (sdk-core ephemeral_server/mod.rs). */
function sdkDownloadPath(env: NodeJS.ProcessEnv, prefix: 'temporal' | 'temporal-test-server'): string {
  const require = createRequire(import.meta.url);
  const { version } = require('@temporalio/testing/package.json') as { version: string };
  return path.join(sdkDownloadDir(env), `${prefix}-sdk-typescript-${version}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Temporal CLI

/**
 * Absolute path of a `temporal` CLI (v1.5.x when we build it). Tries, in order: $TEMPORAL_CLI_PATH, `temporal` on
 * PATH, the per-user cache, a build from the Go module proxy, and the SDK's download (needs internet).
 */
export async function ensureTemporalCli(opts: ToolOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? logToStderr;

  if (env.TEMPORAL_CLI_PATH) return await requireExecutable(env.TEMPORAL_CLI_PATH, 'TEMPORAL_CLI_PATH');

  const tried: string[] = [];
  const onPath = await findOnPath('temporal', env);
  if (onPath) {
    const version = await cliVersion(onPath, env);
    if (version && isSupportedCliVersion(version)) return onPath;
    tried.push(`\`temporal\` on PATH (${onPath}) is version ${version ?? 'unknown'}; need 1.5 or newer`);
    log(`[temporal-cli] passing over ${onPath} (version ${version ?? 'unknown'}; need 1.5 or newer)`);
  } else {
    tried.push('no `temporal` on PATH');
  }

  const cached =
    (await findCachedCli(env)) ?? (await withLock('temporal-cli', env, log, () => obtainCli(env, log, tried)));
  await linkIntoProject(cached, opts.binDir === undefined ? path.join(projectRoot, '.tools', 'bin') : opts.binDir);
  return cached;
}

async function findCachedCli(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const candidate of [cachedCliPath(env), sdkDownloadPath(env, 'temporal')]) {
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Runs under the cache lock: another process may have filled the cache while we waited. */
async function obtainCli(env: NodeJS.ProcessEnv, log: (line: string) => void, tried: string[]): Promise<string> {
  const cached = await findCachedCli(env);
  if (cached) return cached;
  tried.push(`nothing in the cache (${path.dirname(cachedCliPath(env))})`);

  const go = await findOnPath('go', env);
  if (go) {
    try {
      return await buildCli(go, env, log);
    } catch (error) {
      tried.push(`building with Go failed: ${errorMessage(error)}`);
    }
  } else {
    tried.push('no `go` on PATH, so no build from the Go module proxy');
  }

  return await downloadOrGiveUp('temporal', env, log, tried, 'the Temporal CLI', [
    'Fix: install Go 1.25 or newer (https://go.dev/dl/) so it can be built from the Go module proxy,',
    '     or set TEMPORAL_CLI_PATH to a `temporal` executable.',
  ]);
}

/** `go install` into a staging directory, then an atomic rename, so readers never see a half-written binary. */
async function buildCli(go: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  const target = cachedCliPath(env);
  const staging = path.join(path.dirname(target), `.build-${process.pid}`);
  const started = Date.now();
  await mkdir(staging, { recursive: true });
  try {
    const goVersion = (await capture(go, ['env', 'GOVERSION'], env)).trim();
    log(
      `[temporal-cli] building temporal v${CLI_VERSION} with ${goVersion} from the Go module proxy ` +
        `(needs Go 1.25+; the first build takes several minutes, later ones reuse ${path.dirname(target)})`,
    );
    await runGoInstall(go, { ...env, GOBIN: staging, CGO_ENABLED: '0' }, log);
    await rename(path.join(staging, 'temporal'), target);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(`[temporal-cli] built ${target} in ${formatElapsed(Date.now() - started)}`);
  return target;
}

function runGoInstall(go: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const args = [
    'install',
    '-v', // one line per compiled package: that is the progress we count
    '-trimpath',
    '-ldflags',
    `-s -w -X ${CLI_MODULE}/temporalcli.Version=${CLI_VERSION}`,
    `${CLI_MODULE}/cmd/temporal@v${CLI_VERSION}`,
  ];
  let downloaded = 0;
  let compiled = 0;
  return runWithProgress(go, args, env, {
    onLine(line) {
      if (line.startsWith('go: downloading ')) downloaded += 1;
      else if (/^[\w.-]+(\/[\w.~-]+)*$/.test(line)) compiled += 1;
    },
    progress: (elapsed) =>
      `[temporal-cli] building… ${downloaded} modules downloaded, ` +
      `${compiled} of ~${CLI_PACKAGE_COUNT} packages compiled (${elapsed})`,
    log,
  });
}

async function cliVersion(executable: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    return /temporal version (\d+\.\d+\.\d+)/.exec(await capture(executable, ['--version'], env))?.[1];
  } catch {
    return undefined;
  }
}

function isSupportedCliVersion(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 1 || (major === 1 && minor >= 5);
}

/** Keeps `.tools/bin/temporal` pointing at the cached binary, for people who want to run it by hand. */
async function linkIntoProject(target: string, binDir: string | null): Promise<void> {
  if (binDir === null) return;
  const link = path.join(binDir, 'temporal');
  if ((await readlink(link).catch(() => undefined)) === target) return;
  await mkdir(binDir, { recursive: true });
  const temporary = `${link}.${process.pid}`;
  await rm(temporary, { force: true });
  await symlink(target, temporary);
  await rename(temporary, link);
}

// ---------------------------------------------------------------------------------------------------------------
// Time-skipping test server

/**
 * How `TestWorkflowEnvironment.createTimeSkipping` should run the test server. Tries, in order:
 * $TEMPORAL_TEST_SERVER_PATH, `temporal-test-server` on PATH, jars in the per-user cache (run by
 * tools/temporal-test-server.sh), fetching those jars with Maven, and the SDK's download (needs internet).
 */
export async function ensureTestServer(opts: ToolOptions = {}): Promise<EphemeralServerExecutable> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? logToStderr;

  if (env.TEMPORAL_TEST_SERVER_PATH) {
    const explicit = await requireExecutable(env.TEMPORAL_TEST_SERVER_PATH, 'TEMPORAL_TEST_SERVER_PATH');
    return { type: 'existing-path', path: explicit };
  }

  const tried: string[] = [];
  const onPath = await findOnPath('temporal-test-server', env);
  if (onPath) return { type: 'existing-path', path: onPath };
  tried.push('no `temporal-test-server` on PATH');

  const java = await findJava(env);
  const cached = await findCachedTestServer(env, java, tried);
  const found =
    cached ?? (await withLock('temporal-test-server', env, log, () => obtainTestServer(env, java, log, tried)));
  return { type: 'existing-path', path: found };
}

async function findCachedTestServer(
  env: NodeJS.ProcessEnv,
  java: string | undefined,
  tried: string[],
): Promise<string | undefined> {
  if (await hasTestServerJars(env)) {
    if (java) return testServerWrapper;
    tried.push(`jars are cached in ${testServerLibDir(env)}, but there is no \`java\` (JAVA_HOME or PATH) to run them`);
  }
  const downloaded = sdkDownloadPath(env, 'temporal-test-server');
  return (await isExecutableFile(downloaded)) ? downloaded : undefined;
}

async function obtainTestServer(
  env: NodeJS.ProcessEnv,
  java: string | undefined,
  log: (line: string) => void,
  tried: string[],
): Promise<string> {
  const cached = await findCachedTestServer(env, java, []);
  if (cached) return cached;
  if (!(await hasTestServerJars(env))) tried.push(`no jars in the cache (${testServerLibDir(env)})`);

  const mvn = await findOnPath('mvn', env);
  if (java && mvn) {
    try {
      await fetchTestServerJars(mvn, env, log);
      return testServerWrapper;
    } catch (error) {
      tried.push(`fetching the jars with Maven failed: ${errorMessage(error)}`);
    }
  } else {
    const missing = [java ? undefined : '`java` (JAVA_HOME or PATH)', mvn ? undefined : '`mvn` on PATH'];
    tried.push(`no ${missing.filter(Boolean).join(' and no ')}, so no fetch from Maven Central`);
  }

  return await downloadOrGiveUp('temporal-test-server', env, log, tried, 'the Temporal time-skipping test server', [
    'Fix: install a Java runtime (17 or newer) and Maven, e.g. `apt-get install openjdk-17-jre-headless maven`,',
    '     or set TEMPORAL_TEST_SERVER_PATH to a test server executable.',
  ]);
}

async function hasTestServerJars(env: NodeJS.ProcessEnv): Promise<boolean> {
  return await isFile(path.join(testServerLibDir(env), `temporal-test-server-${TEST_SERVER_VERSION}.jar`));
}

/** copy-dependencies into a staging directory renamed into place at the end, so a cut-off run leaves no half lib/. */
async function fetchTestServerJars(mvn: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const lib = testServerLibDir(env);
  const staging = `${lib}.partial-${process.pid}`;
  const started = Date.now();
  log(`[temporal-test-server] fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} with Maven into ${lib}`);
  const args = [
    '-B',
    '-f',
    testServerPom,
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies', // Maven 3.8 defaults to 2.8
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ];
  let downloaded = 0;
  try {
    await runWithProgress(mvn, args, env, {
      onLine(line) {
        if (line.includes('Downloaded from ')) downloaded += 1;
      },
      progress: (elapsed) => `[temporal-test-server] fetching… ${downloaded} artifacts downloaded (${elapsed})`,
      log,
    });
    await rm(lib, { recursive: true, force: true }); // an incomplete lib/ from an older, unstaged run
    await rename(staging, lib);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(
    `[temporal-test-server] ${(await readdir(lib)).length} jars in ${lib} after ${formatElapsed(Date.now() - started)}`,
  );
}

async function findJava(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  // Same rule as tools/temporal-test-server.sh, which is what runs it.
  if (env.JAVA_HOME) {
    const java = path.join(env.JAVA_HOME, 'bin', 'java');
    return (await isExecutableFile(java)) ? java : undefined;
  }
  return await findOnPath('java', env);
}

// ---------------------------------------------------------------------------------------------------------------
// The SDK's own download, for machines with internet access

/**
 * The last way to obtain `kind`: the SDK's download. When that fails too, the error lists every way tried (`tried`)
 * and then the `fix` lines, so that whoever reads it knows what to install.
 */
async function downloadOrGiveUp(
  kind: 'temporal' | 'temporal-test-server',
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  tried: string[],
  what: string,
  fix: readonly string[],
): Promise<string> {
  try {
    return await downloadWithSdk(kind, env, log);
  } catch (error) {
    tried.push(`the SDK's download failed (it needs internet access): ${errorMessage(error)}`);
  }
  throw new Error(
    [`Could not find or obtain ${what}. Tried:`, ...tried.map((step) => `  - ${step}`), ...fix].join('\n'),
  );
}

/**
 * Lets sdk-core download its default server into the cache (by starting and at once stopping an environment), then
 * returns the downloaded file, so later runs use it as an existing path instead of re-downloading it after its TTL.
 */
async function downloadWithSdk(
  kind: 'temporal' | 'temporal-test-server',
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<string> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const executable = { type: 'cached-download', downloadDir: sdkDownloadDir(env) } as const;
  await mkdir(executable.downloadDir, { recursive: true });
  log(`[${kind}] trying the SDK's download into ${executable.downloadDir} (needs internet access)…`);
  const started = await (kind === 'temporal'
    ? TestWorkflowEnvironment.createLocal({ server: { executable } })
    : TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }));
  await started.teardown();
  const file = sdkDownloadPath(env, kind);
  if (!(await isExecutableFile(file))) throw new Error(`the download did not leave ${file}`);
  log(`[${kind}] downloaded ${file}`);
  return file;
}

// ---------------------------------------------------------------------------------------------------------------
// Executables named in the environment

/** An explicitly configured executable must work; silently falling back would hide the misconfiguration. */
async function requireExecutable(configured: string, variable: string): Promise<string> {
  const resolved = path.resolve(configured);
  if (!(await isFile(resolved))) {
    throw new Error(`${variable}=${configured}: no such file. Unset ${variable} or point it at the executable.`);
  }
  if (!(await isExecutableFile(resolved))) {
    throw new Error(`${variable}=${configured}: the file is not executable (chmod +x it).`);
  }
  return resolved;
}

// ---------------------------------------------------------------------------------------------------------------
// CLI

async function main(argv: string[]): Promise<void> {
  const what = argv[0] ?? 'all';
  if (!['cli', 'test-server', 'all', 'cluster'].includes(what) || argv.length > 1) {
    throw new Error('usage: tsx scripts/temporal-tools.ts [cli|test-server|all|cluster]');
  }
  console.log(`cache:                 ${cacheRoot()}`);
  if (what === 'cluster') {
    // The production topology's binaries (docs/deployment.md): server, SQL tool and Web UI server.
    const { ensureClusterBinaries } = await import('./cluster/binaries.ts');
    const found = await ensureClusterBinaries();
    console.log(`temporal-server:       ${found.server}`);
    console.log(`temporal-sql-tool:     ${found.sqlTool}`);
    console.log(`temporal ui-server:    ${found.uiServer}`);
    console.log(`SQL schemas:           ${found.schemaDir}`);
    return;
  }
  if (what !== 'test-server') console.log(`temporal CLI:          ${await ensureTemporalCli()}`);
  if (what !== 'cli') {
    const server = await ensureTestServer();
    console.log(`temporal test server:  ${server.type === 'existing-path' ? server.path : JSON.stringify(server)}`);
  }
}

function isMain(): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(realpathSync(script)).href === import.meta.url;
}

if (isMain()) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(errorMessage(error));
    process.exitCode = 1;
  });
}
