/**
 * Batch feasibility (docs/demand.md, "For the expansion team"): what the HTTP API does for a batch, one tenant at a
 * time. A batch's rows go to the store in one transaction, then its workflow is started (BATCH_WORKFLOW_TYPE, one per
 * batch), which reads them a page at a time and writes each row's result back; progress is counted from the store,
 * never asked of the workflow. Cancelling ends the batch in the store first (the workflow's later writes are
 * refused there), then cancels the workflow.
 */
import { randomBytes } from 'node:crypto';
import { ServiceError, WorkflowNotFoundError, isGrpcServiceError, type Client } from '@temporalio/client';
import {
  BATCH_WORKFLOW_TYPE,
  DEFAULT_BATCH_GEOCODE_INTERVAL_MS,
  DEFAULT_BATCH_RETENTION_DAYS,
  MAX_BATCH_ROWS,
  batchWorkflowIdFor,
  type BatchAccepted,
  type BatchInputRow,
  type BatchProgress,
  type BatchResult,
  type BatchStatus,
  type BatchWorkflowInput,
} from '../contract/demand.ts';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import { TenantIdKey } from '../contract/search-attributes.ts';

/** What a batch is started with (the store keeps it; the workflow reads it from there). */
export interface BatchOptions {
  radiusMeters: number;
  prospects: boolean;
}

/** A batch's counts as the store holds them (registry/batches.ts, BatchStore, fits this). */
export type StoredBatch = Omit<BatchProgress, 'etaSeconds'> & { options: BatchOptions };

/** What this needs of the batches' store (registry/batches.ts). */
export interface BatchStorePort {
  create(
    batch: { id: string; tenantId: string; options: BatchOptions; createdAt: string; expiresAt: string },
    rows: AsyncIterable<BatchInputRow>,
    maxRows: number,
  ): Promise<{ total: number }>;
  progress(tenantId: string, batchId: string): Promise<StoredBatch | undefined>;
  pendingWork(batchId: string): Promise<{ pending: number; geocode: number; problem: number }>;
  runningCount(tenantId: string): Promise<number>;
  finish(tenantId: string, batchId: string, status: Exclude<BatchStatus, 'RUNNING'>, at: string): Promise<boolean>;
  results(
    tenantId: string,
    batchId: string,
    fromIdx: number,
    limit: number,
  ): Promise<Array<{ idx: number; input: BatchInputRow; result: BatchResult | null }>>;
  list(tenantId: string, limit: number, before?: string): Promise<Array<{ batchId: string; createdAt: string }>>;
}

export interface BatchSettings {
  /** Days a batch and its results are kept after it is made (DEFAULT_BATCH_RETENTION_DAYS). */
  retentionDays: number;
  /** The workers' pace for address rows (BATCH_GEOCODE_INTERVAL_MS): they cannot go faster. None: no fixed pace. */
  geocoderIntervalMs?: number;
  /** Batches a tenant may have running at once: a third waits for one to end (429). */
  maxRunningPerTenant: number;
}

export const DEFAULT_BATCH_SETTINGS: BatchSettings = {
  retentionDays: DEFAULT_BATCH_RETENTION_DAYS,
  geocoderIntervalMs: DEFAULT_BATCH_GEOCODE_INTERVAL_MS,
  maxRunningPerTenant: 3,
};

/** No batch by that id for this tenant (another tenant's is not found either). */
export class BatchNotFoundError extends Error {
  constructor(readonly batchId: string) {
    super(`No batch ${batchId}: it never existed, belongs to another key's tenant, or its retention ran out`);
    this.name = 'BatchNotFoundError';
  }
}

/** The batch already ended: nothing to cancel. */
export class BatchEndedError extends Error {
  constructor(
    readonly batchId: string,
    readonly status: BatchStatus,
  ) {
    super(`Batch ${batchId} already ended as ${status}: there is nothing to cancel`);
    this.name = 'BatchEndedError';
  }
}

/** The tenant has as many batches running as it may. */
export class TooManyBatchesError extends Error {
  constructor(readonly limit: number) {
    super(`This tenant already has ${limit} batches running: wait for one to end, or cancel one, then send again`);
    this.name = 'TooManyBatchesError';
  }
}

