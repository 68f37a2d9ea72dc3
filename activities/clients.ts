/** The OZmap and geocoder clients as configured: what the worker injects into the activities, and the doctor uses. */
import { GoogleGeocoder } from './geocoder/google.ts';
import type { Geocoder } from './geocoder/geocoder.ts';
import { NominatimGeocoder } from './geocoder/nominatim.ts';
import { OzmapClient } from './ozmap/client.ts';
import type { Config } from '../config/env.ts';

export interface Clients {
  ozmap: OzmapClient;
  geocoder: Geocoder;
  close(): Promise<void>;
}

/** An OZmap client with the configuration's timeout and API details, at `target` (a tenant's) or the configured one. */
export function ozmapClientFor(config: Config['ozmap'], target: { url: string; apiKey: string } = config): OzmapClient {
  return new OzmapClient({
    baseUrl: target.url,
    apiKey: target.apiKey,
    timeoutMs: config.timeoutMs,
    authScheme: config.authScheme,
    findBy: config.findBy,
  });
}

export function createClients(config: Pick<Config, 'ozmap' | 'geocoder'>): Clients {
  const ozmap = ozmapClientFor(config.ozmap);
  const geocoder: Geocoder =
    config.geocoder.provider === 'google'
      ? new GoogleGeocoder({ url: config.geocoder.url, apiKey: config.geocoder.apiKey })
      : new NominatimGeocoder({
          url: config.geocoder.url,
          userAgent: config.geocoder.userAgent,
          minIntervalMs: config.geocoder.minIntervalMs,
        });
  return {
    ozmap,
    geocoder,
    async close() {
      await Promise.all([ozmap.close(), geocoder.close()]);
    },
  };
}
