/**
 * The reconciler's names, input and report (docs/architecture.md, "Reconciler"): shared by the workflow, its
 * activities, the Schedule the worker registers, the CLI and the doctor. Plain types: the workflow bundle reads them.
 */

export const RECONCILE_WORKFLOW_TYPE = 'ReconcileWorkflow';
/** One Schedule per task queue: two deployments sharing a namespace each reconcile their own reservations. */
export const reconcileScheduleIdFor = (taskQueue: string): string => `reconcile-${taskQueue}`;
/** What a confirmSale sent by the reconciler says, so the reservation's outcome tells who confirmed it. */
export const RECONCILER_CONFIRM_NOTE = 'the reconciler saw the client implanted in OZmap';
/** Ids kept per kind in the report: enough to act on, small enough for history and the Web UI. */
export const REPORT_ID_CAP = 50;
export const DEFAULT_RECONCILE_PAGE_SIZE = 100;

export interface ReconcileInput {
  /** Report what would be done, change nothing. */
  dryRun?: boolean;
  /** OZmap properties and Temporal workflows read per activity. */
  pageSize?: number;
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

export const emptyReport = (dryRun: boolean, startedAt: string): ReconcileReport => ({
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
