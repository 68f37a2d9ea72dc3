/**
 * Requests no route takes: an unknown path is 404, a method the path does not have 405 with `Allow`, for the API's
 * routes and the map page's alike, in the API's error shape, and both answered before the body is read (a client
 * that announces a body and never sends it is answered at once, not when the request timeout runs out).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/env.ts';
import { buildHttpServer } from '../../api/server.ts';
import { fakeReservations } from '../support/fake-reservations.ts';

const KEY = 'unmatched-test-key-0123456789';
type ErrorBody = { error: string; message: string; details: Array<{ field: string; message: string }> };

describe('unknown paths 404, methods a path does not have 405 with Allow', () => {
  let app: FastifyInstance;
  let port: number;
  const fake = fakeReservations();
  before(async () => {
    app = await buildHttpServer({
      reservations: fake.reservations,
      config: loadConfig({ ISPBOX_API_KEY: KEY, LOG_LEVEL: 'silent' }),
      logger: false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
  });
  after(() => app?.close());

  const inject = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS', url: string) => {
    const res = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      payload: method === 'GET' ? undefined : '{"not":"json"',
    });
    return { status: res.statusCode, allow: res.headers.allow, body: res.json<ErrorBody>() };
  };

  it('a method the path does not have: 405, Allow naming the methods it has, the error shape', async () => {
    for (const [method, url, allow] of [
      ['PUT', '/v1/reservations', 'GET, HEAD, POST'],
      ['DELETE', '/v1/reservations/V-1', 'GET, HEAD'],
      ['GET', '/v1/reservations/V-1/confirm', 'POST'],
      ['PATCH', '/v1/reservations/V-1/extension?x=1', 'POST'],
      ['POST', '/healthz', 'GET, HEAD'],
      ['POST', '/v1/doctor', 'GET, HEAD'],
      ['OPTIONS', '/openapi.json', 'GET, HEAD'],
      ['GET', '/viability/api/start?viabilityId=V-1', 'POST'],
      ['POST', '/viability/api/state', 'GET, HEAD'],
      ['DELETE', '/viability/api/box', 'POST'],
    ] as const) {
      const res = await inject(method, url);
      assert.equal(res.status, 405, `${method} ${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.allow, allow, `${method} ${url}`);
      assert.equal(res.body.error, 'method-not-allowed');
      assert.match(res.body.message, new RegExp(`does not take ${method}`));
      assert.deepEqual(
        res.body.details.map((d) => d.field),
        ['method'],
      );
    }
  });

  it('an unknown path: 404 naming the url, whatever the method', async () => {
    for (const [method, url] of [
      ['POST', '/x'],
      ['GET', '/v1/reservations/V-1/unknown'],
      ['PUT', '/v2/reservations'],
      ['DELETE', '/viability/api/nope'],
    ] as const) {
      const res = await inject(method, url);
      assert.equal(res.status, 404, `${method} ${url}: ${JSON.stringify(res.body)}`);
      assert.equal(res.allow, undefined);
      assert.equal(res.body.error, 'not-found');
      assert.equal(res.body.details[0]?.field, 'url');
    }
  });

  it('answers both before the body is read: a body announced and never sent is not waited for', async () => {
    for (const [method, path, status] of [
      ['POST', '/x', 404],
      ['PUT', '/v1/reservations', 405],
      ['POST', '/viability/api/state', 405],
    ] as const) {
      const t0 = performance.now();
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () =>
          socket.write(
            `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[[`,
          ),
        );
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        socket.setTimeout(3000, () => {
          socket.destroy();
          resolve(text);
        });
      });
      const ms = performance.now() - t0;
      assert.match(answer, new RegExp(`^HTTP/1.1 ${status} `), `${method} ${path}: ${answer.slice(0, 200)}`);
      assert.match(answer, /\r\nconnection: close\r\n/i);
      assert.ok(ms < 1000, `${method} ${path} answered after ${ms.toFixed(0)} ms`);
    }
  });
});
