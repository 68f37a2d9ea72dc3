/**
 * The tenant registry (docs/tenants.md): the ISPs one deployment serves, each with its own OZmap, Ispbox keys,
 * settings and webhook. Durable (database.ts), shared by every API and worker process, changed at runtime: a change,
 * a revoked key or a disabled tenant is in effect everywhere within CACHE_MS. The `default` tenant is the
 * environment's (OZMAP_URL, ISPBOX_API_KEY, WEBHOOK_*…): not stored, changed by changing the configuration.
 * Secrets are sealed at rest (secrets.ts), opened in memory only, and never leave through a view.
 */
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import type { ProspectSettings } from '../contract/demand.ts';
import type { CreatedKey, TenantInput, TenantView } from '../contract/tenants.ts';
import { hashKey, keyIdOf, keyMatches, makeKey } from './api-keys.ts';
import type { RegistryDb, TenantRow } from './database.ts';
import { secretContext, type TenantSecrets } from './secrets.ts';

/** How long a process goes by what it read: the bound on how late a change, a revocation or a disable takes effect. */
export const CACHE_MS = 5_000;

export type Selection = 'auto' | 'manual';
export type ViabilityMode = 'radius' | 'poles';

/** What a tenant's reservations run by: resolved here, recorded in each reservation's input and settings. */
export interface TenantSettings {
  radiusMeters: number;
  holdDays: number;
  maxHoldDays: number;
  selection: Selection;
  viabilityMode: ViabilityMode;
  reminderDays: number[];
  /** docs/demand.md: prospects on NO_COVERAGE, and how often and how long the waitlist re-checks them. */
  prospects: ProspectSettings;
}

export interface TenantWebhook {
  url: string;
  secret: string;
  /** The secret this one replaced: both sign until `previousUntil` (a rotation's overlap). */
  previous?: { secret: string; until: string };
}

export interface Tenant {
  id: string;
  name: string;
  enabled: boolean;
  ozmap: { url: string; apiKey: string };
  settings: TenantSettings;
  webhook?: TenantWebhook;
  /** Bumped by every change; the environment's tenant is version 0. */
  version: number;
  fromEnvironment: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The environment's part: the `default` tenant, and the fallbacks for what another tenant leaves unset. */
export interface RegistryEnvironment {
  defaultTenant: Omit<Tenant, 'id' | 'version' | 'fromEnvironment' | 'createdAt' | 'updatedAt' | 'enabled'> & {
    /** ISPBOX_API_KEY: the key that authorises calls as the `default` tenant. */
    ispboxApiKey: string;
  };
  /** How long an old webhook secret keeps signing after a new one is set (WEBHOOK_SECRET_OVERLAP_HOURS). */
  webhookSecretOverlapMs: number;
}

/** Why a tenant cannot be stored as asked: each problem names the field, as the API's 400 does. */
export class TenantInputError extends Error {
  constructor(readonly problems: Array<{ field: string; message: string }>) {
    super(`Invalid tenant: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'TenantInputError';
  }
}

/** The environment's tenant is changed by changing the environment, not through the registry. */
export class EnvironmentTenantError extends Error {
  constructor() {
    super(
      `the "${DEFAULT_TENANT_ID}" tenant is the environment's (OZMAP_URL, ISPBOX_API_KEY, …): change those instead`,
    );
    this.name = 'EnvironmentTenantError';
  }
}

interface StoredSettings extends Partial<Omit<TenantSettings, 'prospects'>> {
  ozmapUrl: string;
  webhookUrl?: string;
  prospects?: { enabled: boolean; tags?: string[]; everyDays?: number; forDays?: number };
}

type Cached<T> = { at: number; value: Promise<T> };

export class TenantRegistry {
  readonly #tenants = new Map<string, Cached<Tenant | undefined>>();
  readonly #keys = new Map<string, Cached<string | undefined>>();
  readonly #linkKeys = new Map<string, Cached<{ tenantId: string; linkKey: Buffer } | undefined>>();
  /** ISPBOX_API_KEY hashed like a stored key, so that both compare in constant time. */
  readonly #environmentKeyHash: string;

  constructor(
    private readonly db: RegistryDb,
    private readonly secrets: TenantSecrets,
    private readonly environment: RegistryEnvironment,
    private readonly now: () => number = Date.now,
  ) {
    this.#environmentKeyHash = hashKey(environment.defaultTenant.ispboxApiKey);
  }

  /** The tenant, or undefined when there is none by that id. */
  get(id: string): Promise<Tenant | undefined> {
    if (id === DEFAULT_TENANT_ID) return Promise.resolve(this.#environmentTenant());
    return this.#cached(this.#tenants, id, async () => {
      const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      return row && this.#tenantOf(row);
    });
  }

