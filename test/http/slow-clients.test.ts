/**
 * The HTTP server against clients that hold it: bytes trickled over a real loopback socket (headers or body), a
 * refused link or a missing key with a body still coming, a flood of identical starts, and more waiting calls than
 * the map page takes. The client library is a recording stand-in, so each test counts what reached it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fastify, { type FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/env.ts';
import { buildHttpServer } from '../../api/server.ts';
import { viabilityPage } from '../../api/viability-page.ts';
import { viabilityPageUrl } from '../../client/viability-link.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { fakeReservations, stateOf } from '../support/fake-reservations.ts';

const KEY = 'slow-clients-test-key-0123456789';

const linkQuery = (viabilityId = 'V-SLOW', name = 'Maria Souza', apiKey = KEY) =>
  new URL(
    viabilityPageUrl({
      baseUrl: 'http://x',
      apiKey,
      input: { viabilityId, customer: { code: 'C-77', name }, address: 'Rua Bocaiúva, 2125' },
    }),
  ).search;

async function httpServer(reservations: Parameters<typeof buildHttpServer>[0]['reservations'], timeoutSeconds = 1) {
  const config = loadConfig({
    ISPBOX_API_KEY: KEY,
    HTTP_REQUEST_TIMEOUT_SECONDS: String(timeoutSeconds),
    LOG_LEVEL: 'silent',
  });
  const app = await buildHttpServer({ reservations, config, logger: false });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: Number(new URL(url).port), url };
}

interface Trickled {
  /** ms from connection to the first byte of the answer; undefined when none came. */
  answeredAfterMs?: number;
  /** ms from connection to the server closing the socket; undefined when the test gave up first. */
  closedAfterMs?: number;
  response: string;
}

/**
 * Sends `head` at once, then `trickle` one byte every `everyMs`, as a slow (or malicious) client does; gives up
 * after `giveUpMs`.
 */
function trickle(port: number, head: string, trickleText: string, everyMs: number, giveUpMs: number) {
  return new Promise<Trickled>((resolve) => {
    const started = Date.now();
    const result: Trickled = { response: '' };
    const socket = net.connect(port, '127.0.0.1');
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve(result);
    };
    const giveUp = setTimeout(finish, giveUpMs);
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (sent < trickleText.length && !socket.destroyed) socket.write(trickleText[sent++]!);
      }, everyMs);
    });
    socket.on('data', (chunk) => {
      result.answeredAfterMs ??= Date.now() - started;
      result.response += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      result.closedAfterMs = Date.now() - started;
      finish();
    });
  });
}

