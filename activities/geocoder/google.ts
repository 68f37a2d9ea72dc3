/** Google's Geocoding API, used when GOOGLE_GEOCODING_API_KEY is set. The key travels in the query string. */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { createDispatcher, UpstreamHttpError, parseBody, sendJson } from '../http.ts';
import type { Geocoder, GeocodeResult } from './geocoder.ts';

const GoogleResponse = z.looseObject({
  status: z.string(),
  error_message: z.string().optional(),
  results: z
    .array(
      z.looseObject({
        formatted_address: z.string(),
        geometry: z.looseObject({
          location: z.object({ lat: z.number().min(-90).max(90), lng: z.number().min(-180).max(180) }),
        }),
      }),
    )
    .default([]),
});

export class GoogleGeocoder implements Geocoder {
  readonly #dispatcher: Dispatcher;

  constructor(readonly options: { url: string; apiKey: string; timeoutMs?: number }) {
    this.#dispatcher = createDispatcher(options.timeoutMs ?? 10_000);
  }

  async geocode(query: string): Promise<GeocodeResult | null> {
    const url = new URL(this.options.url);
    url.search = new URLSearchParams({
      address: query,
      region: 'br',
      language: 'pt-BR',
      key: this.options.apiKey,
    }).toString();
    const res = await sendJson(this.#dispatcher, { method: 'GET', url });
    const body = parseBody(GoogleResponse, res.body, 'Geocoder (Google) response');
    // Google reports errors in `status` with HTTP 200. Its messages never contain the key, but stay safe.
    const detail = body.error_message ? `: ${body.error_message.replaceAll(this.options.apiKey, '***')}` : '';
    switch (body.status) {
      case 'OK': {
        const [first] = body.results;
        return first
          ? { lat: first.geometry.location.lat, lng: first.geometry.location.lng, displayName: first.formatted_address }
          : null;
      }
      case 'ZERO_RESULTS':
        return null;
      case 'OVER_DAILY_LIMIT':
      case 'OVER_QUERY_LIMIT':
        throw new UpstreamHttpError('rate-limited', `Google geocoding quota exceeded${detail}`);
      case 'REQUEST_DENIED':
        throw new UpstreamHttpError(
          'auth',
          `Google geocoding refused the request (check GOOGLE_GEOCODING_API_KEY)${detail}`,
        );
      case 'INVALID_REQUEST':
        throw new UpstreamHttpError('validation', `Google geocoding rejected the query${detail}`);
      default:
        throw new UpstreamHttpError('unavailable', `Google geocoding answered status ${body.status}${detail}`);
    }
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}