  /** Every tenant, the environment's first. */
  async list(): Promise<Tenant[]> {
    const rows = await this.db.selectFrom('tenants').selectAll().orderBy('id').execute();
    return [this.#environmentTenant(), ...rows.map((row) => this.#tenantOf(row))];
  }

  /**
   * The ids of the enabled stored tenants (`default`, the environment's, is not stored) after `afterId`, ascending,
   * at most `limit`: a page, so that a caller with many tenants never holds them all (the reconciler).
   */
  async enabledIds(afterId: string | undefined, limit: number): Promise<string[]> {
    let query = this.db.selectFrom('tenants').select('id').where('enabled', '=', 1);
    if (afterId !== undefined) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((row) => row.id);
  }

  /** Creates or updates (an upsert: fields left out keep their value, secrets included). */
  async put(id: string, input: TenantInput): Promise<{ tenant: Tenant; created: boolean }> {
    if (id === DEFAULT_TENANT_ID) throw new EnvironmentTenantError();
    const now = new Date(this.now()).toISOString();
    const created = await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) {
        await trx
          .insertInto('tenants')
          .values(this.#newRow(id, input, now))
          .execute();
        return true;
      }
      await trx
        .updateTable('tenants')
        .set(this.#changedRow(row, input, now))
        .where('id', '=', id)
        .execute();
      return false;
    });
    this.#tenants.delete(id);
    return { tenant: (await this.get(id))!, created };
  }

  /**
   * A new Ispbox key for the tenant, shown this once (only its hash is kept); undefined for an unknown tenant.
   * `linkKeyOf` derives the key its map-page links are signed with (client/viability-link.ts), kept sealed: Ispbox
   * derives the same from the key it holds, and the page verifies without the key.
   */
  async createKey(tenantId: string, linkKeyOf: (key: string) => Buffer): Promise<CreatedKey | undefined> {
    if (tenantId === DEFAULT_TENANT_ID) throw new EnvironmentTenantError();
    if (!(await this.get(tenantId))) return undefined;
    const { keyId, key, hash } = makeKey();
    const linkKey = this.secrets.seal(linkKeyOf(key).toString('base64'), secretContext(tenantId, `key:${keyId}:link`));
    await this.db
      .insertInto('tenant_keys')
      .values({
        key_id: keyId,
        tenant_id: tenantId,
        key_hash: hash,
        created_at: new Date(this.now()).toISOString(),
        revoked_at: null,
        link_key: linkKey,
      })
      .execute();
    return { keyId, key };
  }

