/**
 * Demand (docs/demand.md): prospects for every "no", the waitlist that calls them back, and batch feasibility for the
 * expansion team. What the API, the CLI, the workflows and the stores share, defined once.
 */
import { z } from 'zod';
import { BATCH_ID_PATTERN } from './demand-ids.ts';

// The ids, workflow types and bounds workflow code needs live in demand-ids.ts, which has no zod.
export {
  BATCH_ID_PATTERN,
  BATCH_WORKFLOW_TYPE,
  WAITLIST_PAGES_PER_RUN,
  WAITLIST_PAGE_SIZE,
  WAITLIST_WORKFLOW_TYPE,
  batchWorkflowIdFor,
  prospectViableEventIdFor,
  waitlistScheduleIdFor,
  waitlistWorkflowIdFor,
} from './demand-ids.ts';

// ---- Prospects and the waitlist ----

/** What a reservation's state shows of the OZmap prospect its NO_COVERAGE made. */
export const ProspectRef = z.object({ id: z.string(), createdAt: z.string() });
export type ProspectRef = z.infer<typeof ProspectRef>;

/** How often open prospects are re-checked, and for how long after they were made, unless a tenant says otherwise. */
export const DEFAULT_WAITLIST_EVERY_DAYS = 7;
export const DEFAULT_WAITLIST_FOR_DAYS = 180;

/** Where a waitlist entry is: still waiting, called back (viable once), or past its window (closed, never deleted). */
export const WAITLIST_STATUSES = ['open', 'viable', 'closed'] as const;
export type WaitlistStatus = (typeof WAITLIST_STATUSES)[number];

/** What the `customer` column holds: the viability and customer the webhook names. */
export interface ProspectCustomer {
  viabilityId: string;
  customer: { code: string; name: string };
}

/** One waitlist row as the store, the activities and the waitlist share it. */
export interface WaitlistEntry extends ProspectCustomer {
  tenantId: string;
  externalId: string;
  prospectId: string;
  source: 'reservation' | 'batch';
  lat: number;
  lng: number;
  radiusMeters: number;
  status: WaitlistStatus;
  createdAt: string;
  openUntil: string;
}

/** The waitlist's store as the activities use it (registry/prospects.ts implements it). */
export interface WaitlistStore {
  get(tenantId: string, externalId: string): Promise<WaitlistEntry | undefined>;
  record(entry: Omit<WaitlistEntry, 'status'>): Promise<WaitlistEntry>;
  openPage(tenantId: string, after: string | undefined, limit: number): Promise<WaitlistEntry[]>;
  checked(tenantId: string, externalIds: string[], at: string): Promise<void>;
  markViable(tenantId: string, externalId: string, at: string): Promise<boolean>;
  markClosed(tenantId: string, externalId: string, at: string): Promise<boolean>;
}

/**
 * A tenant's prospects as its reservations and its waitlist go by (docs/demand.md, "Prospects"): absent or disabled,
 * a NO_COVERAGE makes no prospect and the tenant has no waitlist Schedule.
 */
export interface ProspectSettings {
  enabled: boolean;
  /** OZmap tag ids put on every prospect this tenant's reservations make. */
  tags: string[];
  /** How often the waitlist re-checks the open prospects. */
  everyDays: number;
  /** How long after it was made a prospect stays on the waitlist. */
  forDays: number;
}

/** What a waitlist round did: the Web UI shows it as the round goes, and it is the round's result. */
export interface WaitlistCounts {
  /** Open prospects looked at (closed ones included). */
  checked: number;
  areasSearched: number;
  ozmapCalls: number;
  becameViable: number;
  closed: number;
}

/** A waitlist round's input; `after`, `counts` and `roundAt` are set only by a run continued as new. */
export interface WaitlistInput {
  tenantId: string;
  pageSize?: number;
  /** The last external_id a previous run of this round handled: the next page starts after it. */
  after?: string;
  counts?: WaitlistCounts;
  /** The round's clock: a prospect past its window at this moment is closed (kept across continue-as-new). */
  roundAt?: string;
}

