/**
 * The tenant registry on its embedded store (an SQLite file, as npm start runs it): forward-only migrations, the
 * upsert's rules, secrets sealed at rest and bound to their tenant and field, keys shown once and kept as hashes,
 * revocation and changes in effect within the cache's bound, the environment's `default` tenant, and a start
 * refused without TENANT_SECRETS_KEY once a tenant holds a secret.
 */
import { Migrator, sql } from 'kysely';
import { MIGRATIONS } from '../../registry/migrations.ts';
import { linkSigningKey } from '../../client/viability-link.ts';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../../config/env.ts';
import { migrate, openRegistryDb } from '../../registry/database.ts';
import { openRegistry } from '../../registry/open.ts';
import { CACHE_MS, EnvironmentTenantError, TenantInputError } from '../../registry/registry.ts';
import { SecretsKeyError } from '../../registry/secrets.ts';

const linkKeyOf = (key: string) => linkSigningKey({ ispboxApiKey: key });

const dir = mkdtempSync(path.join(tmpdir(), 'registry-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KEY = randomBytes(32).toString('base64');
const configFor = (file: string, env: NodeJS.ProcessEnv = {}) =>
  loadConfig({
    ISPBOX_OZMAP_DATA_DIR: path.join(dir, file),
    TENANT_SECRETS_KEY: KEY,
    ISPBOX_API_KEY: 'env-ispbox-key-0123456789',
    ...env,
  });

const acme = {
  name: 'Acme Fibra',
  ozmap: { url: 'https://acme.ozmap.com.br:9994', apiKey: 'acme-ozmap-secret-key' },
  radiusMeters: 300,
  webhook: { url: 'https://ispbox.example/acme/events', secret: 'acme-webhook-secret-0001' },
};

describe('tenant registry (SQLite)', () => {
  it('migrates forward once, and again is a no-op', async () => {
    const db = openRegistryDb({ kind: 'sqlite', file: path.join(dir, 'm', 'registry.sqlite') });
    assert.deepEqual(await migrate(db), ['0001-tenants-and-keys', '0002-link-keys', '0003-demand']);
    assert.deepEqual(await migrate(db), [], 'nothing left to run');
    const tables = await db.introspection.getTables();
    assert.deepEqual(tables.map((t) => t.name).sort(), [
      'batch_rows',
      'batches',
      'prospects',
      'tenant_keys',
      'tenants',
    ]);
    await db.destroy();
  });

  it('brings a store made by an older release forward, its rows kept', async () => {
    const db = openRegistryDb({ kind: 'sqlite', file: path.join(dir, 'old', 'registry.sqlite') });
    const first = { '0001-tenants-and-keys': MIGRATIONS['0001-tenants-and-keys']! };
    const old = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(first) } });
    assert.equal((await old.migrateToLatest()).error, undefined);
    const row = { key_id: '0123456789abcdef', tenant_id: 'acme', key_hash: 'ab', created_at: 'then', revoked_at: null };
    await sql`insert into tenants values ('acme', 'Acme', '{}', 'k', null, null, null, 1, 1, 'then', 'then')`.execute(
      db,
    );
    await sql`insert into tenant_keys (key_id, tenant_id, key_hash, created_at, revoked_at)
      values (${row.key_id}, ${row.tenant_id}, ${row.key_hash}, ${row.created_at}, ${row.revoked_at})`.execute(db);
    assert.deepEqual(await migrate(db), ['0002-link-keys', '0003-demand']);
    assert.deepEqual(await db.selectFrom('tenant_keys').selectAll().execute(), [{ ...row, link_key: null }]);
    await db.destroy();
  });

  it('creates and updates by upsert; fields left out, secrets included, keep their value', async () => {
    const registry = await openRegistry(configFor('u'));
    const created = await registry.put('acme', acme);
    assert.equal(created.created, true);
    assert.equal(created.tenant.ozmap.apiKey, 'acme-ozmap-secret-key');
    assert.equal(created.tenant.settings.radiusMeters, 300);
    assert.equal(created.tenant.settings.holdDays, 30, 'unset: the environment default');
    const updated = await registry.put('acme', { radiusMeters: 500 });
    assert.equal(updated.created, false);
    assert.equal(updated.tenant.settings.radiusMeters, 500);
    assert.equal(updated.tenant.ozmap.apiKey, 'acme-ozmap-secret-key', 'the key kept');
    assert.equal(updated.tenant.webhook?.secret, 'acme-webhook-secret-0001');
    assert.equal(updated.tenant.version, created.tenant.version + 1);
    await registry.close();
  });

  it('refuses a new tenant without name or OZmap URL and key, and any change to the environment tenant', async () => {
    const registry = await openRegistry(configFor('r'));
    await assert.rejects(registry.put('beta', { radiusMeters: 100 }), (err: unknown) => {
      assert.ok(err instanceof TenantInputError);
      assert.deepEqual(
        err.problems.map((p) => p.field),
        ['name', 'ozmap.url', 'ozmap.apiKey'],
      );
      return true;
    });
    // The URL may be left out of an update (the key alone rotates), never out of a new tenant.
    await assert.rejects(registry.put('beta', { name: 'Beta', ozmap: { apiKey: 'beta-key' } }), (err: unknown) => {
      assert.ok(err instanceof TenantInputError);
      assert.deepEqual(
        err.problems.map((p) => p.field),
        ['ozmap.url'],
      );
      return true;
    });
    await assert.rejects(registry.put('default', acme), EnvironmentTenantError);
    assert.deepEqual(
      (await registry.list()).map((t) => t.id),
      ['default'],
      'nothing stored',
    );
    await registry.close();
  });

  it('seals secrets at rest, bound to their tenant and field', async () => {
    const file = path.join(dir, 's', 'registry.sqlite');
    const registry = await openRegistry(configFor('s'));
    await registry.put('acme', acme);
    await registry.put('beta', { ...acme, name: 'Beta', ozmap: { ...acme.ozmap, apiKey: 'beta-ozmap-secret-key' } });
    await registry.close();
    const raw = readFileSync(file).toString('latin1');
    for (const secret of ['acme-ozmap-secret-key', 'acme-webhook-secret-0001', 'beta-ozmap-secret-key'])
      assert.equal(raw.includes(secret), false, `${secret} is not in the file in clear`);
    // A sealed value copied to another tenant's row does not open there.
    const sqlite = new Database(file);
    sqlite
      .prepare(
        `UPDATE tenants SET ozmap_api_key = (SELECT ozmap_api_key FROM tenants WHERE id = 'acme') WHERE id = 'beta'`,
      )
      .run();
    sqlite.close();
    const reopened = await openRegistry(configFor('s'));
    await assert.rejects(reopened.get('beta'), (err: unknown) => {
      assert.ok(err instanceof SecretsKeyError);
      assert.match(err.message, /does not open for tenant:beta:ozmap.apiKey/);
      return true;
    });
    assert.equal((await reopened.get('acme'))?.ozmap.apiKey, 'acme-ozmap-secret-key');
    await reopened.close();
  });

  it('is refused without TENANT_SECRETS_KEY once a tenant holds a secret; a rotated key still opens, then reseals', async () => {
    const registry = await openRegistry(configFor('k'));
    await registry.put('acme', acme);
    await registry.close();
    await assert.rejects(openRegistry(configFor('k', { TENANT_SECRETS_KEY: '' })), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /TENANT_SECRETS_KEY: is required: 1 tenant\(s\)/);
      return true;
    });
    const next = randomBytes(32).toString('base64');
    const rotated = await openRegistry(configFor('k', { TENANT_SECRETS_KEY: next, TENANT_SECRETS_PREVIOUS_KEYS: KEY }));
    assert.equal((await rotated.get('acme'))?.ozmap.apiKey, 'acme-ozmap-secret-key', 'the previous key opens');
    assert.equal(await rotated.resealSecrets(), 2, 'the OZmap key and the webhook secret moved');
    assert.equal(await rotated.resealSecrets(), 0);
    await rotated.close();
    const onlyNew = await openRegistry(configFor('k', { TENANT_SECRETS_KEY: next }));
    assert.equal((await onlyNew.get('acme'))?.ozmap.apiKey, 'acme-ozmap-secret-key', 'the new key alone opens');
    await onlyNew.close();
  });

  it('keys: shown once, kept as hashes, each its tenant; a revoked key stops within the cache bound', async () => {
    let now = Date.parse('2026-12-04T12:00:00Z');
    const config = configFor('keys');
    // A clock of the test's own: the cache's bound without waiting for it.
    const registry = await openRegistry(config, { now: () => now });
    await registry.put('acme', acme);
    await registry.put('beta', { ...acme, name: 'Beta' });
    const a = (await registry.createKey('acme', linkKeyOf))!;
    const b = (await registry.createKey('beta', linkKeyOf))!;
    assert.match(a.key, /^ozk_[0-9a-f]{16}_/);
    assert.equal((await registry.authenticate(a.key))?.id, 'acme');
    assert.equal((await registry.authenticate(b.key))?.id, 'beta');
    assert.equal((await registry.authenticate('env-ispbox-key-0123456789'))?.id, 'default');
    assert.equal(await registry.authenticate(a.key.slice(0, -1) + (a.key.endsWith('A') ? 'B' : 'A')), undefined);
    assert.equal(await registry.authenticate('not-a-key'), undefined);
    const raw = readFileSync(path.join(dir, 'keys', 'registry.sqlite')).toString('latin1');
    assert.equal(raw.includes(a.key), false, 'the key itself is not stored');
    assert.equal(await registry.revokeKey('beta', a.keyId), false, "one tenant cannot revoke another's key");
    assert.equal(await registry.revokeKey('acme', a.keyId), true);
    now += CACHE_MS;
    assert.equal(await registry.authenticate(a.key), undefined, 'revoked');
    assert.deepEqual((await registry.view((await registry.get('acme'))!)).keys, []);
    await registry.close();
  });

  it("shows a tenant's secrets only as set, and the environment's tenant as read-only", async () => {
    const registry = await openRegistry(configFor('v'));
    const { tenant } = await registry.put('acme', acme);
    const view = await registry.view(tenant);
    assert.deepEqual(view.ozmap, { url: acme.ozmap.url, apiKey: { set: true } });
    assert.deepEqual(view.webhook, { url: acme.webhook.url, secret: { set: true, rotating: false } });
    assert.equal(JSON.stringify(view).includes('secret-key'), false);
    const rotated = await registry.put('acme', {
      webhook: { url: acme.webhook.url, secret: 'acme-webhook-secret-0002' },
    });
    assert.equal(rotated.tenant.webhook?.previous?.secret, 'acme-webhook-secret-0001', 'the old one still signs');
    assert.equal((await registry.view(rotated.tenant)).webhook?.secret.rotating, true);
    const environment = await registry.view((await registry.get('default'))!);
    assert.equal(environment.fromEnvironment, true);
    assert.equal(environment.ozmap.url, 'http://127.0.0.1:9994');
    await registry.close();
  });
});
