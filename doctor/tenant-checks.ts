/**
 * `ozres doctor --tenant <id>` (docs/tenants.md, "The doctor step"): what one tenant's sales need beyond the
 * deployment's own lines. It is in the registry and enabled, its settings agree with each other, its webhook (if
 * set) answers, and Ispbox holds at least one live key for it (counted, never shown). Its OZmap gets the same lines
 * as the environment's (upstream.ts), with the URL and key the registry holds.
 */
import { request } from 'undici';
import type { Config } from '../config/env.ts';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import { isLoopbackHost } from '../net/hosts.ts';
import { environmentOf, openRegistry } from '../registry/open.ts';
import type { TenantRegistry, TenantSettings, TenantWebhook } from '../registry/registry.ts';
import { describeError, fail, pass, warn, type Check } from './checks.ts';

/** What the doctor reads of the registry. */
export type TenantLookup = Pick<TenantRegistry, 'get' | 'keysOf'>;

/** The tenant as the doctor checks it: its OZmap and webhook with their secrets, which only masking ever sees. */
export interface DoctorTenant {
  id: string;
  name: string;
  enabled: boolean;
  fromEnvironment: boolean;
  ozmap: { url: string; apiKey: string };
  settings: TenantSettings;
  webhook?: TenantWebhook;
  liveKeys: number;
}

/** No such tenant where this doctor looks: the CLI names `--tenant` and exits 4 (cli/exit-codes.ts). */
export class UnknownTenantError extends Error {
  constructor(
    readonly tenantId: string,
    readonly why: string,
  ) {
    super(`no tenant "${tenantId}": ${why}`);
    this.name = 'UnknownTenantError';
  }
}

/**
 * The tenant `tenantId` as `registry` (or the registry this configuration opens) holds it; `default` is the
 * environment's and needs no registry. Throws UnknownTenantError when there is no such tenant.
 */
export async function resolveTenant(config: Config, tenantId: string, registry?: TenantLookup): Promise<DoctorTenant> {
  if (tenantId === DEFAULT_TENANT_ID) {
    const { defaultTenant } = environmentOf(config);
    return {
      id: DEFAULT_TENANT_ID,
      name: defaultTenant.name,
      enabled: true,
      fromEnvironment: true,
      ozmap: defaultTenant.ozmap,
      settings: defaultTenant.settings,
      ...(defaultTenant.webhook ? { webhook: defaultTenant.webhook } : {}),
      liveKeys: 1,
    };
  }
  if (!registry && !config.registry.secrets.current)
    throw new UnknownTenantError(
      tenantId,
      'this configuration has no tenant registry (TENANT_SECRETS_KEY is unset): run the doctor with the ' +
        "worker's environment",
    );
  const opened = registry ? undefined : await openRegistry(config);
  const lookup = registry ?? opened!;
  try {
    const tenant = await lookup.get(tenantId);
    if (!tenant) throw new UnknownTenantError(tenantId, 'it is not in the registry');
    const { id, name, enabled, fromEnvironment, ozmap, settings, webhook } = tenant;
    const liveKeys = (await lookup.keysOf(tenantId)).length;
    return { id, name, enabled, fromEnvironment, ozmap, settings, ...(webhook ? { webhook } : {}), liveKeys };
  } finally {
    await opened?.close();
  }
}

/** The configuration the upstream checks run with for `tenant`: its OZmap, and its radius for the conformance. */
export function tenantUpstreamConfig<C extends Pick<Config, 'ozmap' | 'defaults' | 'viability'>>(
  config: C,
  tenant: DoctorTenant,
): C {
  return {
    ...config,
    ozmap: { ...config.ozmap, url: tenant.ozmap.url, apiKey: tenant.ozmap.apiKey },
    defaults: { ...config.defaults, radiusMeters: tenant.settings.radiusMeters },
    viability: { ...config.viability, mode: tenant.settings.viabilityMode },
  };
}

/** The tenant's own lines, in a fixed order: registry, enabled, settings, webhook, keys. */
export async function tenantChecks(tenant: DoctorTenant, options: { timeoutMs?: number } = {}): Promise<Check[]> {
  return [
    registryCheck(tenant),
    enabledCheck(tenant),
    settingsCheck(tenant),
    await webhookCheck(tenant, options.timeoutMs),
    keysCheck(tenant),
  ];
}

const titleOf = (tenant: DoctorTenant, what: string) => `Tenant ${tenant.id}: ${what}`;

