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
};
