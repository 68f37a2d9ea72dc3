/**
 * Opens the tenant registry as a process's configuration says (docs/tenants.md, "The registry"): the store, its
 * schema brought up to date, the secrets' keys, and the environment's `default` tenant. A start without
 * TENANT_SECRETS_KEY is refused once a tenant holds a secret, naming the variable.
 */
import { ConfigError, DEMO_OZMAP_API_KEY, type Config } from '../config/env.ts';
import { DEFAULT_WAITLIST_EVERY_DAYS, DEFAULT_WAITLIST_FOR_DAYS } from '../contract/demand.ts';
import { migrate, openRegistryDb } from './database.ts';
import { TenantRegistry, type RegistryEnvironment } from './registry.ts';
import { TenantSecrets } from './secrets.ts';

export type RegistryConfig = Pick<
  Config,
  'registry' | 'ozmap' | 'defaults' | 'limits' | 'webhooks' | 'reminderDays' | 'http' | 'viability'
> &
  Partial<Pick<Config, 'prospects'>>;

/** `now`: the clock the cache goes by (tests move it instead of waiting). */
export async function openRegistry(
  config: RegistryConfig,
  options: { now?: () => number } = {},
): Promise<TenantRegistry> {
  const db = openRegistryDb(config.registry.store);
  try {
    await migrate(db);
    const secrets = new TenantSecrets(config.registry.secrets);
    const registry = new TenantRegistry(db, secrets, environmentOf(config), options.now);
    const held = secrets.canSeal ? 0 : await registry.count();
    if (held > 0)
      throw new ConfigError([
        `TENANT_SECRETS_KEY: is required: ${held} tenant(s) in the registry hold secrets sealed under it ` +
          '(set the key they were sealed with; npm start keeps the one it generated in its data folder)',
      ]);
    return registry;
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** The `default` tenant as the environment configures it, and the fallbacks for every other tenant's settings. */
export function environmentOf(config: RegistryConfig): RegistryEnvironment {
  const webhook = config.webhooks;
  return {
    defaultTenant: {
      name: config.registry.defaultTenantName,
      ozmap: { url: config.ozmap.url, apiKey: config.ozmap.apiKey ?? DEMO_OZMAP_API_KEY },
      settings: {
        radiusMeters: config.defaults.radiusMeters,
        holdDays: config.defaults.holdDays,
        maxHoldDays: config.limits.maxHoldDays,
        selection: 'auto',
        viabilityMode: config.viability.mode,
        reminderDays: config.reminderDays,
        // PROSPECTS, PROSPECT_TAGS, WAITLIST_*_DAYS (docs/demand.md); the periods are every other tenant's fallback.
        prospects: config.prospects ?? {
          enabled: false,
          tags: [],
          everyDays: DEFAULT_WAITLIST_EVERY_DAYS,
          forDays: DEFAULT_WAITLIST_FOR_DAYS,
        },
      },
      ...(webhook
        ? {
            webhook: {
              url: webhook.url,
              secret: webhook.secret,
              // Set by the operator while a rotation lasts: both sign until it is unset.
              ...(webhook.previousSecret
                ? { previous: { secret: webhook.previousSecret, until: '9999-12-31T00:00:00.000Z' } }
                : {}),
            },
          }
        : {}),
      ispboxApiKey: config.http.ispboxApiKey,
    },
    webhookSecretOverlapMs: config.registry.webhookSecretOverlapMs,
  };
}
