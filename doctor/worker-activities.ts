/**
 * The doctor's activity on the worker (docs/architecture.md, "Doctor"): the OZmap and geocoder checks with the
 * worker's own clients and keys, for GET /v1/doctor through DoctorWorkflow. Its lines never carry a key: they are
 * masked here, before they enter history.
 */
import type { Clients } from '../activities/clients.ts';
import type { Check, DoctorActivities, UpstreamCheckOptions } from '../contract/doctor.ts';
import { maskCheck } from './checks.ts';
import { upstreamChecks, type UpstreamConfig } from './upstream.ts';

export function createDoctorActivities(
  clients: Pick<Clients, 'ozmap' | 'geocoder'>,
  config: UpstreamConfig,
): DoctorActivities {
  const secrets = [config.ozmap.apiKey, config.geocoder.provider === 'google' ? config.geocoder.apiKey : undefined];
  return {
    async upstreamChecks(options: UpstreamCheckOptions): Promise<Check[]> {
      const checks = await upstreamChecks(clients, config, { conformance: options.conformance });
      return checks.map((check) => maskCheck(check, secrets));
    },
  };
}
