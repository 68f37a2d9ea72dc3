/**
 * Batch feasibility's activities (docs/demand.md, "Batch feasibility: how it works"): a page of a batch's rows at a
 * time, read from the batches' store and written back to it, so that only counts pass through workflow history.
 * A page's rows are checked, address rows geocoded at the batch pace, the rest surveyed by area (area-survey.ts: one
 * OZmap search per area, not per row), and the results saved once whatever retries happen.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  BATCH_PAGE_ROWS,
  type BatchInputRow,
  type BatchProgress,
  type BatchResult,
  type BatchStatus,
  type RowOutcome,
} from '../contract/demand.ts';
import { AreaTooDenseError, evaluatePoint, surveyAreas, type AreaOzmap, type PoleMode } from './area-survey.ts';
import { classified } from './failures.ts';
import type { Geocoder } from './geocoder/geocoder.ts';
import { Throttle } from './geocoder/nominatim.ts';
import { UpstreamHttpError } from './http.ts';
import { tooDense } from './survey.ts';
import { onTenantOzmap, type TenantOzmaps } from './tenant-ozmaps.ts';

/** What the activities need of the batches' store (registry/batches.ts's BatchStore; injected by the worker). */
export interface BatchPageStore {
  progress(tenantId: string, batchId: string): Promise<StoredBatch | undefined>;
  pendingRows(batchId: string, fromIdx: number, limit: number): Promise<Array<{ idx: number; input: BatchInputRow }>>;
  saveResults(batchId: string, results: Array<{ idx: number; result: BatchResult }>): Promise<number>;
  finish(
    tenantId: string,
    batchId: string,
    status: Exclude<BatchStatus, 'RUNNING'>,
    at: string,
    expiresAt?: string,
  ): Promise<boolean>;
  deleteExpired(now: string, limit?: number): Promise<number>;
}

/** A batch as the store counts it now, with the options it was started with. */
export type StoredBatch = Pick<BatchProgress, 'status' | 'total' | 'done' | RowOutcome> & {
  options: { radiusMeters: number; prospects: boolean };
};

/**
 * The seam for `--prospects` (docs/demand.md): makes, once whatever retries happen, the OZmap prospect for a row
 * without coverage, and gives its id. Wired by the worker to the prospects' own idempotent maker; absent, the option
 * is ignored (the row's result says no prospect was made).
 */
export type EnsureBatchProspect = (input: BatchProspectInput) => Promise<{ id: string }>;

export interface BatchProspectInput {
  tenantId: string;
  batchId: string;
  /** The row's place in its batch: with the batch id, what makes the prospect's marker unique. */
  idx: number;
  row: Pick<BatchInputRow, 'id' | 'name' | 'code' | 'address'>;
  coordinates: { lat: number; lng: number };
  radiusMeters: number;
  reason: string;
}

export interface BatchActivityDeps {
  store: BatchPageStore;
  geocoder: Pick<Geocoder, 'geocode'>;
  /** The `default` tenant's OZmap, used when there is no tenant registry. */
  ozmap: AreaOzmap;
  /** Every tenant's OZmap behind its bulkhead (docs/tenants.md), as createActivities takes it. */
  tenants?: Pick<TenantOzmaps, 'run'>;
  /** Pole mode for a tenant (docs/poles.md): undefined for radius mode. */
  poleModeOf?: (tenantId: string) => Promise<PoleMode | undefined>;
  /** `--prospects`' seam (above). */
  ensureProspect?: EnsureBatchProspect;
  /** BATCH_GEOCODE_INTERVAL_MS: the least time between two geocoding requests of every batch of this process. */
  geocodeIntervalMs: number;
  /** BATCH_RETENTION_DAYS: a batch is deleted this long after it ends. */
  retentionDays: number;
  /** How long a page may geocode before it returns what it did (a retry then redoes at most that). */
  pageBudgetMs?: number;
  now?: () => number;
}

export interface BatchPageInput {
  tenantId: string;
  batchId: string;
  /** Rows before this one were all handled. */
  fromIdx: number;
}

/** The counts a page leaves in history: the batch's, as the store counts them now. Never rows. */
export interface BatchPageResult {
  status: BatchStatus;
  /** Where the next page starts; null when no row is left. */
  nextIdx: number | null;
  /** Rows this call handled (0 on a retry that found its work done). */
  handled: number;
  total: number;
  done: number;
  counts: Record<RowOutcome, number>;
}

/** A page stops geocoding after this long: well inside the heartbeat timeout and a retry's worth of work. */
export const DEFAULT_PAGE_BUDGET_MS = 30_000;
/** Well inside the workflow's heartbeat timeout (20 s). */
const HEARTBEAT_EVERY_MS = 5000;
/** Rows deleted per store call when retention runs. */
const DELETE_CHUNK = 100;
const DAY_MS = 86_400_000;

