/**
 * ReconcileWorkflow (docs/architecture.md, "Reconciler"): finds one tenant's reservations that exist in its OZmap but
 * in no workflow, and the reverse. The tenant is the input's `tenantId` (absent: `default`); its starter sets the
 * search attribute `TenantId` to it (client/reconcile.ts, the whole run's children). Two passes, a page per activity:
 * the tenant's marked properties in its OZmap (orphans released, implanted ones still held confirmed; another
 * tenant's markers are not its own, left alone like unmarked rows), then the tenant's open RESERVED workflows (those
 * whose OZmap client is gone reported). The workflow keeps only counts and capped id lists, and continues as new
 * before its history grows past a couple of thousand events. Every tenant at once: ReconcileTenantsWorkflow.
 */
import {
  ApplicationFailure,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReconcileActivities } from '../../activities/reconcile.ts';
import { DEFAULT_TENANT_ID, TENANT_ID_PATTERN } from '../../contract/ids.ts';
import {
  DEFAULT_RECONCILE_PAGE_SIZE,
  REPORT_ID_CAP,
  emptyReport,
  type MarkedOutcome,
  type ReconcileCounts,
  type ReconcileCursor,
  type ReconcileIdList,
  type ReconcileInput,
  type ReconcileReport,
} from '../../contract/reconcile.ts';

const { reconcileMarkedPage, checkHeldPage } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  // Bounded: a reconciler that cannot reach OZmap fails visibly (doctor, Schedule) and the next run tries again.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

const COUNTED_AS: Record<MarkedOutcome, keyof ReconcileCounts> = {
  held: 'held',
  orphan: 'orphans',
  implantedHeld: 'implantedHeld',
  installed: 'installed',
  changed: 'changed',
  unmarked: 'unmarked',
  suspect: 'suspect',
};

/** Pages per run: about 6 events each, so a run stays near 1,200 events, far below Temporal's 10,240 warning. */
export const PAGES_PER_RUN = 200;
const MAX_PAGE_SIZE = 1000;

export async function ReconcileWorkflow(input: ReconcileInput = {}): Promise<ReconcileReport> {
  const dryRun = input.dryRun === true;
  const tenantId = tenantIdOf(input.tenantId);
  const pageSize = wholeNumberOf('pageSize', input.pageSize, DEFAULT_RECONCILE_PAGE_SIZE, MAX_PAGE_SIZE);
  const pagesPerRun = wholeNumberOf('pagesPerRun', input.pagesPerRun, PAGES_PER_RUN, PAGES_PER_RUN);
  const report: ReconcileReport = input.progress
    ? resumed(input.progress.report, input.progress.runs)
    : emptyReport(dryRun, new Date().toISOString(), tenantId);
  let cursor: ReconcileCursor = input.progress?.cursor ?? { phase: 'ozmap' };
  show(report, cursor);
  for (let pages = 0; cursor.phase !== 'done'; pages++) {
    if (pages >= pagesPerRun || workflowInfo().continueAsNewSuggested)
      return continueAsNew<typeof ReconcileWorkflow>({
        dryRun,
        ...(input.tenantId !== undefined && { tenantId }),
        pageSize,
        pagesPerRun,
        progress: { cursor, report, runs: report.runs + 1 },
      });
    cursor =
      cursor.phase === 'ozmap'
        ? await ozmapPage(report, cursor, pageSize, tenantId)
        : await temporalPage(report, cursor, pageSize, tenantId);
    report.pages++;
    show(report, cursor);
  }
  report.finishedAt = new Date().toISOString();
  show(report, cursor);
  return report;
}

async function ozmapPage(
  report: ReconcileReport,
  cursor: Extract<ReconcileCursor, { phase: 'ozmap' }>,
  pageSize: number,
  tenantId: string,
): Promise<ReconcileCursor> {
  const page = await reconcileMarkedPage({
    tenantId,
    afterPropertyId: cursor.afterPropertyId,
    limit: pageSize,
    dryRun: report.dryRun,
  });
  const { counts } = report;
  counts.released += page.released;
  counts.confirmed += page.confirmed;
  for (const { outcome, viabilityId, propertyId } of page.outcomes) {
    const counted = COUNTED_AS[outcome];
    counts.scanned++;
    counts[counted]++;
    if (counted === 'orphans' || counted === 'implantedHeld' || counted === 'changed')
      keep(report, counted, viabilityId ?? propertyId);
    if (counted === 'suspect') keep(report, counted, propertyId);
  }
  return page.next === undefined ? { phase: 'temporal' } : { phase: 'ozmap', afterPropertyId: page.next };
}

