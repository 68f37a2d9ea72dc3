/**
 * ReconcileTenantsWorkflow (docs/architecture.md, "Reconciler"): what the Schedule runs, every tenant's
 * reconciliation. An activity lists the tenants a page at a time (`default` first, then the registry's enabled ones
 * by id); each is reconciled by a child ReconcileWorkflow of its own, TENANTS_AT_ONCE at once, whose id names the
 * tenant and whose search attribute `TenantId` is the tenant. A child that fails (its tenant's OZmap down, say) fails
 * alone: the run records why and goes on with the others, and its report names it (`ozres doctor` warns). The run
 * keeps counts and a capped list of tenants, and continues as new every TENANTS_PER_RUN tenants, carrying its cursor.
 */
import {
  ChildWorkflowFailure,
  continueAsNew,
  executeChild,
  proxyActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReconcileActivities } from '../../activities/reconcile.ts';
import {
  REPORT_TENANT_CAP,
  TENANTS_AT_ONCE,
  TENANTS_PAGE_SIZE,
  emptyReport,
  reconcileChildIdFor,
  type ReconcileCounts,
  type ReconcileTenantsInput,
  type ReconcileTenantsReport,
  type TenantReconcileOutcome,
} from '../../contract/reconcile.ts';
import { TenantIdKey } from '../../contract/search-attributes.ts';
import { ReconcileWorkflow } from '../reconcile/workflow.ts';

const { reconcileTenantsPage } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '1 minute',
  // The registry is local to the worker: a run that cannot read it fails visibly, and the next one tries again.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Tenants per run: a child costs about 6 events, so a run stays near 600, far below Temporal's 10,240 warning. */
export const TENANTS_PER_RUN = 100;

export async function ReconcileTenantsWorkflow(input: ReconcileTenantsInput): Promise<ReconcileTenantsReport> {
  const dryRun = input.dryRun === true;
  const report: ReconcileTenantsReport = input.progress
    ? { ...input.progress.report, runs: input.progress.report.runs + 1 }
    : emptyTenantsReport(dryRun, new Date().toISOString());
  let afterTenantId = input.progress?.afterTenantId;
  show(report, false);
  for (let tenants = 0; ;) {
    if (afterTenantId !== undefined && (tenants >= TENANTS_PER_RUN || workflowInfo().continueAsNewSuggested))
      return continueAsNew<typeof ReconcileTenantsWorkflow>({
        taskQueue: input.taskQueue,
        dryRun,
        ...(input.pageSize !== undefined && { pageSize: input.pageSize }),
        progress: { afterTenantId, report },
      });
    const page = await reconcileTenantsPage({ afterTenantId, limit: TENANTS_PAGE_SIZE });
    await eachAtOnce(page.tenantIds, TENANTS_AT_ONCE, async (tenantId) => {
      record(report, await reconcileTenant(input.taskQueue, tenantId, dryRun, input.pageSize, report.startedAt));
      show(report, false);
    });
    tenants += page.tenantIds.length;
    if (page.next === undefined) break;
    afterTenantId = page.next;
  }
  report.finishedAt = new Date().toISOString();
  show(report, true);
  return report;
}

/** One tenant's child run, to its end: its counts, or why it failed (never thrown: the other tenants go on). */
async function reconcileTenant(
  taskQueue: string,
  tenantId: string,
  dryRun: boolean,
  pageSize: number | undefined,
  startedAt: string,
): Promise<TenantReconcileOutcome> {
  const workflowId = reconcileChildIdFor(taskQueue, tenantId, startedAt);
  try {
    const result = await executeChild(ReconcileWorkflow, {
      workflowId,
      args: [{ dryRun, tenantId, ...(pageSize !== undefined && { pageSize }) }],
      typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
      staticSummary: `Reconciler: tenant ${tenantId}${dryRun ? ' (dry run)' : ''}`,
    });
    return { tenantId, workflowId, ok: true, counts: result.counts };
  } catch (err) {
    if (!(err instanceof ChildWorkflowFailure)) throw err;
    return { tenantId, workflowId, ok: false, error: reasonOf(err) };
  }
}

/** What made a child fail, as its innermost cause says (an activity's failure, wrapped by the child's and ours). */
function reasonOf(err: Error): string {
  let inner = err;
  while (inner.cause instanceof Error) inner = inner.cause;
  return inner.message;
}

/** Runs `act` on every item, at most `atOnce` at a time, in order of start. */
async function eachAtOnce<T>(items: T[], atOnce: number, act: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await act(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, lane));
}

export function emptyTenantsReport(dryRun: boolean, startedAt: string): ReconcileTenantsReport {
  return {
    dryRun,
    startedAt,
    reconciled: 0,
    failed: 0,
    counts: emptyReport(dryRun, startedAt).counts,
    tenants: [],
    truncated: false,
    runs: 1,
  };
}

/** Adds a tenant's outcome: its counts to the totals; by name while under the cap, a failure before a success. */
export function record(report: ReconcileTenantsReport, outcome: TenantReconcileOutcome): void {
  if (outcome.ok) {
    report.reconciled++;
    for (const key of Object.keys(report.counts) as Array<keyof ReconcileCounts>)
      report.counts[key] += outcome.counts[key] ?? 0;
  } else report.failed++;
  if (report.tenants.length < REPORT_TENANT_CAP) {
    report.tenants.push(outcome);
    return;
  }
  report.truncated = true;
  if (outcome.ok) return;
  let lastOk = report.tenants.length - 1;
  while (lastOk >= 0 && !report.tenants[lastOk]!.ok) lastOk--;
  if (lastOk >= 0) report.tenants.splice(lastOk, 1, outcome);
}

function show(report: ReconcileTenantsReport, done: boolean): void {
  setCurrentDetails(describeReconcileTenants(report, done));
}

/** Markdown for the Web UI's "current details": tenants done so far, the totals, the failed ones. */
export function describeReconcileTenants(report: ReconcileTenantsReport, done: boolean): string {
  const c = report.counts;
  const lines = [
    `**${done ? 'Done' : 'Reconciling every tenant'}**${report.dryRun ? ' (dry run: nothing changed)' : ''}, ` +
      `run ${report.runs}`,
    `Tenants reconciled: ${report.reconciled}; failed: ${report.failed}`,
    `Orphans: ${c.orphans} found, ${c.released} released; implanted while held: ${c.implantedHeld} found, ` +
      `${c.confirmed} confirmed; suspect: ${c.suspect}; OZmap client gone: ${c.gone}`,
  ];
  for (const t of report.tenants) if (!t.ok) lines.push(`Failed: \`${t.tenantId}\` (\`${t.workflowId}\`): ${t.error}`);
  if (report.truncated) lines.push('…');
  return lines.join('\n\n');
}