export function createBatchActivities(deps: BatchActivityDeps) {
  // One pace for every batch this process runs: Nominatim's 1/s is per client, not per batch.
  const pace = new Throttle(deps.geocodeIntervalMs);
  const now = deps.now ?? Date.now;
  return {
    processBatchPage: async (input: BatchPageInput) => {
      // Alive while it waits its turn at the geocoder too: the heartbeat timeout then tells a dead worker only.
      const beat = setInterval(heartbeat, HEARTBEAT_EVERY_MS);
      try {
        return await processBatchPage(deps, pace, now, input);
      } finally {
        clearInterval(beat);
      }
    },
    /** Ends a batch (idempotent: false when it had already ended); its retention starts now. */
    finishBatch: async (input: BatchWorkflowEnd): Promise<boolean> => {
      const at = now();
      return deps.store.finish(
        input.tenantId,
        input.batchId,
        input.status,
        new Date(at).toISOString(),
        new Date(at + deps.retentionDays * DAY_MS).toISOString(),
      );
    },
    /** Deletes every batch past its retention, a chunk at a time; how many. */
    deleteExpiredBatches: async (): Promise<number> => {
      let deleted = 0;
      for (;;) {
        const n = await deps.store.deleteExpired(new Date(now()).toISOString(), DELETE_CHUNK);
        deleted += n;
        heartbeat();
        if (n < DELETE_CHUNK) return deleted;
      }
    },
  };
}

export interface BatchWorkflowEnd {
  tenantId: string;
  batchId: string;
  status: Exclude<BatchStatus, 'RUNNING'>;
}

export type BatchActivities = ReturnType<typeof createBatchActivities>;

/** A row once checked: what it still needs. */
type Checked =
  | { idx: number; kind: 'done'; result: BatchResult }
  | { idx: number; kind: 'point'; row: BatchInputRow; lat: number; lng: number }
  | { idx: number; kind: 'address'; row: BatchInputRow; address: string };

async function processBatchPage(
  deps: BatchActivityDeps,
  pace: Throttle,
  now: () => number,
  input: BatchPageInput,
): Promise<BatchPageResult> {
  const started = now();
  const budget = deps.pageBudgetMs ?? DEFAULT_PAGE_BUDGET_MS;
  const batch = await deps.store.progress(input.tenantId, input.batchId);
  if (!batch)
    throw ApplicationFailure.nonRetryable(`Tenant ${input.tenantId} has no batch ${input.batchId}`, 'BatchNotFound');
  if (batch.status !== 'RUNNING') return summary(batch, null, 0);
  const rows = await deps.store.pendingRows(input.batchId, input.fromIdx, BATCH_PAGE_ROWS);
  if (rows.length === 0) return summary(batch, null, 0);
  const radiusMeters = batch.options.radiusMeters;

  const checked = rows.map(({ idx, input: row }) => check(idx, row));
  const results: Array<{ idx: number; result: BatchResult }> = [];
  const points: Array<{ idx: number; row: BatchInputRow; lat: number; lng: number; radiusMeters: number }> = [];
  // The first address row left for the next page when the budget ran out; rows after it are still done now.
  let leftFrom: number | undefined;
  let geocoded = 0;
  for (const c of checked) {
    if (c.kind === 'done') results.push({ idx: c.idx, result: c.result });
    else if (c.kind === 'point') points.push({ ...c, radiusMeters });
    // At least one address a page, so that every page moves on however slow the geocoder or long its queue; none
    // more once the run is cancelled (what was done is saved only while the batch runs).
    else if (leftFrom !== undefined || (geocoded > 0 && (now() - started > budget || cancelled()))) leftFrom ??= c.idx;
    else {
      geocoded++;
      const found = await geocodeAtPace(deps.geocoder, pace, c.address);
      heartbeat();
      if (found) points.push({ idx: c.idx, row: c.row, lat: found.lat, lng: found.lng, radiusMeters });
      else results.push({ idx: c.idx, result: addressNotFound(c.address) });
    }
  }

  if (points.length > 0) {
    const poles = await deps.poleModeOf?.(input.tenantId);
    const surveyed = await onTenantOzmap(deps, input.tenantId, (ozmap: AreaOzmap) =>
      classified('OZmap', async () => {
        try {
          return await surveyAreas(ozmap, points, { ...(poles ? { poles } : {}), onArea: heartbeat });
        } catch (err) {
          throw err instanceof AreaTooDenseError ? tooDense(err) : err;
        }
      }),
    );
    heartbeat();
    for (const { fetched, members } of surveyed)
      for (const p of members) {
        const [nearest] = evaluatePoint(fetched, p).candidates;
        results.push({
          idx: p.idx,
          result: nearest
            ? {
                outcome: 'viable',
                lat: p.lat,
                lng: p.lng,
                boxId: nearest.boxId,
                boxName: nearest.boxName,
                distanceMeters: nearest.distanceMeters,
                freePorts: nearest.freePorts,
                reason: null,
              }
            : await notViable(deps, input, p, `No box with a free port within ${radiusMeters} m`, batch.options),
        });
      }
  }

  results.sort((a, b) => a.idx - b.idx);
  const handled = await deps.store.saveResults(input.batchId, results);
  const after = (await deps.store.progress(input.tenantId, input.batchId)) ?? batch;
  const last = rows[rows.length - 1]!.idx;
  return summary(after, leftFrom ?? (rows.length < BATCH_PAGE_ROWS ? null : last + 1), handled);
}

