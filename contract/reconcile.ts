/**
 * The reconciler's names, input and report (docs/architecture.md, "Reconciler"): shared by the workflow, its
 * activities, the Schedule the worker registers, the CLI and the doctor. Plain types: the workflow bundle reads them
 * (the caller's part of the input is validated with the zod schema ReconcileRequest, contract/schemas.ts).
 */
import type { ReconcileRequest } from './schemas.ts';

/** One tenant's reconciliation (its OZmap, its reservations). */
export const RECONCILE_WORKFLOW_TYPE = 'ReconcileWorkflow';
/** What the Schedule runs: one ReconcileWorkflow per enabled tenant, as children. */
export const RECONCILE_TENANTS_WORKFLOW_TYPE = 'ReconcileTenantsWorkflow';
/** One Schedule per task queue: two deployments sharing a namespace each reconcile their own reservations. */
export const reconcileScheduleIdFor = (taskQueue: string): string => `reconcile-${taskQueue}`;
/** What a confirmSale sent by the reconciler says, so the reservation's outcome tells who confirmed it. */
export const RECONCILER_CONFIRM_NOTE = 'the reconciler saw the client implanted in OZmap';
/** Ids kept per kind in the report: enough to act on, small enough for history and the Web UI. */
export const REPORT_ID_CAP = 50;
export const DEFAULT_RECONCILE_PAGE_SIZE = 100;

/**
 * The id of a tenant's child run of a whole reconciliation: the task queue, the tenant, and the whole run's start (so
 * each whole run's children have ids of their own, and the tenant reads in the Web UI's list).
 */
export const reconcileChildIdFor = (taskQueue: string, tenantId: string, startedAt: string): string =>
  `reconcile-${taskQueue}-${tenantId}-${startedAt}`;

/** dryRun, pageSize and tenantId (absent: `default`) as the caller asked (ReconcileRequest), and the run's own. */
export interface ReconcileInput extends ReconcileRequest {
  /** Pages per run before it continues as new (default and most: workflows/reconcile/workflow.ts, PAGES_PER_RUN). */
  pagesPerRun?: number;
  /** Set only by continue-as-new: where the last run stopped and what it had counted. */
  progress?: ReconcileProgress;
}

/** Where a reconciliation is: the OZmap pass (after the last property id seen), then the Temporal pass. */
export type ReconcileCursor =
  { phase: 'ozmap'; afterPropertyId?: string } | { phase: 'temporal'; pageToken?: string } | { phase: 'done' };

export interface ReconcileProgress {
  cursor: ReconcileCursor;
  report: ReconcileReport;
  /** Runs so far, this one included. */
  runs: number;
}

/** Found while paging OZmap's marked properties; `id` lists carry viability ids, capped at REPORT_ID_CAP. */
export interface ReconcileCounts {
  /** Marked properties read. */
  scanned: number;
  /** Held by an open reservation workflow and not implanted: as it should be. */
  held: number;
  /** Never implanted, held by no open workflow. */
  orphans: number;
  /** Orphans deleted (0 in a dry run). */
  released: number;
  /** Implanted in OZmap while an open workflow still holds them in RESERVED. */
  implantedHeld: number;
  /** Of those, the workflows sent confirmSale (0 in a dry run). */
  confirmed: number;
  /** Implanted, no open workflow: installed customers, never touched. */
  installed: number;
  /** Orphans on the first read that the re-read before the delete found implanted, held or gone: left alone. */
  changed: number;
  /** Rows without this project's marker (a server that ignored the filter): never touched. */
  unmarked: number;
  /**
   * Rows with a reservation's marker that are not that reservation's (docs/architecture.md, "Invariants" 7): the
   * client lacks the marker or has another customer's code, there is none, or it is implanted on a property other
   * than the one the open reservation holds. Never touched; their property ids are listed.
   */
  suspect: number;
  /** Open RESERVED workflows whose OZmap property or client no longer exists: reported, not changed. */
  gone: number;
  /** Open RESERVED workflows looked at in the Temporal pass. */
  checked: number;
}

