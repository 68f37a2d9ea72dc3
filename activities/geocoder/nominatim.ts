/**
 * A Nominatim-compatible geocoder (OpenStreetMap's public service, a self-hosted one, or the simulator).
 * Nominatim's usage policy asks for an identifying User-Agent and at most one request per second.
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { createDispatcher, parseBody, sendJson } from '../http.ts';
import type { Geocoder, GeocodeResult } from './geocoder.ts';

const NominatimResults = z.array(
  z.looseObject({
    lat: z.coerce.number().min(-90).max(90),
    lon: z.coerce.number().min(-180).max(180),
    display_name: z.string(),
  }),
);

export interface NominatimOptions {
  url: string;
  userAgent: string;
  /** Minimum time between two requests from this process. */
  minIntervalMs: number;
  timeoutMs?: number;
}

export class NominatimGeocoder implements Geocoder {
  readonly #search: URL;
  readonly #dispatcher: Dispatcher;
  readonly #throttle: Throttle;

  constructor(readonly options: NominatimOptions) {
    this.#search = new URL('search', options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.#dispatcher = createDispatcher(options.timeoutMs ?? 10_000);
    this.#throttle = new Throttle(options.minIntervalMs);
  }

  async geocode(query: string): Promise<GeocodeResult | null> {
    const url = new URL(this.#search);
    url.search = new URLSearchParams({ q: query, format: 'jsonv2', limit: '1', countrycodes: 'br' }).toString();
    const res = await this.#throttle.run(() =>
      sendJson(this.#dispatcher, { method: 'GET', url, headers: { 'user-agent': this.options.userAgent } }),
    );
    const [first] = parseBody(NominatimResults, res.body, 'Geocoder (Nominatim /search) response');
    return first ? { lat: first.lat, lng: first.lon, displayName: first.display_name } : null;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

/**
 * Serialises calls across all activities of the process, starting each at least `intervalMs` after the
 * previous one finished: connection set-up can delay a request, never bunch two together at the server.
 */
export class Throttle {
  #tail: Promise<unknown> = Promise.resolve();
  #last = 0;

  constructor(readonly intervalMs: number) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(async () => {
      const wait = this.#last + this.intervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await fn();
      } finally {
        this.#last = Date.now();
      }
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
