/**
 * The tenant registry's store (docs/tenants.md, "The registry"): PostgreSQL where DATABASE_URL says so (the cluster
 * topology runs one), else an SQLite file in the data folder (the embedded default: no server, nothing to install
 * beyond npm install; WAL lets the processes on one machine share it). One schema and one set of queries for both,
 * through Kysely; migrations run at start, forward only (migrations.ts).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { MIGRATIONS } from './migrations.ts';

export interface TenantRow {
  id: string;
  name: string;
  /** JSON: what the tenant's reservations run by and where its OZmap and webhook are (no secret). */
  settings: string;
  /** Sealed (secrets.ts): the OZmap API key. */
  ozmap_api_key: string;
  /** Sealed: the webhook secret, and the one it replaced while both sign (until `webhook_previous_until`). */
  webhook_secret: string | null;
  webhook_previous_secret: string | null;
  webhook_previous_until: string | null;
  /** 1 or 0: the same column in both stores. */
  enabled: number;
  /** Bumped by every change: what a process's cached OZmap client is rebuilt on. */
  version: number;
  created_at: string;
  updated_at: string;
}

export interface KeyRow {
  key_id: string;
  tenant_id: string;
  /** SHA-256 of the whole key, hex: the key itself is shown once and never stored. */
  key_hash: string;
  created_at: string;
  revoked_at: string | null;
  /** Sealed: the key map-page links of this key are signed with (derived from the key; docs/tenants.md, "Links"). */
  link_key: string | null;
}

/** A prospect on the waitlist (docs/demand.md): one per tenant and marker, whatever retries happen. */
export interface ProspectRow {
  tenant_id: string;
  /** The OZmap prospect's `external_id`: the viability's marker, or the batch row's. */
  external_id: string;
  prospect_id: string;
  /** `reservation` or `batch`. */
  source: string;
  /** JSON: the viability and customer the `prospect.viable` webhook carries back. */
  customer: string;
  lat: number;
  lng: number;
  radius_meters: number;
  /** contract/demand.ts WAITLIST_STATUSES. */
  status: string;
  created_at: string;
  /** Past this the waitlist closes it. */
  open_until: string;
  checked_at: string | null;
  viable_at: string | null;
  closed_at: string | null;
}

/** A feasibility batch (DESIGN §2.4); its counts are its rows' outcomes, counted on read. */
export interface BatchRow {
  id: string;
  tenant_id: string;
  /** contract/demand.ts BATCH_STATUSES. */
  status: string;
  total: number;
  /** JSON: what the batch was started with (radius, prospects). */
  options: string;
  created_at: string;
  finished_at: string | null;
  expires_at: string;
}

/** One input row of a batch, at its place in the file (`idx` from 0), and its result once handled. */
export interface BatchRowRow {
  batch_id: string;
  idx: number;
  /** JSON: contract/demand.ts BatchInputRow. */
  input: string;
  /** contract/demand.ts ROW_OUTCOMES; null until handled. */
  outcome: string | null;
  /** JSON: contract/demand.ts BatchResult. */
  result: string | null;
}

export interface RegistryTables {
  tenants: TenantRow;
  tenant_keys: KeyRow;
  prospects: ProspectRow;
  batches: BatchRow;
  batch_rows: BatchRowRow;
}

export type RegistryDb = Kysely<RegistryTables>;

export type RegistryStore = { kind: 'postgres'; url: string } | { kind: 'sqlite'; file: string };

export function openRegistryDb(store: RegistryStore): RegistryDb {
  if (store.kind === 'postgres')
    return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: store.url, max: 4 }) }) });
  mkdirSync(path.dirname(store.file), { recursive: true });
  const sqlite = new Database(store.file);
  // Several processes on one machine share the file: readers never block the writer, and a writer waits its turn.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  return new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
}

/**
 * The registry's database opened, and its schema brought up to date, on first use: what a worker's demand stores share
 * (docs/demand.md), so that a worker that never makes a prospect or runs a batch never touches the database, and
 * test workers started at once do not all migrate one file together.
 */
export class LazyRegistryDb {
  #opening?: Promise<RegistryDb>;

  constructor(private readonly store: RegistryStore) {}

  get(): Promise<RegistryDb> {
    this.#opening ??= (async () => {
      const db = openRegistryDb(this.store);
      try {
        await migrate(db);
        return db;
      } catch (err) {
        await db.destroy();
        throw err;
      }
    })().catch((err: unknown) => {
      this.#opening = undefined; // the next use tries again
      throw err;
    });
    return this.#opening;
  }

  async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = undefined;
    await (await opening?.catch(() => undefined))?.destroy();
  }
}

/** A store's database: open already (tests, the API), or opened on first use (the worker). */
export type RegistryDbSource = RegistryDb | LazyRegistryDb;

export const databaseOf = (source: RegistryDbSource): Promise<RegistryDb> =>
  source instanceof LazyRegistryDb ? source.get() : Promise.resolve(source);

/** Brings the schema up to date (forward only); throws with the failing migration's name and error. */
export async function migrate(db: RegistryDb): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(MIGRATIONS) } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const which = failed ? ` (migration ${failed.migrationName})` : '';
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`the tenant registry's schema could not be brought up to date${which}: ${why}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
