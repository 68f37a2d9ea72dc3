/**
 * The doctor's activity on the worker (docs/architecture.md, "Doctor"): the OZmap and geocoder checks with the
 * worker's own clients and keys, for GET /v1/doctor through DoctorWorkflow. For a tenant, its OZmap as this worker
 * resolves it (its registry, its client, one of its bulkhead's slots). Its lines never carry a key: they are masked
 * here, before they enter history.
 */
import type { Clients } from '../activities/clients.ts';
import type { TenantOzmaps } from '../activities/tenant-ozmaps.ts';
import type { Check, DoctorActivities, UpstreamCheckOptions } from '../contract/doctor.ts';
import { describeError, fail, maskCheck } from './checks.ts';
import { ofTenant, upstreamChecks, type UpstreamConfig } from './upstream.ts';

export function createDoctorActivities(
  clients: Pick<Clients, 'ozmap' | 'geocoder'>,
  config: UpstreamConfig,
  tenants?: Pick<TenantOzmaps, 'run' | 'settings'>,
): DoctorActivities {
  const secrets = [config.ozmap.apiKey, config.geocoder.provider === 'google' ? config.geocoder.apiKey : undefined];
  return {
    async upstreamChecks(options: UpstreamCheckOptions): Promise<Check[]> {
      const { tenantId } = options;
      if (tenantId === undefined) {
        const checks = await upstreamChecks(clients, config, { conformance: options.conformance });
        return checks.map((check) => maskCheck(check, secrets));
      }
      const settings = await tenants?.settings(tenantId);
      if (!tenants || !settings)
        return [
          fail(
            'ozmap.reachable',
            'OZmap',
            tenants
              ? "this worker's registry has no such tenant: OZmap was not checked"
              : 'this worker has no tenant registry (TENANT_SECRETS_KEY unset): OZmap was not checked',
            "give the workers the API's registry (DATABASE_URL or the data folder) and TENANT_SECRETS_KEY",
          ),
        ].map((check) => ofTenant(check, tenantId));
      const tenantConfig = { ...config, ozmap: { ...config.ozmap, url: settings.url, apiKey: settings.apiKey } };
      try {
        const checks = await tenants.run(tenantId, (ozmap) =>
          upstreamChecks({ ozmap, geocoder: clients.geocoder }, tenantConfig, {
            conformance: options.conformance,
            tenantId,
          }),
        );
        return checks.map((check) => maskCheck(check, [...secrets, settings.apiKey]));
      } catch (err) {
        // Its bulkhead full (TenantBusy): the tenant's OZmap is busy or hung, which is this line's finding.
        const line = fail(
          'ozmap.reachable',
          'OZmap',
          `not checked on the worker: ${describeError(err)}`,
          'look at the OZmap request metrics for this tenant (ozres_ozmap_requests_total{tenant=…})',
        );
        return [maskCheck(ofTenant(line, tenantId), [...secrets, settings.apiKey])];
      }
    },
  };
}
