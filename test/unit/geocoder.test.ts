import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NominatimGeocoder } from '../../activities/geocoder/nominatim.ts';
import { GoogleGeocoder } from '../../activities/geocoder/google.ts';
import { UpstreamHttpError } from '../../activities/http.ts';
import { json, startTestServer, type TestServer } from '../support/http-server.ts';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

describe('Nominatim geocoder', () => {
  it('sends its User-Agent, asks Brazil only, parses the first hit, and spaces requests out', async () => {
    const server = await startTestServer((req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams.get('q');
      json(
        res,
        200,
        q === 'nowhere'
          ? []
          : [{ lat: '-27.5935', lon: '-48.5585', display_name: 'Rua Bocaiúva, Centro, Florianópolis' }],
      );
    });
    servers.push(server);
    const geocoder = new NominatimGeocoder({ url: server.url, userAgent: 'test-agent/1', minIntervalMs: 150 });
    const [hit, miss, again] = await Promise.all([
      geocoder.geocode('Rua Bocaiúva, 2125'),
      geocoder.geocode('nowhere'),
      geocoder.geocode('x'),
    ]);
    await geocoder.close();
    assert.deepEqual(hit, { lat: -27.5935, lng: -48.5585, displayName: 'Rua Bocaiúva, Centro, Florianópolis' });
    assert.equal(miss, null);
    assert.ok(again);
    assert.equal(server.requests.length, 3);
    for (const r of server.requests) {
      assert.equal(r.headers['user-agent'], 'test-agent/1');
      const params = new URL(r.url, 'http://x').searchParams;
      assert.equal(params.get('countrycodes'), 'br');
      assert.equal(params.get('format'), 'jsonv2');
    }
    // The usage policy's rate limit: consecutive requests are at least the interval apart (a lower bound only).
    const gaps = server.requests.slice(1).map((r, i) => r.at - server.requests[i]!.at);
    assert.ok(
      gaps.every((g) => g >= 140),
      `gaps ${gaps.join(',')}`,
    );
  });

  it('refuses an odd response with a clear error', async () => {
    const server = await startTestServer((_req, res) => json(res, 200, [{ lat: 'north', lon: 1 }]));
    servers.push(server);
    const geocoder = new NominatimGeocoder({ url: server.url, userAgent: 'ua', minIntervalMs: 0 });
    await assert.rejects(
      geocoder.geocode('x'),
      (err: unknown) =>
        err instanceof UpstreamHttpError &&
        err.kind === 'bad-response' &&
        /Nominatim.*0\.(lat|display_name)/.test(err.message),
    );
    await geocoder.close();
  });
});

describe('Google geocoder', () => {
  const statuses: Record<string, unknown> = {
    ok: {
      status: 'OK',
      results: [{ formatted_address: 'R. Bocaiúva, 2125', geometry: { location: { lat: -27.59, lng: -48.55 } } }],
    },
    zero: { status: 'ZERO_RESULTS', results: [] },
    denied: { status: 'REQUEST_DENIED', error_message: 'The provided API key GOOGLEKEY is invalid.' },
    quota: { status: 'OVER_QUERY_LIMIT' },
  };
  it('maps Google statuses to results and classified errors, without leaking the key', async () => {
    const server = await startTestServer((req, res) =>
      json(res, 200, statuses[new URL(req.url!, 'http://x').searchParams.get('address')!]),
    );
    servers.push(server);
    const geocoder = new GoogleGeocoder({ url: `${server.url}/maps/api/geocode/json`, apiKey: 'GOOGLEKEY' });
    assert.deepEqual(await geocoder.geocode('ok'), { lat: -27.59, lng: -48.55, displayName: 'R. Bocaiúva, 2125' });
    assert.equal(await geocoder.geocode('zero'), null);
    await assert.rejects(
      geocoder.geocode('denied'),
      (e: unknown) => e instanceof UpstreamHttpError && e.kind === 'auth' && !e.message.includes('GOOGLEKEY'),
    );
    await assert.rejects(
      geocoder.geocode('quota'),
      (e: unknown) => e instanceof UpstreamHttpError && e.kind === 'rate-limited',
    );
    await geocoder.close();
    assert.equal(new URL(server.requests[0]!.url, 'http://x').searchParams.get('region'), 'br');
  });
});
