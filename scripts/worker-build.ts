/**
 * The worker as production runs it (docs/deployment.md): the workflow code pre-bundled by the SDK (webpack) and the
 * worker's own TypeScript compiled to one JavaScript file (esbuild), so that the worker process loads neither
 * webpack nor a TypeScript loader. A fresh worker takes about half the memory it takes run from sources
 * (bench/README.md). `npm run build`, `npm start`, `npm run start:cluster` and the bench build with these.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { build } from 'esbuild';
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
export async function buildWorkerEntry(entry: string, file: string): Promise<number> {
  const { outputFiles } = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
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
