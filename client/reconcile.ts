/**
 * Runs the ReconcileWorkflow once, by hand, on the worker's task queue and waits for its report (`ozres reconcile`;
 * docs/architecture.md, "Reconciler"). The Schedule runs the same workflow; this is for an operator who wants it now.
 */
import type { Client } from '@temporalio/client';
import { RECONCILE_WORKFLOW_TYPE, type ReconcileInput, type ReconcileReport } from '../contract/reconcile.ts';

export async function runReconcile(
  client: Client,
  taskQueue: string,
  input: Pick<ReconcileInput, 'dryRun' | 'pageSize'>,
): Promise<ReconcileReport> {
  const handle = await client.workflow.start(RECONCILE_WORKFLOW_TYPE, {
    taskQueue,
    // Its own id, so a by-hand run never collides with the Schedule's (which skips while one of its own runs).
    workflowId: `reconcile-${taskQueue}-manual-${new Date().toISOString()}`,
    args: [input],
    staticSummary: `Reconciler, run by hand${input.dryRun ? ' (dry run)' : ''}`,
  });
  return (await handle.result()) as ReconcileReport;
}
