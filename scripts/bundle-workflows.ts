/**
 * `npm run build`: pre-bundles the workflow code, so that production workers start without compiling it and run
 * exactly the code that was reviewed. Point the worker at it with WORKFLOW_BUNDLE_PATH=dist/workflow-bundle.js.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_METRICS_INTERCEPTOR } from '../metrics/worker.ts';
import { WORKFLOWS_PATH } from '../worker/worker.ts';
import { projectRoot } from './temporal-tools.ts';

const out = path.join(projectRoot, 'dist', 'workflow-bundle.js');
const { code } = await bundleWorkflowCode({
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: [WORKFLOW_METRICS_INTERCEPTOR], // reservation metrics (docs/deployment.md)
});
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, code);
console.log(`Workflow bundle written to ${path.relative(projectRoot, out)} (${(code.length / 1024).toFixed(0)} KiB)`);
