/**
 * Runs the ReconcileWorkflow once, by hand, on the worker's task queue and waits for its report (`ozres reconcile`;
 * docs/architecture.md, "Reconciler"): one tenant's, `default` unless the request names another. The Schedule runs
 * every tenant's (ReconcileTenantsWorkflow, one child each); this is for an operator who wants one now.
 */
import type { Client } from '@temporalio/client';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import { RECONCILE_WORKFLOW_TYPE, type ReconcileReport } from '../contract/reconcile.ts';
import { ReconcileRequest } from '../contract/schemas.ts';
import { TenantIdKey } from '../contract/search-attributes.ts';
import { parseInput } from './prepare.ts';

/** Throws InvalidInputError naming the field (`tenantId`, `pageSize`, `dryRun`) when the request breaks its schema. */
export async function runReconcile(client: Client, taskQueue: string, raw: ReconcileRequest): Promise<ReconcileReport> {
  const input = parseInput(ReconcileRequest, raw);
  const tenantId = input.tenantId ?? DEFAULT_TENANT_ID;
  // `default` keeps the id it always had; another tenant's names it.
  const scope = tenantId === DEFAULT_TENANT_ID ? '' : `${tenantId}-`;
  const handle = await client.workflow.start(RECONCILE_WORKFLOW_TYPE, {
    taskQueue,
    // Its own id, so a by-hand run never collides with the Schedule's (which skips while one of its own runs).
    workflowId: `reconcile-${taskQueue}-${scope}manual-${new Date().toISOString()}`,
    args: [input],
    typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
    staticSummary: `Reconciler, run by hand for tenant ${tenantId}${input.dryRun ? ' (dry run)' : ''}`,
  });
  return (await handle.result()) as ReconcileReport;
}