/** Viability ids, except `suspect`: OZmap property ids (the records to look at). */
export type ReconcileIdList = 'orphans' | 'implantedHeld' | 'gone' | 'changed' | 'suspect';

export interface ReconcileReport {
  /** The tenant reconciled; absent in the reports of runs from before tenants (the `default` tenant's). */
  tenantId?: string;
  dryRun: boolean;
  startedAt: string;
  finishedAt?: string;
  counts: ReconcileCounts;
  ids: Record<ReconcileIdList, string[]>;
  /** Lists that reached REPORT_ID_CAP: their count is right, their ids are the first ones. */
  truncated: ReconcileIdList[];
  /** Pages read in both passes, and runs of the workflow (continue-as-new). */
  pages: number;
  runs: number;
}

/** What one row of the OZmap pass came to, as the activity returns it. */
export type MarkedOutcome = 'held' | 'orphan' | 'implantedHeld' | 'installed' | 'changed' | 'unmarked' | 'suspect';

export interface MarkedPageResult {
  outcomes: Array<{ outcome: MarkedOutcome; viabilityId?: string; propertyId: string }>;
  /** The id to continue after; absent once the last page was read. */
  next?: string;
  /** In a real run, how many orphans were deleted and workflows signalled. */
  released: number;
  confirmed: number;
}

export interface HeldPageResult {
  checked: number;
  gone: string[];
  nextPageToken?: string;
}

export const emptyReport = (dryRun: boolean, startedAt: string, tenantId?: string): ReconcileReport => ({
  ...(tenantId !== undefined && { tenantId }),
  dryRun,
  startedAt,
  counts: {
    scanned: 0,
    held: 0,
    orphans: 0,
    released: 0,
    implantedHeld: 0,
    confirmed: 0,
    installed: 0,
    changed: 0,
    unmarked: 0,
    suspect: 0,
    gone: 0,
    checked: 0,
  },
  ids: { orphans: [], implantedHeld: [], gone: [], changed: [], suspect: [] },
  truncated: [],
  pages: 0,
  runs: 1,
});

/** Tenants a whole reconciliation runs at once (each a child run reading its own OZmap). */
export const TENANTS_AT_ONCE = 4;
/** Tenant ids the listing activity returns per page. */
export const TENANTS_PAGE_SIZE = 50;
/** Tenants kept by name in a whole reconciliation's report; the counts go on. */
export const REPORT_TENANT_CAP = 100;

/** The Schedule's input: every enabled tenant, each reconciled by a child ReconcileWorkflow. */
export interface ReconcileTenantsInput {
  /**
   * The task queue its children's ids name (reconcileChildIdFor): in the input, recorded, rather than read from where
   * the run happens to execute, so that a replay elsewhere issues the same commands.
   */
  taskQueue: string;
  dryRun?: boolean;
  pageSize?: number;
  /** Set only by continue-as-new: the last tenant id listed, and what the runs so far found. */
  progress?: { afterTenantId?: string; report: ReconcileTenantsReport };
}

/** How one tenant's child run ended: its counts, or why it failed (its own history has the rest). */
export type TenantReconcileOutcome =
  | { tenantId: string; workflowId: string; ok: true; counts: ReconcileCounts }
  | { tenantId: string; workflowId: string; ok: false; error: string };

export interface ReconcileTenantsReport {
  dryRun: boolean;
  startedAt: string;
  finishedAt?: string;
  /** Tenants whose run completed, and whose run failed (OZmap down, say: the others went on). */
  reconciled: number;
  failed: number;
  /** Every completed run's counts, added up. */
  counts: ReconcileCounts;
  /** The first REPORT_TENANT_CAP tenants' outcomes, failed ones always kept first. */
  tenants: TenantReconcileOutcome[];
  /** Whether `tenants` reached its cap. */
  truncated: boolean;
  /** Runs of the workflow (continue-as-new). */
  runs: number;
}

/** One page of the registry's enabled tenants, by id, after a cursor. */
export interface TenantsPageResult {
  tenantIds: string[];
  /** The id to list after; absent once the last page was read. */
  next?: string;
}
