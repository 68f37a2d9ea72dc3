/**
 * `ozres reconcile`: runs the ReconcileWorkflow once, by hand, on the worker's task queue and waits for its report
 * (docs/architecture.md, "Reconciler"). The Schedule runs the same workflow; this is for an operator who wants it now.
 */
import type { Client } from '@temporalio/client';
import Table from 'cli-table3';
import {
  RECONCILE_WORKFLOW_TYPE,
  type ReconcileIdList,
  type ReconcileInput,
  type ReconcileReport,
} from '../contract/reconcile.ts';

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

export function formatReconcileReport(report: ReconcileReport): string {
  const c = report.counts;
  const table = new Table({ head: ['Found', 'Count', 'Done', 'Viabilities'], style: { head: [], border: [] } });
  const ids = (list: ReconcileIdList) =>
    report.ids[list].join(', ') + (report.truncated.includes(list) ? ', … (first ones only)' : '');
  const done = (n: number, verb: string) => (report.dryRun ? 'dry run' : `${n} ${verb}`);
  table.push(
    ['Orphans (never implanted, no open workflow)', c.orphans, done(c.released, 'released'), ids('orphans')],
    ['Implanted while held', c.implantedHeld, done(c.confirmed, 'confirmed'), ids('implantedHeld')],
    ["Suspect: our marker, not that reservation's (property ids)", c.suspect, 'left alone', ids('suspect')],
    ['OZmap client gone (open RESERVED)', c.gone, 'reported', ids('gone')],
    ['Changed before the delete', c.changed, 'left alone', ids('changed')],
    ['Held (as it should be)', c.held, '', ''],
    ['Installed (no workflow)', c.installed, 'untouched', ''],
    ['Without the marker', c.unmarked, 'untouched', ''],
  );
  const head =
    `${report.dryRun ? 'Dry run: nothing was changed. ' : ''}` +
    `${c.scanned} marked OZmap propert(ies) read, ${c.checked} held reservation(s) checked, ` +
    `${report.pages} page(s), ${report.runs} run(s).`;
  return `${head}\n${table.toString()}`;
}