async function notViable(
  deps: BatchActivityDeps,
  input: BatchPageInput,
  p: { idx: number; row: BatchInputRow; lat: number; lng: number; radiusMeters: number },
  reason: string,
  options: { prospects: boolean },
): Promise<BatchResult> {
  const result: BatchResult = {
    outcome: 'notViable',
    lat: p.lat,
    lng: p.lng,
    boxId: null,
    boxName: null,
    distanceMeters: null,
    freePorts: null,
    reason,
  };
  if (!options.prospects || !deps.ensureProspect) return result;
  const { id, name, code, address } = p.row;
  const prospect = await deps.ensureProspect({
    tenantId: input.tenantId,
    batchId: input.batchId,
    idx: p.idx,
    row: { id, name, code, address },
    coordinates: { lat: p.lat, lng: p.lng },
    radiusMeters: p.radiusMeters,
    reason,
  });
  heartbeat();
  return { ...result, prospectId: prospect.id };
}

/**
 * The geocoder at the batch pace. A request the geocoder refuses as such (4xx) is that address's problem, not the
 * batch's: the row is `addressNotFound`; outages are retried with the page.
 */
async function geocodeAtPace(geocoder: Pick<Geocoder, 'geocode'>, pace: Throttle, address: string) {
  return classified('Geocoder', async () => {
    try {
      return await pace.run(() => geocoder.geocode(address));
    } catch (err) {
      if (err instanceof UpstreamHttpError && (err.kind === 'validation' || err.kind === 'not-found')) return null;
      throw err;
    }
  });
}

/** Whether the run asked this activity to stop (false outside an activity). */
function cancelled(): boolean {
  try {
    return Context.current().cancellationSignal.aborted;
  } catch {
    return false;
  }
}

function heartbeat(): void {
  // Outside an activity (unit tests call the functions directly) there is nothing to heartbeat.
  try {
    Context.current().heartbeat();
  } catch {
    /* not in an activity */
  }
}

function summary(p: StoredBatch, nextIdx: number | null, handled: number): BatchPageResult {
  return {
    status: p.status,
    nextIdx: p.status === 'RUNNING' ? nextIdx : null,
    handled,
    total: p.total,
    done: p.done,
    counts: { viable: p.viable, notViable: p.notViable, addressNotFound: p.addressNotFound, invalid: p.invalid },
  };
}

const empty = { lat: null, lng: null, boxId: null, boxName: null, distanceMeters: null, freePorts: null };

const invalid = (reason: string): BatchResult => ({ outcome: 'invalid', ...empty, reason });

const addressNotFound = (address: string): BatchResult => ({
  outcome: 'addressNotFound',
  ...empty,
  reason: `The geocoder found no place for "${address.slice(0, 200)}"`,
});

/** A coordinate as the file gave it: a decimal number, with a point or (pt-BR) a comma; nothing else, never 0. */
const DECIMAL = /^[-+]?(\d+([.,]\d*)?|[.,]\d+)$/;

/** Reads one coordinate column: the number, or why it is not one (naming the column). */
function coordinate(column: 'lat' | 'lng', text: string | undefined): number | string {
  const value = (text ?? '').trim();
  if (value === '') return `${column}: empty`;
  if (!DECIMAL.test(value)) return `${column}: not a number ("${value.slice(0, 40)}")`;
  const n = Number(value.replace(',', '.'));
  const limit = column === 'lat' ? 90 : 180;
  if (!Number.isFinite(n) || Math.abs(n) > limit) return `${column}: out of range (-${limit} to ${limit}): ${value}`;
  return n;
}

/**
 * What a row is (DESIGN §2.4): `invalid` with the reason naming the column (the file's own problem first, then an
 * empty id, then a coordinate that is empty or not a number, then no address either); else a point, or an address
 * to geocode. A row with either coordinate column filled is a coordinate row.
 */
export function check(idx: number, row: BatchInputRow): Checked {
  if (row.problem) return { idx, kind: 'done', result: invalid(row.problem) };
  if (!row.id?.trim()) return { idx, kind: 'done', result: invalid('id: empty') };
  const hasCoordinates = Boolean(row.lat?.trim() || row.lng?.trim());
  if (hasCoordinates) {
    const lat = coordinate('lat', row.lat);
    const lng = coordinate('lng', row.lng);
    if (typeof lat === 'string') return { idx, kind: 'done', result: invalid(lat) };
    if (typeof lng === 'string') return { idx, kind: 'done', result: invalid(lng) };
    return { idx, kind: 'point', row, lat, lng };
  }
  const address = row.address?.trim();
  if (!address) return { idx, kind: 'done', result: invalid('address: empty, and no lat/lng') };
  return { idx, kind: 'address', row, address };
}
