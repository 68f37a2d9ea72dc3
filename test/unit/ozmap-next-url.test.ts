/**
 * The OZmap client follows a page's `nextUrl` only to its own origin under /api/v2/: the key travels in
 * Authorization, so a response must not be able to send it to another host, port or scheme (or another path).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UpstreamHttpError } from '../../activities/http.ts';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { json, startTestServer, type TestServer } from '../support/http-server.ts';

const KEY = 'ozmap-key-that-must-stay-home';
const box = (id: string) => ({ id, name: id, coords: [-48.5, -27.6], implanted: true, draft: false });

describe('OzmapClient: nextUrl stays on the configured OZmap', () => {
  let foreign: TestServer;
  let foreignOtherHost: TestServer;
  let ozmap: TestServer;
  let next = '';

  before(async () => {
    foreign = await startTestServer((_req, res) => json(res, 200, { rows: [box('stolen')], hasNextPage: false }));
    foreignOtherHost = await startTestServer(
      (_req, res) => json(res, 200, { rows: [box('stolen')], hasNextPage: false }),
      '127.0.0.2',
    );
    ozmap = await startTestServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.searchParams.get('page') === '1' || url.searchParams.get('page') === null)
        return json(res, 200, {
          total: 200,
          start: 0,
          limit: 100,
          rows: [box('b1')],
          hasNextPage: true,
          nextUrl: next,
        });
      json(res, 200, { total: 200, start: 100, limit: 100, rows: [box('b2')], hasNextPage: false });
    });
  });
  after(async () => {
    await Promise.all([foreign.close(), foreignOtherHost.close(), ozmap.close()]);
  });

  const foreignUrls = () => {
    const own = new URL(ozmap.url);
    return {
      'another host': `${foreignOtherHost.url}/api/v2/boxes?page=2`,
      'another port': `${foreign.url}/api/v2/boxes?page=2`,
      'another scheme': `https://${own.host}/api/v2/boxes?page=2`,
      'a path outside /api/v2': `${ozmap.url}/admin/boxes?page=2`,
      'a relative path outside /api/v2': '/api/v2/../admin?page=2',
      'a protocol-relative URL': `//${new URL(foreign.url).host}/api/v2/boxes?page=2`,
    };
  };

  for (const name of [
    'another host',
    'another port',
    'another scheme',
    'a path outside /api/v2',
    'a relative path outside /api/v2',
    'a protocol-relative URL',
  ] as const) {
    it(`refuses a nextUrl to ${name}, non-retryable, naming the origin but not the key; nothing is sent`, async () => {
      next = foreignUrls()[name];
      const before = { foreign: foreign.requests.length, other: foreignOtherHost.requests.length };
      const ozmapBefore = ozmap.requests.length;
      const client = new OzmapClient({ baseUrl: ozmap.url, apiKey: KEY, timeoutMs: 2000 });
      try {
        const err = await client.findBoxesNear({ lat: -27.6, lng: -48.5 }, 500).then(
          () => assert.fail('expected the foreign nextUrl to be refused'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof UpstreamHttpError, String(err));
        assert.equal(err.kind, 'bad-response');
        assert.equal(err.retryable, false);
        assert.match(err.message, /nextUrl/);
        assert.ok(err.message.includes(new URL(next, ozmap.url).origin), err.message);
        assert.doesNotMatch(err.message, new RegExp(KEY));
        assert.equal(foreign.requests.length, before.foreign, 'the foreign server received nothing');
        assert.equal(foreignOtherHost.requests.length, before.other, 'the other host received nothing');
        assert.equal(ozmap.requests.length, ozmapBefore + 1, 'only the first page was asked for');
      } finally {
        await client.close();
      }
    });
  }

  it('refuses a foreign nextUrl in rawNext (the doctor) before sending', async () => {
    const client = new OzmapClient({ baseUrl: ozmap.url, apiKey: KEY, timeoutMs: 2000 });
    try {
      const before = foreign.requests.length;
      await assert.rejects(client.rawNext(`${foreign.url}/api/v2/boxes?page=2`), UpstreamHttpError);
      assert.equal(foreign.requests.length, before);
    } finally {
      await client.close();
    }
  });

  it('follows a same-origin nextUrl under /api/v2 with the key', async () => {
    next = '/api/v2/boxes?page=2&limit=100';
    const client = new OzmapClient({ baseUrl: ozmap.url, apiKey: KEY, timeoutMs: 2000 });
    try {
      const boxes = await client.findBoxesNear({ lat: -27.6, lng: -48.5 }, 500);
      assert.deepEqual(
        boxes.map((b) => b.id),
        ['b1', 'b2'],
      );
      assert.equal(ozmap.requests.at(-1)?.headers.authorization, KEY);
    } finally {
      await client.close();
    }
  });
});
