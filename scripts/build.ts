/**
 * `npm run build`: the production worker (scripts/worker-build.ts) in dist/: dist/workflow-bundle.js, the workflow
 * code exactly as reviewed, and dist/worker.js, the worker compiled to JavaScript, which runs that bundle:
 *   MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 dist/worker.js
 * (docs/deployment.md; WORKFLOW_BUNDLE_PATH names another bundle).
 */
import path from 'node:path';
import { projectRoot } from './temporal-tools.ts';
import { BUILD_DIR, buildWorker } from './worker-build.ts';
import { WORKFLOW_BUNDLE_FILE } from '../worker/worker.ts';

const built = await buildWorker(BUILD_DIR);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const relative = (file: string) => path.relative(projectRoot, file);
console.log(
  `Workflow bundle written to ${relative(path.join(BUILD_DIR, WORKFLOW_BUNDLE_FILE))} (${kib(built.bundleBytes)})`,
);
console.log(`Worker written to ${relative(built.workerFile)} (${kib(built.workerBytes)})`);
