/**
 * The registry's schema, one migration at a time, forward only: a migration once released is never edited, and the
 * next change is a new entry. Kysely's Migrator records which ran (kysely_migration) and locks against two processes
 * migrating at once. Plain column types, the same in SQLite and PostgreSQL.
 */
import type { Kysely, Migration } from 'kysely';

export const MIGRATIONS: Record<string, Migration> = {
  '0001-tenants-and-keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tenants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('ozmap_api_key', 'text', (c) => c.notNull())
        .addColumn('webhook_secret', 'text')
        .addColumn('webhook_previous_secret', 'text')
        .addColumn('webhook_previous_until', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('tenant_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('tenant_keys_by_tenant').on('tenant_keys').column('tenant_id').execute();
    },
  },
  '0002-link-keys': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('tenant_keys').addColumn('link_key', 'text').execute();
    },
  },
  '0003-demand': {
    // docs/demand.md: the waitlist's prospects, and feasibility batches with one row per input row (input order).
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('prospects')
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('prospect_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('customer', 'text', (c) => c.notNull())
        .addColumn('lat', 'double precision', (c) => c.notNull())
        .addColumn('lng', 'double precision', (c) => c.notNull())
        .addColumn('radius_meters', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('open_until', 'text', (c) => c.notNull())
        .addColumn('checked_at', 'text')
        .addColumn('viable_at', 'text')
        .addColumn('closed_at', 'text')
        .addPrimaryKeyConstraint('prospects_pk', ['tenant_id', 'external_id'])
        .execute();
      await db.schema.createIndex('prospects_open').on('prospects').columns(['tenant_id', 'status', 'lat']).execute();
      await db.schema
        .createTable('batches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('total', 'integer', (c) => c.notNull())
        .addColumn('options', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('batches_by_tenant').on('batches').columns(['tenant_id', 'created_at']).execute();
      await db.schema.createIndex('batches_by_expiry').on('batches').column('expires_at').execute();
      await db.schema
        .createTable('batch_rows')
        .addColumn('batch_id', 'text', (c) => c.notNull().references('batches.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text')
        .addColumn('result', 'text')
        .addPrimaryKeyConstraint('batch_rows_pk', ['batch_id', 'idx'])
        .execute();
      await db.schema.createIndex('batch_rows_outcome').on('batch_rows').columns(['batch_id', 'outcome']).execute();
    },
  },
};
