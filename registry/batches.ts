/**
 * Feasibility batches' store (docs/demand.md, "Batch feasibility: how it works"): a batch and its rows in the tenant
 * registry's database, so that no workflow history ever holds more than a page of rows, and results outlive every
 * process. Every read and write is scoped by tenant: another tenant's batch id finds nothing.
 */
import { sql } from 'kysely';
import {
  ROW_OUTCOMES,
  type BatchInputRow,
  type BatchProgress,
  type BatchResult,
  type BatchStatus,
  type RowOutcome,
} from '../contract/demand.ts';
import { databaseOf, type RegistryDb, type RegistryDbSource } from './database.ts';

/** A row the geocoder must place: an address, no coordinates, nothing wrong with its line (see pendingWork). */
const GEOCODED = sql.raw(`input like '%"address":%' and input not like '%"lat":%' and input not like '%"problem":%'`);

/** Rows inserted per statement: well under SQLite's 32,766 bound parameters (3 columns a row). */
const INSERT_CHUNK = 500;

/** What the worker starts a batch's workflow with, besides its ids. */
export interface BatchOptions {
  radiusMeters: number;
  /** `--prospects`: rows without coverage become OZmap prospects (docs/demand.md). */
  prospects: boolean;
}

export interface NewBatch {
  id: string;
  tenantId: string;
  options: BatchOptions;
  createdAt: string;
  expiresAt: string;
}