// ---- Batch feasibility (DESIGN §2.4) ----

/** The most rows one batch may hold: a larger file is refused with 413 before any row is stored. */
export const MAX_BATCH_ROWS = 50_000;
/** Rows an activity handles at once, and the most rows any workflow history carries at a time. */
export const BATCH_PAGE_ROWS = 500;
/** How long a batch and its results are kept after it ends, unless configured otherwise. */
export const DEFAULT_BATCH_RETENTION_DAYS = 30;
/**
 * The least time between two geocoding requests of batches, per worker process: Nominatim's public service asks for
 * at most one a second (BATCH_GEOCODE_INTERVAL_MS; a self-hosted geocoder or Google may take more).
 */
export const DEFAULT_BATCH_GEOCODE_INTERVAL_MS = 1000;

export const BATCH_STATUSES = ['RUNNING', 'COMPLETED', 'CANCELLED', 'FAILED'] as const;
export const BatchStatus = z.enum(BATCH_STATUSES);
export type BatchStatus = z.infer<typeof BatchStatus>;

/** What a row came to: `done` counts all four. */
export const ROW_OUTCOMES = ['viable', 'notViable', 'addressNotFound', 'invalid'] as const;
export const RowOutcome = z.enum(ROW_OUTCOMES);
export type RowOutcome = z.infer<typeof RowOutcome>;

export const BatchId = z.string().regex(BATCH_ID_PATTERN, 'must be a batch id as POST /v1/feasibility/batches gave it');

export interface BatchWorkflowInput {
  tenantId: string;
  batchId: string;
}

/** POST /v1/feasibility/batches → 202. */
export const BatchAccepted = z.object({ batchId: z.string(), status: BatchStatus, total: z.number().int() });
export type BatchAccepted = z.infer<typeof BatchAccepted>;

/** GET /v1/feasibility/batches/{batchId}: the counts, as DESIGN §2.4 names them. */
export const BatchProgress = z.object({
  batchId: z.string(),
  status: BatchStatus,
  total: z.number().int(),
  done: z.number().int(),
  viable: z.number().int(),
  notViable: z.number().int(),
  addressNotFound: z.number().int(),
  invalid: z.number().int(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  /** When the batch and its results are deleted (retention). */
  expiresAt: z.string(),
  /** Seconds left by the geocoder's pace and the rate so far; null once the batch ended or before a page is done. */
  etaSeconds: z.number().nullable(),
});
export type BatchProgress = z.infer<typeof BatchProgress>;

/** A row as the CSV gave it: strings, checked by the worker (a bad row becomes an `invalid` result, never a stop). */
export const BatchInputRow = z.object({
  id: z.string(),
  address: z.string().optional(),
  lat: z.string().optional(),
  lng: z.string().optional(),
  name: z.string().optional(),
  code: z.string().optional(),
  /** What the file itself got wrong on this line (a wrong number of fields, say): the row's `invalid` reason. */
  problem: z.string().optional(),
});
export type BatchInputRow = z.infer<typeof BatchInputRow>;

/** One result row: results.csv's columns (DESIGN §2.4), in this order. */
export const BATCH_RESULT_COLUMNS = [
  'id',
  'lat',
  'lng',
  'viable',
  'boxId',
  'boxName',
  'distanceMeters',
  'freePorts',
  'reason',
] as const;

export const BatchResult = z.object({
  outcome: RowOutcome,
  lat: z.number().nullable(),
  lng: z.number().nullable(),
  boxId: z.string().nullable(),
  boxName: z.string().nullable(),
  distanceMeters: z.number().nullable(),
  freePorts: z.number().int().nullable(),
  /** Why not viable, or why invalid (naming the column); null when viable. */
  reason: z.string().nullable(),
  /** `--prospects`: the OZmap prospect made for a row without coverage. */
  prospectId: z.string().nullable().optional(),
});
export type BatchResult = z.infer<typeof BatchResult>;
