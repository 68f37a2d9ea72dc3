/**
 * The worker as production runs it (docs/deployment.md): the workflow code pre-bundled by the SDK (webpack) and the
 * worker's own TypeScript compiled to one JavaScript file (esbuild), so that the worker process loads neither
 * webpack nor a TypeScript loader. A fresh worker takes about half the memory it takes run from sources
 * (bench/README.md). `npm run build`, `npm start`, `npm run start:cluster` and the bench build with these.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { build, type BuildOptions } from 'esbuild';
import { WORKFLOW_METRICS_INTERCEPTOR } from '../metrics/worker.ts';
import { WORKFLOW_BUNDLE_FILE, WORKFLOWS_PATH } from '../worker/worker.ts';
import { WORKER_ENTRY } from './entries.ts';
import { projectRoot } from './temporal-tools.ts';

/** Where builds go. Inside the project: the compiled worker imports its packages from node_modules. */
export const BUILD_DIR = path.join(projectRoot, 'dist');

const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

/** Writes `file` whole or not at all: a worker starting meanwhile never reads half of it. */
async function writeAtomically(file: string, contents: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, contents);
  await rename(partial, file);
}

/** The workflow bundle, with the reservation metrics interceptor unless other modules are named; its size. */
export async function buildWorkflowBundle(
  file: string,
  options: { workflowsPath?: string; interceptorModules?: string[] } = {},
): Promise<number> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: options.workflowsPath ?? WORKFLOWS_PATH,
    workflowInterceptorModules: options.interceptorModules ?? [WORKFLOW_METRICS_INTERCEPTOR],
    logger: quiet,
  });
  await writeAtomically(file, code);
  return code.length;
}

/** `entry` (a TypeScript worker entry) and the project modules it imports, as one ES module; packages stay imports. */
export function buildWorkerEntry(entry: string, file: string): Promise<number> {
  return bundleEntry(entry, file, { packages: 'external' });
}

/** Bundled CommonJS packages call require(), which an ES module lacks: the bundle makes its own. */
const CREATE_REQUIRE = [
  "import { createRequire as __createRequire } from 'node:module';",
  'const require = __createRequire(import.meta.url);',
].join(' ');

/** Packages a bundle cannot carry: native addons, and the worker's (the CLI never runs a worker). */
const UNBUNDLED = ['better-sqlite3', 'pg-native', '@temporalio/worker', '@temporalio/core-bridge', 'esbuild'];

/**
 * The CLI as one ES module with its packages inside: a call then resolves and links no package files, which halves
 * what `ozres --help` costs in CPU (0.7 s to 0.4 s). The tests start dozens of CLI processes (scripts/run-tests.ts).
 */
export function buildCliEntry(entry: string, file: string): Promise<number> {
  return bundleEntry(entry, file, { external: UNBUNDLED, banner: { js: CREATE_REQUIRE } });
}

/** `entry` as one ES module for Node 20, written whole to `file`; its size. */
async function bundleEntry(
  entry: string,
  file: string,
  packages: Pick<BuildOptions, 'packages' | 'external' | 'banner'>,
): Promise<number> {
  const { outputFiles } = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    ...packages,
    write: false,
    outfile: file,
    logLevel: 'silent',
  });
  const code = outputFiles[0]!.text;
  await writeAtomically(file, code);
  return code.length;
}

/** The built worker and its bundle in `dir` (worker.js, workflow-bundle.js); the worker's path and both sizes. */
export async function buildWorker(
  dir: string,
): Promise<{ workerFile: string; workerBytes: number; bundleBytes: number }> {
  const workerFile = path.join(dir, 'worker.js');
  const [bundleBytes, workerBytes] = await Promise.all([
    buildWorkflowBundle(path.join(dir, WORKFLOW_BUNDLE_FILE)),
    buildWorkerEntry(WORKER_ENTRY, workerFile),
  ]);
  return { workerFile, workerBytes, bundleBytes };
}

/** What the built worker is made of: the project's folders it imports, and the locked packages. */
export const WORKER_SOURCES = [
  'activities',
  'client',
  'codec',
  'config',
  'contract',
  'doctor',
  'metrics',
  'net',
  'registry',
  'worker',
  'workflows',
];
const SOURCE_STAMP = 'sources.sha256';

/** SHA-256 over the worker's sources (every .ts file of WORKER_SOURCES, by path) and package-lock.json. */
export async function workerSourcesHash(root: string = projectRoot): Promise<string> {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const folder of WORKER_SOURCES) {
    const entries = await readdir(path.join(root, folder), { recursive: true, withFileTypes: true });
    for (const entry of entries)
      if (entry.isFile() && entry.name.endsWith('.ts')) files.push(path.join(entry.parentPath, entry.name));
  }
  for (const file of [...files.sort(), path.join(root, 'package-lock.json')])
    hash
      .update(path.relative(root, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  return hash.digest('hex');
}

/**
 * `buildWorker`, skipped when `dir` holds a build of the same sources (npm start on an unchanged tree starts
 * seconds sooner); `rebuilt` says which.
 */
export async function buildWorkerIfChanged(dir: string): Promise<{ workerFile: string; rebuilt: boolean }> {
  const workerFile = path.join(dir, 'worker.js');
  const stamp = path.join(dir, SOURCE_STAMP);
  const sources = await workerSourcesHash();
  const built = existsSync(stamp) && existsSync(workerFile) && existsSync(path.join(dir, WORKFLOW_BUNDLE_FILE));
  if (built && (await readFile(stamp, 'utf8')).trim() === sources) return { workerFile, rebuilt: false };
  await buildWorker(dir);
  await writeAtomically(stamp, `${sources}\n`);
  return { workerFile, rebuilt: true };
}