/** Temporal could not be asked (down, or the request's time ran out). */
const isUnavailable = (err: unknown) =>
  err instanceof ServiceError ||
  isGrpcServiceError(err) ||
  (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'));

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** `fb_` and 20 base32 characters from 100 random bits (contract/demand.ts BATCH_ID_PATTERN). */
export function newBatchId(): string {
  return `fb_${[...randomBytes(20)].map((b) => BASE32[b & 31]).join('')}`;
}

/**
 * Seconds left: rows waiting for the geocoder at its pace, the others at the rate so far (rows whose line was wrong
 * need no look-up and count for nothing); null when unknown (nothing done yet but rows that need OZmap).
 */
export function estimateSeconds(
  batch: Pick<StoredBatch, 'status' | 'done' | 'total' | 'createdAt'>,
  work: { pending: number; geocode: number; problem: number },
  geocoderIntervalMs: number | undefined,
  now: Date,
): number | null {
  if (batch.status !== 'RUNNING') return null;
  if (work.pending === 0) return 0;
  const geocode = geocoderIntervalMs === undefined ? 0 : work.geocode;
  const rest = work.pending - geocode - work.problem;
  const elapsed = (now.getTime() - Date.parse(batch.createdAt)) / 1000;
  if (rest > 0 && (batch.done === 0 || elapsed <= 0)) return null;
  const restSeconds = rest > 0 ? rest / (batch.done / elapsed) : 0;
  return Math.ceil((geocode * (geocoderIntervalMs ?? 0)) / 1000 + restSeconds);
}

export class BatchesClient {
  constructor(
    private readonly store: BatchStorePort,
    private readonly temporal: Client,
    private readonly taskQueue: string,
    private readonly settings: BatchSettings = DEFAULT_BATCH_SETTINGS,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Stores the rows (all or none: a file over MAX_BATCH_ROWS, or one refused midway, leaves nothing) and starts the
   * batch's workflow. A start that fails marks the batch FAILED, so no RUNNING batch is left without a workflow.
   */
  async create(
    tenantId: string,
    rows: AsyncIterable<BatchInputRow>,
    options: BatchOptions,
    signal?: AbortSignal,
  ): Promise<BatchAccepted> {
    if ((await this.store.runningCount(tenantId)) >= this.settings.maxRunningPerTenant)
      throw new TooManyBatchesError(this.settings.maxRunningPerTenant);
    const batchId = newBatchId();
    const created = this.now();
    const expires = new Date(created.getTime() + this.settings.retentionDays * 86_400_000);
    const { total } = await this.store.create(
      { id: batchId, tenantId, options, createdAt: created.toISOString(), expiresAt: expires.toISOString() },
      rows,
      MAX_BATCH_ROWS,
    );
    try {
      const start = () =>
        this.temporal.workflow.start(BATCH_WORKFLOW_TYPE, {
          workflowId: batchWorkflowIdFor(tenantId, batchId),
          taskQueue: this.taskQueue,
          args: [{ tenantId, batchId } satisfies BatchWorkflowInput],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
          // Fair between tenants (docs/tenants.md, "Isolation"): one tenant's 50,000 rows do not hold up another's.
          priority: { fairnessKey: tenantId },
          staticSummary:
            `Feasibility batch ${batchId} (${total} rows)` + (tenantId === DEFAULT_TENANT_ID ? '' : ` of ${tenantId}`),
        });
      await (signal ? this.temporal.withAbortSignal(signal, start) : start());
    } catch (err) {
      await this.store.finish(tenantId, batchId, 'FAILED', this.now().toISOString());
      throw err;
    }
    return { batchId, status: 'RUNNING', total };
  }

  /** The batch's counts and the time left; BatchNotFoundError when the tenant has no such batch. */
  async progress(tenantId: string, batchId: string): Promise<BatchProgress> {
    const stored = await this.stored(tenantId, batchId);
    const work =
      stored.status === 'RUNNING' ? await this.store.pendingWork(batchId) : { pending: 0, geocode: 0, problem: 0 };
    const { options: _options, ...progress } = stored;
    return {
      ...progress,
      etaSeconds: estimateSeconds(stored, work, this.settings.geocoderIntervalMs, this.now()),
    };
  }

  /**
   * Cancels a running batch: ended as CANCELLED in the store (rows already handled keep their results, the rest are
   * never written), then its workflow is cancelled. BatchEndedError when it had already ended.
   */
  async cancel(tenantId: string, batchId: string, signal?: AbortSignal): Promise<BatchProgress> {
    await this.stored(tenantId, batchId); // not found: 404, before anything changes
    if (!(await this.store.finish(tenantId, batchId, 'CANCELLED', this.now().toISOString())))
      throw new BatchEndedError(batchId, (await this.stored(tenantId, batchId)).status);
    const handle = this.temporal.workflow.getHandle(batchWorkflowIdFor(tenantId, batchId));
    try {
      await (signal ? this.temporal.withAbortSignal(signal, () => handle.cancel()) : handle.cancel());
    } catch (err) {
      // The store is the truth and says CANCELLED: the workflow's writes are refused from now on, and it ends at its
      // next page. Gone already (it ended on its own), or Temporal unreachable: the cancel still stands.
      if (!(err instanceof WorkflowNotFoundError) && !isUnavailable(err)) throw err;
    }
    return this.progress(tenantId, batchId);
  }

  /** A tenant's batches, newest first, with their counts. */
  async list(tenantId: string, limit: number, before?: string): Promise<BatchProgress[]> {
    const page = await this.store.list(tenantId, limit, before);
    return Promise.all(page.map((b) => this.progress(tenantId, b.batchId)));
  }

  /** The batch's rows and results in input order, a page at a time, for as long as the caller reads. */
  async *rows(
    tenantId: string,
    batchId: string,
    pageRows = 1000,
    fromIdx = 0,
  ): AsyncGenerator<{ idx: number; input: BatchInputRow; result: BatchResult | null }> {
    for (let from = fromIdx; ;) {
      const page = await this.store.results(tenantId, batchId, from, pageRows);
      yield* page;
      if (page.length < pageRows) return;
      from = page[page.length - 1]!.idx + 1;
    }
  }

  /** The batch as stored, or BatchNotFoundError. */
  async stored(tenantId: string, batchId: string): Promise<StoredBatch> {
    const stored = await this.store.progress(tenantId, batchId);
    if (!stored) throw new BatchNotFoundError(batchId);
    return stored;
  }
}