  /** Revokes a key of the tenant: true when there was such a live key. */
  async revokeKey(tenantId: string, keyId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('tenant_keys')
      .set({ revoked_at: new Date(this.now()).toISOString() })
      .where('tenant_id', '=', tenantId)
      .where('key_id', '=', keyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    this.#keys.clear();
    this.#linkKeys.clear();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The tenant's live keys, oldest first (ids and dates: the keys themselves were never kept). */
  async keysOf(tenantId: string): Promise<Array<{ keyId: string; createdAt: string }>> {
    const rows = await this.db
      .selectFrom('tenant_keys')
      .select(['key_id', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ keyId: r.key_id, createdAt: r.created_at }));
  }

  /**
   * The tenant a bearer token authorises: ISPBOX_API_KEY the environment's, a live key of the registry its tenant's.
   * Undefined for anything else. A disabled tenant still authenticates: its running reservations still settle.
   */
  async authenticate(token: string): Promise<Tenant | undefined> {
    if (keyMatches(token, this.#environmentKeyHash)) return this.#environmentTenant();
    const keyId = keyIdOf(token);
    if (!keyId) return undefined;
    const tenantId = await this.#cached(this.#keys, token, async () => {
      const row = await this.#liveKey(keyId);
      return row && keyMatches(token, row.key_hash) ? row.tenant_id : undefined;
    });
    return tenantId === undefined ? undefined : this.get(tenantId);
  }

  /** The tenant of a live key and the key its map-page links are signed with; undefined once revoked or unknown. */
  async linkKey(keyId: string): Promise<{ tenant: Tenant; linkKey: Buffer } | undefined> {
    const found = await this.#cached(this.#linkKeys, keyId, async () => {
      const row = await this.#liveKey(keyId);
      if (!row?.link_key) return undefined;
      const opened = this.secrets.open(row.link_key, secretContext(row.tenant_id, `key:${keyId}:link`));
      return { tenantId: row.tenant_id, linkKey: Buffer.from(opened, 'base64') };
    });
    const tenant = found && (await this.get(found.tenantId));
    return found && tenant ? { tenant, linkKey: found.linkKey } : undefined;
  }

  /** A key's row while it is not revoked. */
  #liveKey(keyId: string) {
    return this.db
      .selectFrom('tenant_keys')
      .select(['tenant_id', 'key_hash', 'link_key'])
      .where('key_id', '=', keyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  }

  /** The secrets a tenant's webhook is signed with now: the current one, and the one it replaced while it overlaps. */
  signingSecrets(webhook: TenantWebhook): string[] {
    const { previous } = webhook;
    return previous && Date.parse(previous.until) > this.now() ? [webhook.secret, previous.secret] : [webhook.secret];
  }

  /** The tenant as the admin API shows it: every setting, secrets only as set or not. */
  async view(tenant: Tenant): Promise<TenantView> {
    const { settings, webhook } = tenant;
    return {
      id: tenant.id,
      name: tenant.name,
      enabled: tenant.enabled,
      ozmap: { url: tenant.ozmap.url, apiKey: { set: tenant.ozmap.apiKey !== '' } },
      ...settings,
      webhook: webhook
        ? {
            url: webhook.url,
            secret: {
              set: true,
              rotating: this.signingSecrets(webhook).length > 1,
            },
          }
        : null,
      keys: tenant.fromEnvironment ? [] : await this.keysOf(tenant.id),
      fromEnvironment: tenant.fromEnvironment,
      createdAt: tenant.createdAt,
      updatedAt: tenant.updatedAt,
    };
  }

  /** Seals every secret under the current key (after a TENANT_SECRETS_KEY rotation); returns how many moved. */
  async resealSecrets(): Promise<number> {
    let moved = 0;
    for (const row of await this.db.selectFrom('tenants').selectAll().execute()) {
      const reseal = (value: string | null, field: string) =>
        value === null ? undefined : this.secrets.reseal(value, secretContext(row.id, field));
      const changes = {
        ozmap_api_key: reseal(row.ozmap_api_key, 'ozmap.apiKey'),
        webhook_secret: reseal(row.webhook_secret, 'webhook.secret'),
        webhook_previous_secret: reseal(row.webhook_previous_secret, 'webhook.previousSecret'),
      };
      const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      if (Object.keys(set).length === 0) continue;
      await this.db.updateTable('tenants').set(set).where('id', '=', row.id).execute();
      moved += Object.keys(set).length;
    }
    const keys = await this.db.selectFrom('tenant_keys').select(['key_id', 'tenant_id', 'link_key']).execute();
    for (const key of keys) {
      const linkKey =
        key.link_key === null
          ? undefined
          : this.secrets.reseal(key.link_key, secretContext(key.tenant_id, `key:${key.key_id}:link`));
      if (linkKey === undefined) continue;
      await this.db.updateTable('tenant_keys').set({ link_key: linkKey }).where('key_id', '=', key.key_id).execute();
      moved += 1;
    }
    this.#tenants.clear();
    this.#linkKeys.clear();
    return moved;
  }

  /** Tenants holding secrets: a start without TENANT_SECRETS_KEY refuses to run once there is one. */
  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom('tenants')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n);
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  #cached<T>(cache: Map<string, Cached<T>>, key: string, read: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && this.now() - hit.at < CACHE_MS) return hit.value;
    const entry: Cached<T> = { at: this.now(), value: read() };
    entry.value.catch(() => cache.get(key) === entry && cache.delete(key));
    cache.set(key, entry);
    // Bounded: a flood of made-up keys must not grow the map.
    if (cache.size > 10_000) for (const old of [...cache.keys()].slice(0, 5_000)) cache.delete(old);
    return entry.value;
  }

  #environmentTenant(): Tenant {
    const { ispboxApiKey: _key, ...tenant } = this.environment.defaultTenant;
    return {
      ...tenant,
      id: DEFAULT_TENANT_ID,
      enabled: true,
      version: 0,
      fromEnvironment: true,
      createdAt: new Date(0).toISOString(),
      updatedAt: new Date(0).toISOString(),
    };
  }

  #tenantOf(row: TenantRow): Tenant {
    const stored = JSON.parse(row.settings) as StoredSettings;
    const fallback = this.environment.defaultTenant.settings;
    const open = (value: string, field: string) => this.secrets.open(value, secretContext(row.id, field));
    const previous =
      row.webhook_previous_secret !== null && row.webhook_previous_until !== null
        ? { secret: open(row.webhook_previous_secret, 'webhook.previousSecret'), until: row.webhook_previous_until }
        : undefined;
    return {
      id: row.id,
      name: row.name,
      enabled: row.enabled === 1,
      ozmap: { url: stored.ozmapUrl, apiKey: open(row.ozmap_api_key, 'ozmap.apiKey') },
      settings: {
        radiusMeters: stored.radiusMeters ?? fallback.radiusMeters,
        holdDays: stored.holdDays ?? fallback.holdDays,
        maxHoldDays: stored.maxHoldDays ?? fallback.maxHoldDays,
        selection: stored.selection ?? fallback.selection,
        viabilityMode: stored.viabilityMode ?? fallback.viabilityMode,
        reminderDays: stored.reminderDays ?? fallback.reminderDays,
        prospects: {
          enabled: stored.prospects?.enabled ?? false,
          tags: stored.prospects?.tags ?? [],
          everyDays: stored.prospects?.everyDays ?? fallback.prospects.everyDays,
          forDays: stored.prospects?.forDays ?? fallback.prospects.forDays,
        },
      },
      ...(stored.webhookUrl && row.webhook_secret !== null
        ? {
            webhook: {
              url: stored.webhookUrl,
              secret: open(row.webhook_secret, 'webhook.secret'),
              ...(previous ? { previous } : {}),
            },
          }
        : {}),
      version: row.version,
      fromEnvironment: false,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  #newRow(id: string, input: TenantInput, now: string): TenantRow {
    const problems: Array<{ field: string; message: string }> = [];
    if (!input.name) problems.push({ field: 'name', message: 'is required for a new tenant' });
    if (!input.ozmap?.url) problems.push({ field: 'ozmap.url', message: 'is required for a new tenant' });
    if (!input.ozmap?.apiKey) problems.push({ field: 'ozmap.apiKey', message: 'is required for a new tenant' });
    if (input.webhook && !input.webhook.secret)
      problems.push({ field: 'webhook.secret', message: 'is required with a webhook url' });
    if (problems.length > 0) throw new TenantInputError(problems);
    const seal = (value: string, field: string) => this.secrets.seal(value, secretContext(id, field));
    return {
      id,
      name: input.name!,
      settings: JSON.stringify(this.#storedSettings({ ozmapUrl: input.ozmap!.url! }, input)),
      ozmap_api_key: seal(input.ozmap!.apiKey!, 'ozmap.apiKey'),
      webhook_secret: input.webhook?.secret ? seal(input.webhook.secret, 'webhook.secret') : null,
      webhook_previous_secret: null,
      webhook_previous_until: null,
      enabled: input.enabled === false ? 0 : 1,
      version: 1,
      created_at: now,
      updated_at: now,
    };
  }

  #changedRow(row: TenantRow, input: TenantInput, now: string): Partial<TenantRow> {
    const seal = (value: string, field: string) => this.secrets.seal(value, secretContext(row.id, field));
    const stored = JSON.parse(row.settings) as StoredSettings;
    if (input.webhook && !input.webhook.secret && row.webhook_secret === null)
      throw new TenantInputError([{ field: 'webhook.secret', message: 'is required with a webhook url' }]);
    const changes: Partial<TenantRow> = {
      settings: JSON.stringify(
        this.#storedSettings({ ...stored, ozmapUrl: input.ozmap?.url ?? stored.ozmapUrl }, input),
      ),
      version: row.version + 1,
      updated_at: now,
    };
    if (input.name) changes.name = input.name;
    if (input.enabled !== undefined) changes.enabled = input.enabled ? 1 : 0;
    if (input.ozmap?.apiKey) changes.ozmap_api_key = seal(input.ozmap.apiKey, 'ozmap.apiKey');
    if (input.webhook === null) {
      Object.assign(changes, { webhook_secret: null, webhook_previous_secret: null, webhook_previous_until: null });
    } else if (input.webhook?.secret) {
      changes.webhook_secret = seal(input.webhook.secret, 'webhook.secret');
      // A rotation: the old secret keeps signing beside the new one for the overlap, so receivers can switch.
      if (row.webhook_secret !== null) {
        const old = this.secrets.open(row.webhook_secret, secretContext(row.id, 'webhook.secret'));
        changes.webhook_previous_secret = seal(old, 'webhook.previousSecret');
        changes.webhook_previous_until = new Date(this.now() + this.environment.webhookSecretOverlapMs).toISOString();
      }
    }
    return changes;
  }

  #storedSettings(base: StoredSettings, input: TenantInput): StoredSettings {
    const { ozmap: _ozmap, webhook, name: _name, enabled: _enabled, ...settings } = input;
    const stored: StoredSettings = { ...base, ...settings };
    if (webhook === null) delete stored.webhookUrl;
    else if (webhook) stored.webhookUrl = webhook.url;
    return stored;
  }
}
