/**
 * The map page's server side through fastify's inject, with a recording stand-in for the client library: what
 * each endpoint asks of the reservation (and of which viability), the refusals, the assets and the headers.
 * The browser test (test/browser) runs the same endpoints on the real stack.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fastify, { type FastifyInstance } from 'fastify';
import { ConfigError, loadConfig } from '../../config/env.ts';
import { ChangeRefusedError, RejectedError, ReservationNotFoundError } from '../../client/errors.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import { PER_VIABILITY_PER_MINUTE } from '../../api/rate-limits.ts';
import { tileOrigin, viabilityPage, type MapSettings } from '../../api/viability-page.ts';
import { viabilityPageUrl } from '../../client/viability-link.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import type { CandidateSurvey } from '../../client/candidate-survey.ts';
import { fakeReservations, stateOf } from '../support/fake-reservations.ts';

const KEY = 'viability-page-test-key-0123456789';

async function server(
  reservations: ReservationsClient,
  options: { map?: MapSettings; waitSeconds?: number } = {},
): Promise<FastifyInstance> {
  const app = fastify({ logger: false });
  await app.register(viabilityPage, {
    reservations,
    config: { http: { ispboxApiKey: KEY }, map: options.map },
    waitSeconds: options.waitSeconds,
  });
  await app.ready();
  return app;
}

const query = (viabilityId = 'V-1042', apiKey = KEY) =>
  new URL(
    viabilityPageUrl({
      baseUrl: 'http://x',
      apiKey,
      input: {
        viabilityId,
        customer: { code: 'C-77', name: 'Maria Souza' },
        address: 'Rua Bocaiúva, 2125',
        radiusMeters: 300,
      },
    }),
  ).search;

describe('viability page endpoints', () => {
  it("start reserves in manual mode with exactly the link's data; select and state act on the link's viability", async () => {
    const { reservations, calls } = fakeReservations();
    const app = await server(reservations);
    const start = await app.inject({ method: 'POST', url: `/viability/api/start${query()}` });
    assert.equal(start.statusCode, 200, start.body);
    assert.equal(start.headers['cache-control'], 'no-store');
    assert.deepEqual(calls[0], [
      'reserve',
      {
        viabilityId: 'V-1042',
        customer: { code: 'C-77', name: 'Maria Souza' },
        address: 'Rua Bocaiúva, 2125',
        radiusMeters: 300,
        selection: 'manual',
      },
    ]);

    const select = await app.inject({
      method: 'POST',
      url: `/viability/api/select${query()}`,
      payload: { boxId: 'b1', splitterId: 's1', port: 3 },
    });
    assert.equal(select.statusCode, 200, select.body);
    assert.equal(select.json<ReservationState>().status, 'RESERVED');
    assert.deepEqual(calls[1], ['select', 'V-1042', { boxId: 'b1', splitterId: 's1', port: 3 }]);

    const state = await app.inject({ method: 'GET', url: `/viability/api/state${query()}` });
    assert.equal(state.statusCode, 200);
    assert.deepEqual(calls[2], ['get', 'V-1042']);
    await app.close();
  });

  it("Trocar caixa: fresh candidates and the move act on the link's viability only; bad bodies 400, refusals 409", async () => {
    const { reservations, calls } = fakeReservations();
    const app = await server(reservations);
    const candidates = await app.inject({ method: 'GET', url: `/viability/api/candidates${query()}` });
    assert.equal(candidates.statusCode, 200, candidates.body);
    assert.equal(candidates.json<CandidateSurvey>().radiusMeters, 300);
    const move = await app.inject({
      method: 'POST',
      url: `/viability/api/box${query()}`,
      payload: { boxId: 'b2', splitterId: 's2', port: 5, reason: 'do outro lado da rua' },
    });
    assert.equal(move.statusCode, 200, move.body);
    assert.deepEqual(calls, [
      ['moveCandidates', 'V-1042'],
      ['changeBox', 'V-1042', { boxId: 'b2', splitterId: 's2', port: 5, reason: 'do outro lado da rua' }],
      // The page redraws its map from the whole state, whose candidates changeBox's answer leaves out.
      ['get', 'V-1042'],
    ]);
    // The viability is the link's: a body naming another one is refused, not obeyed.
    const otherViability = await app.inject({
      method: 'POST',
      url: `/viability/api/box${query()}`,
      payload: { boxId: 'b2', viabilityId: 'V-9' },
    });
    assert.equal(otherViability.statusCode, 400);
    const badPort = await app.inject({
      method: 'POST',
      url: `/viability/api/box${query()}`,
      payload: { boxId: 'b2', port: 0 },
    });
    assert.equal(badPort.statusCode, 400);
    assert.deepEqual(
      badPort.json<{ details: Array<{ field: string }> }>().details.map((d) => d.field),
      ['port'],
    );
    calls.length = 0;
    for (const url of [
      '/viability/api/candidates?viabilityId=V-1042&code=C&name=N&address=Rua',
      `/viability/api/box${query().replace('V-1042', 'V-1043')}`,
    ]) {
      const refused = await app.inject({ method: url.includes('/box') ? 'POST' : 'GET', url, payload: { boxId: 'b' } });
      assert.ok([401, 403].includes(refused.statusCode), `${url}: ${refused.statusCode}`);
    }
    assert.deepEqual(calls, [], 'an unsigned or tampered link touches nothing');
    await app.close();

    const refusing = await server(
      fakeReservations({
        changeBox: (id) => Promise.reject(new ChangeRefusedError(id as string, 'box', 'box b9 has no free port')),
        moveCandidates: (id) =>
          Promise.reject(new ChangeRefusedError(id as string, 'box', 'the reservation is INSTALLED')),
      }).reservations,
    );
    const refused = await refusing.inject({
      method: 'POST',
      url: `/viability/api/box${query()}`,
      payload: { boxId: 'b9' },
    });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json<{ message: string }>().message, /no free port/);
    const ended = await refusing.inject({ method: 'GET', url: `/viability/api/candidates${query()}` });
    assert.equal(ended.statusCode, 409);
    await refusing.close();
  });

  it('paces moves and surveys per viability: 429 with Retry-After past the limit, other viabilities unaffected', async () => {
    const { reservations, calls } = fakeReservations();
    const app = await server(reservations);
    const move = (viabilityId = 'V-1042') =>
      app.inject({ method: 'POST', url: `/viability/api/box${query(viabilityId)}`, payload: { boxId: 'b2' } });
    for (let i = 0; i < PER_VIABILITY_PER_MINUTE.move; i++) assert.equal((await move()).statusCode, 200);
    const refused = await move();
    assert.equal(refused.statusCode, 429, refused.body);
    assert.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After says when');
    const body = refused.json<{ error: string; message: string; details: Array<{ field: string }> }>();
    assert.equal(body.error, 'too-many-requests');
    assert.match(body.message, /at most 6 a minute/);
    assert.deepEqual(
      body.details.map((d) => d.field),
      ['viabilityId'],
    );
    const moves = calls.filter(([name]) => name === 'changeBox').length;
    assert.equal(moves, PER_VIABILITY_PER_MINUTE.move, 'the refused one reached nothing');
    assert.equal((await move('V-2000')).statusCode, 200, 'another viability has its own count');

    const survey = () => app.inject({ method: 'GET', url: `/viability/api/candidates${query()}` });
    for (let i = 0; i < PER_VIABILITY_PER_MINUTE.survey; i++) assert.equal((await survey()).statusCode, 200);
    assert.equal((await survey()).statusCode, 429);
    await app.close();
  });

  it('refuses unsigned, tampered and foreign links before touching the reservation', async () => {
    const { reservations, calls } = fakeReservations();
    const app = await server(reservations);
    const unsigned = await app.inject({
      method: 'POST',
      url: '/viability/api/start?viabilityId=V-1&code=C&name=N&address=Rua',
    });
    assert.equal(unsigned.statusCode, 401);
    assert.equal(unsigned.json<{ error: string }>().error, 'unsigned-link');
    const tampered = await app.inject({
      method: 'POST',
      url: `/viability/api/select${query().replace('V-1042', 'V-1043')}`,
      payload: { boxId: 'b1' },
    });
    assert.equal(tampered.statusCode, 403);
    assert.deepEqual(Object.keys(tampered.json<object>()).sort(), ['error', 'message']);
    const foreign = await app.inject({
      method: 'GET',
      url: `/viability/api/state${query('V-1042', 'another-key-0123456789abcdef')}`,
    });
    assert.equal(foreign.statusCode, 403);
    assert.deepEqual(calls, []);
    await app.close();
  });

  it('bad bodies are 400s naming the field; refusals 409; a missing reservation 404; a failing service 503 that leaks nothing', async () => {
    const { reservations } = fakeReservations({
      get: () => Promise.reject(new ReservationNotFoundError('V-1042')),
      reserve: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:7233 secret-ish detail')),
    });
    const app = await server(reservations);
    const wrongType = await app.inject({
      method: 'POST',
      url: `/viability/api/select${query()}`,
      payload: { boxId: 'b1', port: 'três' },
    });
    assert.equal(wrongType.statusCode, 400);
    assert.deepEqual(
      wrongType.json<{ details: Array<{ field: string }> }>().details.map((d) => d.field),
      ['port'],
    );
    const otherViability = await app.inject({
      method: 'POST',
      url: `/viability/api/select${query()}`,
      payload: { boxId: 'b1', viabilityId: 'V-9' },
    });
    assert.equal(otherViability.statusCode, 400);
    const notJson = await app.inject({
      method: 'POST',
      url: `/viability/api/select${query()}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"boxId":',
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json<{ error: string }>().error, 'bad-request');
    const missing = await app.inject({ method: 'GET', url: `/viability/api/state${query()}` });
    assert.equal(missing.statusCode, 404);
    const down = await app.inject({ method: 'POST', url: `/viability/api/start${query()}` });
    assert.equal(down.statusCode, 503);
    assert.doesNotMatch(down.body, /ECONNREFUSED|secret/);
    await app.close();

    const refusing = await server(
      fakeReservations({ select: () => Promise.reject(new RejectedError('Box b9 is not among the candidates')) })
        .reservations,
    );
    const refused = await refusing.inject({
      method: 'POST',
      url: `/viability/api/select${query()}`,
      payload: { boxId: 'b9' },
    });
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json<{ message: string }>().message, /not among the candidates/);
    await refusing.close();
  });

  it('a workflow that takes long is answered with the state as it stands after the wait, not held open', async () => {
    const { reservations, calls } = fakeReservations({
      reserve: () => new Promise<ReservationState>(() => {}),
      get: (id) => Promise.resolve(stateOf(id as string, 'SEARCHING')),
    });
    // The stand-in cancels like Temporal's client does: the call rejects when the signal aborts.
    (reservations.client as unknown as { withAbortSignal: unknown }).withAbortSignal = <T>(
      signal: AbortSignal,
      fn: () => Promise<T>,
    ) =>
      Promise.race([
        fn(),
        new Promise<T>((_, reject) => signal.addEventListener('abort', () => reject(new Error('cancelled')))),
      ]);
    const app = await server(reservations, { waitSeconds: 0.2 });
    const started = Date.now();
    const res = await app.inject({ method: 'POST', url: `/viability/api/start${query()}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<ReservationState>().status, 'SEARCHING');
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(
      calls.map((c) => c[0]),
      ['reserve', 'get'],
    );
    await app.close();
  });

  it('serves the page, its assets and Leaflet from node_modules, with a strict policy and no Referer', async () => {
    const app = await server(fakeReservations().reservations);
    const page = await app.inject({ method: 'GET', url: `/viability${query()}` });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /^text\/html/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(page.headers['content-security-policy'] as string, /default-src 'self';img-src 'self' data:;/);
    assert.match(page.body, /<html lang="pt-BR">/);
    assert.match(page.body, /data-tile-url=""/);
    for (const [url, type] of [
      ['/viability/assets/viability.js', 'text/javascript'],
      ['/viability/assets/viability.css', 'text/css'],
      ['/viability/vendor/leaflet/leaflet.js', 'text/javascript'],
      ['/viability/vendor/leaflet/leaflet.css', 'text/css'],
      ['/viability/vendor/leaflet/images/layers.png', 'image/png'],
    ]) {
      const res = await app.inject({ method: 'GET', url: url! });
      assert.equal(res.statusCode, 200, url);
      assert.ok(
        String(res.headers['content-type']).startsWith(type!),
        `${url}: ${String(res.headers['content-type'])}`,
      );
    }
    for (const url of [
      '/viability/assets/viability.html',
      '/viability/assets/../../package.json',
      '/viability/assets/%2e%2e%2fviability-link.ts',
      '/viability/vendor/leaflet/../package.json',
    ]) {
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 404, url);
    }
    await app.close();
  });

  it('tiles, when configured, reach the page (escaped) and the policy allows their origin', async () => {
    const app = await server(fakeReservations().reservations, {
      map: { tileUrl: 'https://{s}.tile.example.org/{z}/{x}/{y}.png', tileAttribution: '© "Contribuidores" <OSM>' },
    });
    const page = await app.inject({ method: 'GET', url: '/viability' });
    assert.match(page.body, /data-tile-url="https:\/\/\{s\}\.tile\.example\.org\/\{z\}\/\{x\}\/\{y\}\.png"/);
    assert.match(page.body, /data-tile-attribution="© &#34;Contribuidores&#34; &#60;OSM&#62;"/);
    assert.match(
      page.headers['content-security-policy'] as string,
      /img-src 'self' data: https:\/\/\*\.tile\.example\.org;/,
    );
    await app.close();
    assert.equal(tileOrigin('http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png'), 'http://127.0.0.1:8080');
    assert.equal(tileOrigin('https://tiles-{r}.example/{z}/{x}/{y}'), 'https:');
  });

  it('MAP_TILE_URL must be a tile template; unset means no tiles', () => {
    assert.deepEqual(loadConfig({}).map, { tileUrl: undefined, tileAttribution: undefined, frameAncestors: "'none'" });
    const set = loadConfig({
      MAP_TILE_URL: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      MAP_TILE_ATTRIBUTION: '© OpenStreetMap',
    });
    assert.equal(set.map.tileUrl, 'https://tile.openstreetmap.org/{z}/{x}/{y}.png');
    for (const bad of [
      'tile.openstreetmap.org/{z}/{x}/{y}.png',
      'https://tile.openstreetmap.org/tiles.png',
      'https://tile.example/{z}/{x}.png',
    ]) {
      assert.throws(
        () => loadConfig({ MAP_TILE_URL: bad }),
        (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('MAP_TILE_URL:')),
        bad,
      );
    }
  });

  it('MAP_FRAME_ANCESTORS says who may frame the page (none by default); anything else is refused by name', async () => {
    const csp = async (map?: MapSettings) => {
      const app = await server(fakeReservations().reservations, { map });
      const page = await app.inject({ method: 'GET', url: '/viability' });
      await app.close();
      return page.headers['content-security-policy'] as string;
    };
    assert.match(await csp(), /;frame-ancestors 'none'$/);
    assert.doesNotMatch(await csp(), /unsafe-inline/);
    const ispbox = loadConfig({
      MAP_FRAME_ANCESTORS: "  'self'   https://*.ispbox.example.com.br https://erp.example:8443 ",
    });
    assert.equal(ispbox.map.frameAncestors, "'self' https://*.ispbox.example.com.br https://erp.example:8443");
    assert.match(
      await csp(ispbox.map),
      /;frame-ancestors 'self' https:\/\/\*\.ispbox\.example\.com\.br https:\/\/erp\.example:8443$/,
    );
    for (const bad of [
      'none',
      "'none' https://ispbox.example",
      "'self'; script-src *",
      'https://ispbox.example/path',
      '*',
      "'unsafe-inline'",
      'javascript:alert(1)',
    ]) {
      assert.throws(
        () => loadConfig({ MAP_FRAME_ANCESTORS: bad }),
        (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('MAP_FRAME_ANCESTORS:')),
        bad,
      );
    }
  });
});
