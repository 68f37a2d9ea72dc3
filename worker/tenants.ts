/**
 * The worker's side of many tenants (docs/tenants.md): each tenant's OZmap client and bulkhead, and the settings a
 * tenant's reservation is started with, both from the registry. Without TENANT_SECRETS_KEY there are no tenants
 * (none could hold its OZmap key): the worker serves `default` alone, as before.
 */
import { ozmapClientFor } from '../activities/clients.ts';
import { polesOf, prospectsOf } from '../activities/settings.ts';
import type { OzmapClient } from '../activities/ozmap/client.ts';
import { TenantOzmaps, type TenantOzmapSettings } from '../activities/tenant-ozmaps.ts';
import type { TenantWebhookLookup } from '../activities/webhooks.ts';
import type { Config } from '../config/env.ts';
import type { ProspectSettings } from '../contract/demand.ts';
import type { ReservationSettings } from '../contract/limits.ts';
import { openRegistry } from '../registry/open.ts';
import type { TenantRegistry } from '../registry/registry.ts';

export interface WorkerTenants {
  ozmaps: TenantOzmaps;
  webhook: TenantWebhookLookup;
  settings: (tenantId: string, base: ReservationSettings) => Promise<ReservationSettings>;
  /** The enabled tenants other than `default`, a page by id (the reconciler's whole run). */
  enabledTenants: (afterId: string | undefined, limit: number) => Promise<string[]>;
  /** A tenant's prospects and waitlist settings (docs/demand.md), for its waitlist Schedule. */
  prospects: (tenantId: string) => Promise<ProspectSettings | undefined>;
  close(): Promise<void>;
}

/** `watchOzmap`: told each tenant OZmap's URL as its client is made (the request metrics count it). */
export function tenantParts(
  registry: TenantRegistry,
  config: Pick<Config, 'ozmap' | 'viability'>,
  defaultOzmap?: OzmapClient,
  watchOzmap?: (url: string) => void,
): Omit<WorkerTenants, 'close'> {
  const ozmaps = new TenantOzmaps(
    async (tenantId) => {
      const tenant = await registry.get(tenantId);
      return tenant && { version: tenant.version, url: tenant.ozmap.url, apiKey: tenant.ozmap.apiKey };
    },
    (settings: TenantOzmapSettings) => {
      watchOzmap?.(settings.url);
      return ozmapClientFor(config.ozmap, settings);
    },
    undefined,
    defaultOzmap,
  );
  const settings = async (tenantId: string, base: ReservationSettings): Promise<ReservationSettings> => {
    const tenant = await registry.get(tenantId);
    if (!tenant) return base;
    const { poles: _defaultTenants, prospects: _defaultProspects, ...common } = base;
    return {
      ...common,
      ...polesOf({ ...config.viability, mode: tenant.settings.viabilityMode }),
      ...prospectsOf(tenant.settings.prospects),
      maxHoldDays: tenant.settings.maxHoldDays,
      // Whether events are sent is the tenant's webhook's to say; its URL and secret are looked up at delivery.
      webhooks: tenant.webhook ? { enabled: true, reminderDays: tenant.settings.reminderDays } : { enabled: false },
    };
  };
  const webhook: TenantWebhookLookup = async (tenantId) => {
    const found = (await registry.get(tenantId))?.webhook;
    return found && { url: found.url, secrets: registry.signingSecrets(found) };
  };
  const enabledTenants = (afterId: string | undefined, limit: number) => registry.enabledIds(afterId, limit);
  const prospects = async (tenantId: string) => (await registry.get(tenantId))?.settings.prospects;
  return { ozmaps, settings, webhook, enabledTenants, prospects };
}

/** The registry's tenants for this worker, or undefined when the configuration has none. */
export async function openWorkerTenants(
  config: Parameters<typeof openRegistry>[0] & Pick<Config, 'ozmap' | 'viability'>,
  defaultOzmap?: OzmapClient,
  watchOzmap?: (url: string) => void,
): Promise<WorkerTenants | undefined> {
  if (!config.registry.secrets.current) return undefined;
  const registry = await openRegistry(config);
  const parts = tenantParts(registry, config, defaultOzmap, watchOzmap);
  return {
    ...parts,
    async close() {
      await parts.ozmaps.close();
      await registry.close();
    },
  };
}