const post = (path: string, length: number, headers = '') =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${length}\r\n${headers}\r\n`;

describe('slow and greedy clients', () => {
  it('a client that trickles its body or its headers is cut off (408) within HTTP_REQUEST_TIMEOUT_SECONDS', async () => {
    const { reservations, calls } = fakeReservations();
    const { app, port } = await httpServer(reservations, 1);
    try {
      const body = JSON.stringify({ boxId: 'b1' }).padEnd(400, ' ');
      const [slowBody, slowHeaders] = await Promise.all([
        // A valid link: the request is let through to its body, which comes one byte every 200 ms (80 s in all).
        trickle(port, post(`/viability/api/select${linkQuery()}`, body.length), body, 200, 8000),
        trickle(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n`, 'X-Slow: '.padEnd(400, 'a'), 200, 8000),
      ]);
      for (const [what, t] of [
        ['body', slowBody],
        ['headers', slowHeaders],
      ] as const) {
        assert.ok(
          t.closedAfterMs !== undefined && t.closedAfterMs < 3000,
          `${what}: closed after ${t.closedAfterMs} ms`,
        );
        assert.match(t.response, /^HTTP\/1\.1 408/, `${what}: ${t.response.slice(0, 80)}`);
      }
      assert.deepEqual(calls, [], 'nothing reached the client library');
    } finally {
      await app.close();
    }
  });

  it('a refused link or a missing key is answered at once, without waiting for the body', async () => {
    const { reservations, calls } = fakeReservations();
    // A 30 s request timeout: any answer much sooner came before the body (which would take 100 s).
    const { app, port } = await httpServer(reservations, 30);
    try {
      const body = '{"boxId":"b1"}'.padEnd(500, ' ');
      const unsigned = '/viability/api/start?viabilityId=V-1&code=C&name=N&address=Rua';
      const tampered = `/viability/api/select${linkQuery().replace('V-SLOW', 'V-OTHER')}`;
      const cases = [
        [unsigned, 401],
        [tampered, 403],
        [`/viability/api/select${linkQuery('V-SLOW', 'Maria Souza', 'another-key-0123456789abcdef')}`, 403],
        ['/v1/reservations', 401],
        ['/v1/reservations/V-1/selection', 401],
      ] as const;
      const answers = await Promise.all(cases.map(([path]) => trickle(port, post(path, body.length), body, 200, 4000)));
      for (const [i, [path, status]] of cases.entries()) {
        const t = answers[i]!;
        assert.ok(t.answeredAfterMs !== undefined && t.answeredAfterMs < 1500, `${path}: ${t.answeredAfterMs} ms`);
        assert.match(t.response, new RegExp(`^HTTP/1\\.1 ${status} `), `${path}: ${t.response.slice(0, 80)}`);
        assert.ok(t.closedAfterMs !== undefined && t.closedAfterMs < 3000, `${path}: the socket is closed too`);
      }
      assert.deepEqual(calls, []);
    } finally {
      await app.close();
    }
  });

  it('200 concurrent starts for one link make one reservation call, and every caller gets the state', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { reservations, calls } = fakeReservations({
      reserve: async (input) => {
        await released;
        return stateOf((input as { viabilityId: string }).viabilityId);
      },
    });
    const { app, url } = await httpServer(reservations, 10);
    let arrived = 0;
    app.server.on('request', () => arrived++);
    try {
      const query = linkQuery('V-FLOOD');
      const answers = Array.from({ length: 200 }, () =>
        fetch(`${url}/viability/api/start${query}`, { method: 'POST' }).then(async (res) => ({
          status: res.status,
          body: (await res.json()) as ReservationState,
        })),
      );
      // Every request in (the server has seen it), and a moment for the last ones to reach the handler.
      while (arrived < 200) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();
      const settled = await Promise.all(answers);
      assert.equal(calls.filter((c) => c[0] === 'reserve').length, 1, 'one call into the client library');
      assert.deepEqual(
        settled.map((a) => `${a.status} ${a.body.viabilityId} ${a.body.status}`),
        Array<string>(200).fill('200 V-FLOOD AWAITING_SELECTION'),
      );
    } finally {
      await app.close();
    }
  });

  it('more waiting calls than allowed, per viability or overall: 429 with Retry-After, nothing started', async () => {
    const held: Array<() => void> = [];
    const { reservations, calls } = fakeReservations({
      reserve: (input) =>
        new Promise<ReservationState>((resolve) =>
          held.push(() => resolve(stateOf((input as { viabilityId: string }).viabilityId))),
        ),
    });
    const app: FastifyInstance = fastify({ logger: false });
    await app.register(viabilityPage, {
      reservations,
      config: { http: { ispboxApiKey: KEY } },
      limits: { perViability: 2, overall: 3 },
    });
    await app.ready();
    const start = (viabilityId: string, name: string) =>
      app.inject({ method: 'POST', url: `/viability/api/start${linkQuery(viabilityId, name)}` });
    try {
      // Two different starts for V-1 wait, and a third joins the first (same link): three requests waiting.
      const waiting = [start('V-1', 'Ana'), start('V-1', 'Bia'), start('V-1', 'Ana')];
      await new Promise((resolve) => setTimeout(resolve, 100));
      const perViability = await start('V-1', 'Carla');
      assert.equal(perViability.statusCode, 429, perViability.body);
      assert.equal(perViability.headers['retry-after'], '5');
      assert.equal(perViability.json<{ error: string }>().error, 'too-many-requests');
      assert.match(perViability.json<{ message: string }>().message, /this viability/);
      const overall = await start('V-2', 'Ana');
      assert.equal(overall.statusCode, 429, overall.body);
      assert.equal(overall.headers['retry-after'], '5');
      assert.match(overall.json<{ message: string }>().message, /server/);
      assert.equal(calls.length, 2, 'the refused starts reached nothing');

      for (const resolve of held.splice(0)) resolve();
      assert.deepEqual(
        (await Promise.all(waiting)).map((r) => r.statusCode),
        [200, 200, 200],
      );
      const after = start('V-2', 'Ana');
      await new Promise((resolve) => setTimeout(resolve, 50));
      held.splice(0).forEach((resolve) => resolve());
      assert.equal((await after).statusCode, 200, 'room again once the calls have answered');
    } finally {
      await app.close();
    }
  });
});