async function temporalPage(
  report: ReconcileReport,
  cursor: Extract<ReconcileCursor, { phase: 'temporal' }>,
  pageSize: number,
  tenantId: string,
): Promise<ReconcileCursor> {
  const page = await checkHeldPage({ tenantId, pageToken: cursor.pageToken, limit: Math.min(pageSize, 100) });
  report.counts.checked += page.checked;
  report.counts.gone += page.gone.length;
  for (const id of page.gone) keep(report, 'gone', id);
  return page.nextPageToken === undefined ? { phase: 'done' } : { phase: 'temporal', pageToken: page.nextPageToken };
}

/** A report carried over by continue-as-new; one from an older run may lack counts and lists added since. */
export function resumed(report: ReconcileReport, runs: number): ReconcileReport {
  const fresh = emptyReport(report.dryRun, report.startedAt);
  return { ...report, counts: { ...fresh.counts, ...report.counts }, ids: { ...fresh.ids, ...report.ids }, runs };
}

/** Keeps the first REPORT_ID_CAP ids of a kind; the count goes on. */
function keep(report: ReconcileReport, list: ReconcileIdList, id: string): void {
  const ids = report.ids[list];
  if (ids.length < REPORT_ID_CAP) ids.push(id);
  else if (!report.truncated.includes(list)) report.truncated.push(list);
}

/** The tenant to reconcile: `default` when absent; an id that breaks the tenant id rule fails the run. */
function tenantIdOf(value: unknown): string {
  if (value === undefined) return DEFAULT_TENANT_ID;
  if (typeof value !== 'string' || !TENANT_ID_PATTERN.test(value))
    throw ApplicationFailure.nonRetryable(
      'Invalid reconcile input: tenantId must be a tenant id (1-32 of a-z, 0-9, "-")',
    );
  return value;
}

/** A whole number from 1 to `max` from the input, or the fallback when absent; anything else fails the run. */
function wholeNumberOf(name: string, value: unknown, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw ApplicationFailure.nonRetryable(`Invalid reconcile input: ${name} must be a whole number 1-${max}`);
  return value;
}

function show(report: ReconcileReport, cursor: ReconcileCursor): void {
  setCurrentDetails(describeReconcile(report, cursor));
}

/** Markdown for the Web UI's "current details": where the run is, what it found so far. */
export function describeReconcile(report: ReconcileReport, cursor: ReconcileCursor): string {
  const c = report.counts;
  const tenant = report.tenantId === undefined ? '' : `Tenant \`${report.tenantId}\`: `;
  const where =
    tenant +
    (cursor.phase === 'done'
      ? `**Done**${report.dryRun ? ' (dry run: nothing changed)' : ''}`
      : `**${cursor.phase === 'ozmap' ? 'Reading OZmap' : 'Checking held reservations'}**` +
        `${report.dryRun ? ' (dry run)' : ''}, ${report.pages} page(s) so far, run ${report.runs}`);
  const lines = [
    where,
    `${c.scanned} marked propert(ies): ${c.held} held, ${c.installed} installed, ${c.unmarked} without the marker`,
    `Orphans: ${c.orphans} found, ${c.released} released; changed before the delete: ${c.changed}`,
    `Implanted while held: ${c.implantedHeld} found, ${c.confirmed} confirmed`,
    `Suspect (a reservation's marker, not that reservation's): ${c.suspect}, left alone`,
    `Held reservations checked: ${c.checked}; OZmap client gone: ${c.gone}`,
  ];
  for (const list of ['orphans', 'implantedHeld', 'gone', 'suspect'] as const) {
    const ids = report.ids[list].map((id) => `\`${id}\``);
    if (report.truncated.includes(list)) ids.push('…');
    if (ids.length > 0) lines.push(`${list}: ${ids.join(', ')}`);
  }
  return lines.join('\n\n');
}