/** More rows than a batch may hold: nothing was stored. */
export class BatchTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the batch has more than ${limit} rows: split the file`);
    this.name = 'BatchTooLargeError';
  }
}

export type StoredProgress = Omit<BatchProgress, 'etaSeconds'> & { options: BatchOptions };

export class BatchStore {
  constructor(private readonly source: RegistryDbSource) {}

  #db(): Promise<RegistryDb> {
    return databaseOf(this.source);
  }

  /**
   * Stores a batch and all its rows in one transaction, reading `rows` as they come (a stream of the uploaded file):
   * a file over `maxRows`, or one that fails midway, leaves nothing behind.
   */
  async create(
    batch: NewBatch,
    rows: AsyncIterable<BatchInputRow> | Iterable<BatchInputRow>,
    maxRows: number,
  ): Promise<{ total: number }> {
    return (await this.#db()).transaction().execute(async (trx) => {
      await trx
        .insertInto('batches')
        .values({
          id: batch.id,
          tenant_id: batch.tenantId,
          status: 'RUNNING',
          total: 0,
          options: JSON.stringify(batch.options),
          created_at: batch.createdAt,
          finished_at: null,
          expires_at: batch.expiresAt,
        })
        .execute();
      let total = 0;
      let chunk: Array<{ batch_id: string; idx: number; input: string }> = [];
      const flush = async () => {
        if (chunk.length > 0) await trx.insertInto('batch_rows').values(chunk).execute();
        chunk = [];
      };
      for await (const row of rows) {
        if (total >= maxRows) throw new BatchTooLargeError(maxRows);
        chunk.push({ batch_id: batch.id, idx: total++, input: JSON.stringify(row) });
        if (chunk.length >= INSERT_CHUNK) await flush();
      }
      await flush();
      await trx.updateTable('batches').set({ total }).where('id', '=', batch.id).execute();
      return { total };
    });
  }

  /** The batch with its counts (its rows' outcomes, counted now), or undefined when the tenant has no such batch. */
  async progress(tenantId: string, batchId: string): Promise<StoredProgress | undefined> {
    const batch = await (
      await this.#db()
    )
      .selectFrom('batches')
      .selectAll()
      .where('id', '=', batchId)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!batch) return undefined;
    const counted = await (
      await this.#db()
    )
      .selectFrom('batch_rows')
      .select(['outcome', sql<number>`count(*)`.as('n')])
      .where('batch_id', '=', batchId)
      .where('outcome', 'is not', null)
      .groupBy('outcome')
      .execute();
    const counts = Object.fromEntries(ROW_OUTCOMES.map((o) => [o, 0])) as Record<RowOutcome, number>;
    for (const { outcome, n } of counted) if (outcome && outcome in counts) counts[outcome as RowOutcome] = Number(n);
    return {
      batchId: batch.id,
      status: batch.status as BatchStatus,
      total: batch.total,
      done: ROW_OUTCOMES.reduce((sum, o) => sum + counts[o], 0),
      ...counts,
      createdAt: batch.created_at,
      finishedAt: batch.finished_at,
      expiresAt: batch.expires_at,
      options: JSON.parse(batch.options) as BatchOptions,
    };
  }

  /**
   * Rows not yet handled, how many of them wait for the geocoder (an address, no coordinates, nothing wrong with the
   * line) and how many need no look-up at all (the line's own problem): what an honest estimate of the time left
   * needs. The input is JSON written by JSON.stringify, so a key such as `"lat":` appears only as a key (inside a
   * string its quotes are escaped).
   */
  async pendingWork(batchId: string): Promise<{ pending: number; geocode: number; problem: number }> {
    const row = await (
      await this.#db()
    )
      .selectFrom('batch_rows')
      .select([
        sql<number>`count(*)`.as('pending'),
        sql<number>`sum(case when ${GEOCODED} then 1 else 0 end)`.as('geocode'),
        sql<number>`sum(case when input like '%"problem":%' then 1 else 0 end)`.as('problem'),
      ])
      .where('batch_id', '=', batchId)
      .where('outcome', 'is', null)
      .executeTakeFirst();
    return {
      pending: Number(row?.pending ?? 0),
      geocode: Number(row?.geocode ?? 0),
      problem: Number(row?.problem ?? 0),
    };
  }

  /** How many of a tenant's batches are running: what bounds a tenant's batches in flight. */
  async runningCount(tenantId: string): Promise<number> {
    const row = await (
      await this.#db()
    )
      .selectFrom('batches')
      .select(sql<number>`count(*)`.as('n'))
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'RUNNING')
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Up to `limit` rows not yet handled, from `fromIdx` on, in input order: what one activity works on. */
  async pendingRows(
    batchId: string,
    fromIdx: number,
    limit: number,
  ): Promise<Array<{ idx: number; input: BatchInputRow }>> {
    const rows = await (
      await this.#db()
    )
      .selectFrom('batch_rows')
      .select(['idx', 'input'])
      .where('batch_id', '=', batchId)
      .where('idx', '>=', fromIdx)
      .where('outcome', 'is', null)
      .orderBy('idx')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ idx: r.idx, input: JSON.parse(r.input) as BatchInputRow }));
  }

  /**
   * Writes results, each at most once (a retried activity finds its rows already handled and changes nothing), and
   * only while the batch runs: a cancelled batch keeps what it had. Returns how many rows this call wrote.
   */
  async saveResults(batchId: string, results: Array<{ idx: number; result: BatchResult }>): Promise<number> {
    if (results.length === 0) return 0;
    return (await this.#db()).transaction().execute(async (trx) => {
      const running = await trx
        .selectFrom('batches')
        .select('id')
        .where('id', '=', batchId)
        .where('status', '=', 'RUNNING')
        .executeTakeFirst();
      if (!running) return 0;
      let written = 0;
      for (const { idx, result } of results) {
        const { numUpdatedRows } = await trx
          .updateTable('batch_rows')
          .set({ outcome: result.outcome, result: JSON.stringify(result) })
          .where('batch_id', '=', batchId)
          .where('idx', '=', idx)
          .where('outcome', 'is', null)
          .executeTakeFirst();
        written += Number(numUpdatedRows);
      }
      return written;
    });
  }

  /**
   * Ends a running batch (COMPLETED, CANCELLED or FAILED); false when it had already ended or does not exist.
   * `expiresAt`, when given, moves the batch's deletion to its retention after this end (the worker's finish does).
   */
  async finish(
    tenantId: string,
    batchId: string,
    status: Exclude<BatchStatus, 'RUNNING'>,
    at: string,
    expiresAt?: string,
  ) {
    const { numUpdatedRows } = await (
      await this.#db()
    )
      .updateTable('batches')
      .set({ status, finished_at: at, ...(expiresAt ? { expires_at: expiresAt } : {}) })
      .where('id', '=', batchId)
      .where('tenant_id', '=', tenantId)
      .where('status', '=', 'RUNNING')
      .executeTakeFirst();
    return Number(numUpdatedRows) > 0;
  }

  /** A page of results in input order (rows not yet handled have `result` null): what the exports stream. */
  async results(
    tenantId: string,
    batchId: string,
    fromIdx: number,
    limit: number,
  ): Promise<Array<{ idx: number; input: BatchInputRow; result: BatchResult | null }>> {
    const rows = await (
      await this.#db()
    )
      .selectFrom('batch_rows')
      .innerJoin('batches', 'batches.id', 'batch_rows.batch_id')
      .select(['batch_rows.idx', 'batch_rows.input', 'batch_rows.result'])
      .where('batch_rows.batch_id', '=', batchId)
      .where('batches.tenant_id', '=', tenantId)
      .where('batch_rows.idx', '>=', fromIdx)
      .orderBy('batch_rows.idx')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      idx: r.idx,
      input: JSON.parse(r.input) as BatchInputRow,
      result: r.result === null ? null : (JSON.parse(r.result) as BatchResult),
    }));
  }

  /** A tenant's batches, newest first, a page at a time. */
  async list(tenantId: string, limit: number, before?: string): Promise<Array<{ batchId: string; createdAt: string }>> {
    let query = (await this.#db())
      .selectFrom('batches')
      .select(['id', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .limit(limit);
    if (before) query = query.where('created_at', '<', before);
    return (await query.execute()).map((b) => ({ batchId: b.id, createdAt: b.created_at }));
  }

  /** Deletes batches past their retention, rows first (SQLite enforces the cascade only with foreign_keys on). */
  async deleteExpired(now: string, limit = 100): Promise<number> {
    const expired = await (
      await this.#db()
    )
      .selectFrom('batches')
      .select('id')
      .where('expires_at', '<=', now)
      .where('status', '!=', 'RUNNING')
      .limit(limit)
      .execute();
    for (const { id } of expired)
      await (await this.#db()).transaction().execute(async (trx) => {
        await trx.deleteFrom('batch_rows').where('batch_id', '=', id).execute();
        await trx.deleteFrom('batches').where('id', '=', id).execute();
      });
    return expired.length;
  }
}
