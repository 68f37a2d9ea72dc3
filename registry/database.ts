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

export interface RegistryTables {
  tenants: TenantRow;
  tenant_keys: KeyRow;
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
