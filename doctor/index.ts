/**
 * `ozres doctor`: whether everything a sale needs holds, one line per check (doctor/checks.ts). The same run backs
 * the CLI command and GET /v1/doctor. Areas run in a fixed order so that reports compare line by line.
 */
import { createClients } from '../activities/clients.ts';
import type { Config, ConfigRole } from '../config/env.ts';
import type { UpstreamCheckOptions } from '../contract/doctor.ts';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import { reportOf, warn, type Check, type DoctorReport } from './checks.ts';
import { configChecks } from './config-checks.ts';
import { reconcilerChecks } from './reconciler-checks.ts';
import {
  resolveTenant,
  tenantChecks,
  tenantSecrets,
  tenantUpstreamConfig,
  type TenantLookup,
} from './tenant-checks.ts';
import { temporalChecks } from './temporal-checks.ts';
import { upstreamChecks, type UpstreamOptions } from './upstream.ts';

export type { Check, DoctorReport } from './checks.ts';
export { UnknownTenantError } from './tenant-checks.ts';

export interface DoctorOptions extends Omit<UpstreamOptions, 'conformance'> {
  /** The environment to read the configuration from (the loader's own rules). */
  env: NodeJS.ProcessEnv;
  /** Add the read-only OZmap conformance checks. */
  ozmap?: boolean;
  /** Bound on each Temporal call. */
  temporalTimeoutMs?: number;
  /** Whose configuration `env` is (the HTTP API's holds no OZmap or geocoder key); default a worker's. */
  role?: ConfigRole;
  /**
   * Who checks OZmap and the geocoder: by default this process, with clients of its own (the CLI); the HTTP API
   * asks a worker instead (doctor/via-worker.ts), which holds the keys.
   */
  upstream?: (config: Config, options: UpstreamCheckOptions) => Promise<Check[]>;
  /**
   * Check this tenant's setup (`ozres doctor --tenant`): its registry entry, settings, webhook and keys, and its
   * OZmap instead of the environment's. Unknown: UnknownTenantError. Absent: the environment's, as before tenants.
   */
  tenant?: string;
  /** Where the tenant is looked up (the API's registry); absent, the one this configuration opens. */
  registry?: TenantLookup;
}

/**
 * Extension point: areas that get checks once they exist, each a function of the configuration run after the
 * built-in ones: the reconciler's Schedule (`temporal.reconciler-schedule`); planned: the webhook receiver
 * (`webhook.receiver`, docs/architecture.md, "Contract"), until then no line pretends to check it.
 */
export const LATER_CHECKS: Array<(config: Config) => Promise<Check[]>> = [(config) => reconcilerChecks(config)];

/** Environment variables whose values never appear in a report, whatever a check wrote. */
const SECRET_VARIABLES = [
  'OZMAP_API_KEY',
  'ISPBOX_API_KEY',
  'TEMPORAL_API_KEY',
  'GOOGLE_GEOCODING_API_KEY',
  'CODEC_SERVER_TOKEN',
  'PAYLOAD_ENCRYPTION_KEY',
];

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const secrets = SECRET_VARIABLES.map((name) => options.env[name]?.trim());
  const { config, checks } = configChecks(options.env, options.role);
  if (!config) {
    checks.push(
      warn(
        'doctor.skipped',
        'Other checks',
        'Temporal, OZmap and the geocoder were not checked: they need a valid configuration',
        'fix the configuration lines above, then run the doctor again',
      ),
    );
    const report = reportOf(checks, secrets);
    return options.tenant === undefined ? report : { tenant: options.tenant, ...report };
  }
  const tenant =
    options.tenant === undefined ? undefined : await resolveTenant(config, options.tenant, options.registry);
  // A tenant other than `default`: its OZmap is the registry's, and the fixes name its entry there.
  const other = tenant && tenant.id !== DEFAULT_TENANT_ID ? tenant : undefined;
  const upstream = options.upstream
    ? options.upstream(config, { conformance: options.ozmap === true, ...(other ? { tenantId: other.id } : {}) })
    : checkedHere(other ? tenantUpstreamConfig(config, other) : config, {
        ...options,
        conformance: options.ozmap,
        tenantId: other?.id,
      });
  const [temporal, tenantLines, upstreamLines] = await Promise.all([
    temporalChecks(config.temporal, { timeoutMs: options.temporalTimeoutMs }),
    tenant ? tenantChecks(tenant) : Promise.resolve([]),
    upstream,
  ]);
  checks.push(...temporal, ...tenantLines, ...upstreamLines);
  for (const later of LATER_CHECKS) checks.push(...(await later(config)));
  const report = reportOf(checks, [
    ...secrets,
    config.ozmap.apiKey,
    config.http.ispboxApiKey,
    config.temporal.apiKey,
    config.geocoder.provider === 'google' ? config.geocoder.apiKey : undefined,
    ...(tenant ? tenantSecrets(tenant) : []),
  ]);
  return tenant ? { tenant: tenant.id, ...report } : report;
}

/** OZmap and the geocoder checked from this process, with clients made for the run. */
async function checkedHere(config: Config, options: UpstreamOptions): Promise<Check[]> {
  const clients = createClients(config);
  try {
    return await upstreamChecks(clients, config, options);
  } finally {
    await clients.close();
  }
}