function registryCheck(tenant: DoctorTenant): Check {
  const title = titleOf(tenant, 'registry');
  return tenant.fromEnvironment
    ? pass('tenant.registry', title, "the environment's tenant (OZMAP_URL, ISPBOX_API_KEY, WEBHOOK_*), not stored")
    : pass('tenant.registry', title, `"${tenant.name}", in the registry`);
}

function enabledCheck(tenant: DoctorTenant): Check {
  const title = titleOf(tenant, 'enabled');
  if (tenant.enabled) return pass('tenant.enabled', title, 'enabled: its new reservations are accepted');
  return fail(
    'tenant.enabled',
    title,
    'disabled: its new reservations are refused (403 tenant-disabled); running ones still settle',
    `ozres tenants enable ${tenant.id}`,
  );
}

/** Each setting is bounded by the admin API; here, whether they agree with each other. */
function settingsCheck(tenant: DoctorTenant): Check {
  const title = titleOf(tenant, 'settings');
  const { holdDays, maxHoldDays, reminderDays, radiusMeters, selection } = tenant.settings;
  const change = tenant.fromEnvironment
    ? 'RESERVATION_HOLD_DAYS / RESERVATION_MAX_HOLD_DAYS'
    : `ozres tenants update ${tenant.id} --hold-days <n> --max-hold-days <n>`;
  if (holdDays > maxHoldDays)
    return fail(
      'tenant.settings',
      title,
      `hold days ${holdDays} exceed the longest hold, ${maxHoldDays}: a reservation that leaves its hold out ` +
        'would be refused',
      `make the hold days at most the longest hold: ${change}`,
    );
  const late = reminderDays.filter((days) => days >= holdDays);
  const summary = `radius ${radiusMeters} m, hold ${holdDays} days (at most ${maxHoldDays}), selection ${selection}`;
  if (late.length > 0)
    return warn(
      'tenant.settings',
      title,
      `${summary}; reminder days ${late.join(', ')} are not shorter than the hold: a default hold gets none of them`,
      'reminders are days before the hold ends: give days shorter than the hold',
    );
  return pass('tenant.settings', title, summary);
}

/**
 * The webhook answers: a HEAD to its URL (nothing is delivered, nothing signed), any HTTP status counting as an
 * answer, since a receiver may refuse what is not a signed POST. Only the origin is shown: a path may carry a token.
 */
export async function webhookCheck(tenant: DoctorTenant, timeoutMs = 5000): Promise<Check> {
  const id = 'tenant.webhook';
  const title = titleOf(tenant, 'webhook');
  if (!tenant.webhook) return pass(id, title, 'none set: its reservations send no events');
  const url = new URL(tenant.webhook.url);
  const change = tenant.fromEnvironment ? 'WEBHOOK_URL' : `ozres tenants update ${tenant.id} --webhook-url <url>`;
  if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname))
    return fail(id, title, `${url.origin} is plain http outside loopback: events would travel in clear`, change);
  try {
    const response = await request(url, {
      method: 'HEAD',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.dump();
    const status = response.statusCode;
    if (status >= 500)
      return warn(
        id,
        title,
        `${url.origin} answers ${status}: deliveries would be retried until it answers 2xx`,
        'check the receiver',
      );
    return pass(id, title, `${url.origin} answers (${status} to HEAD; events are signed POSTs)`);
  } catch (err) {
    return fail(
      id,
      title,
      `${url.origin} did not answer: ${describeError(err)}`,
      `check that this host may reach it, or correct it: ${change}`,
    );
  }
}

function keysCheck(tenant: DoctorTenant): Check {
  const title = titleOf(tenant, 'Ispbox keys');
  if (tenant.fromEnvironment) return pass('tenant.keys', title, 'ISPBOX_API_KEY authorises its calls');
  if (tenant.liveKeys > 0)
    return pass('tenant.keys', title, `${tenant.liveKeys} live key${tenant.liveKeys === 1 ? '' : 's'}`);
  return fail(
    'tenant.keys',
    title,
    'no live key: Ispbox cannot call for this tenant',
    `ozres tenants keys create ${tenant.id}, and give the key to Ispbox`,
  );
}

/** Every secret of the tenant, for the report's masking. */
export const tenantSecrets = (tenant: DoctorTenant): string[] => [
  tenant.ozmap.apiKey,
  ...(tenant.webhook
    ? [tenant.webhook.secret, ...(tenant.webhook.previous ? [tenant.webhook.previous.secret] : [])]
    : []),
];
