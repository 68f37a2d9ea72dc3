/**
 * The request line and headers may be as large as a body (64 KiB): an over-long query value is refused by the
 * route's validation, naming the parameter, rather than by Node's parser with a bare 431; past that, and for a
 * malformed request, the answer is still in the API's error shape.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/env.ts';
import { buildHttpServer } from '../../api/server.ts';
import { fakeReservations } from '../support/fake-reservations.ts';

const KEY = 'request-limits-key-0123456789';

/** Sends raw bytes and reads the whole answer (the server closes the connection after these). */
const raw = (port: number, request: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(text) : reject(err)));
  });

describe('request line and header limits', () => {
  let app: FastifyInstance;
  let url: string;
  let port: number;
  before(async () => {
    app = await buildHttpServer({
      reservations: fakeReservations().reservations,
      config: loadConfig({ ISPBOX_API_KEY: KEY, LOG_LEVEL: 'silent' }),
      logger: false,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
  });
  after(() => app?.close());

  it('an over-long page token written in percent-escapes (40 KB of URL) is a 400 naming pageToken', async () => {
    const token = encodeURIComponent('\u{10FFFF}'.repeat(4097)); // 12 bytes of URL per character
    assert.ok(token.length > 40_000);
    const res = await fetch(`${url}/v1/reservations?pageToken=${token}`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    const body = (await res.json()) as { details: Array<{ field: string }> };
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 300));
    assert.deepEqual([...new Set(body.details.map((d) => d.field))], ['pageToken']);
  });

  it('past 64 KiB of request line and headers, and for a malformed request: the error shape, closed', async () => {
    for (const [request, status] of [
      [`GET /v1/reservations?x=${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
      ['NOT HTTP AT ALL\r\n\r\n', 400],
    ] as const) {
      const answer = await raw(port, request);
      assert.match(answer, new RegExp(`^HTTP/1.1 ${status} `), answer.slice(0, 200));
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['details', 'error', 'message']);
    }
  });
});
