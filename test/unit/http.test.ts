import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createDispatcher, UpstreamHttpError, sendJson } from '../../activities/http.ts';
import { toFailure } from '../../activities/failures.ts';
import { json, startTestServer, type TestServer } from '../support/http-server.ts';

describe('sendJson error classification', () => {
  let server: TestServer;
  const dispatcher = createDispatcher(500);
  before(async () => {
    server = await startTestServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      const status = Number(path.slice(1));
      if (path === '/reset') return req.socket.destroy();
      if (path === '/slow') return void setTimeout(() => json(res, 200, {}), 2000);
      if (path === '/html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      json(res, status, { message: `status ${status}` }, status === 429 ? { 'retry-after': '7' } : {});
    });
  });
  after(async () => {
    await dispatcher.close();
    await server.close();
  });

  const expectKind = async (path: string, kind: string, retryable: boolean) => {
    const err = await sendJson(dispatcher, { method: 'GET', url: new URL(`${server.url}${path}?key=SECRET`) }).then(
      () => assert.fail('expected an error'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UpstreamHttpError, String(err));
    assert.equal(err.kind, kind);
    assert.equal(err.retryable, retryable);
    assert.doesNotMatch(err.message, /SECRET/, 'query strings (which may carry keys) never reach messages');
    return err;
  };

  it('400 is a validation error, not retried', async () => void (await expectKind('/400', 'validation', false)));
  it('401 and 403 are auth errors, retried slowly', async () => {
    await expectKind('/401', 'auth', true);
    const failure = toFailure(await expectKind('/403', 'auth', true), 'OZmap') as ApplicationFailure;
    assert.equal(failure.type, 'OZmapAuthError');
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.nextRetryDelay, 60_000);
  });
  it('422 is a conflict', async () => void (await expectKind('/422', 'conflict', false)));
  it('429 is rate limiting, honouring Retry-After', async () => {
    const err = await expectKind('/429', 'rate-limited', true);
    assert.equal(err.retryAfterMs, 7000);
  });
  it('5xx is retryable', async () => {
    const failure = toFailure(await expectKind('/503', 'unavailable', true), 'OZmap') as ApplicationFailure;
    assert.equal(failure.type, 'OZmapUnavailableError');
    assert.equal(failure.nonRetryable, false);
  });
  it('a reset connection and a timeout are network errors', async () => {
    await expectKind('/reset', 'network', true);
    await expectKind('/slow', 'network', true);
  });
  it('a 2xx that is not JSON is a bad response, non-retryable for reads', async () => {
    const failure = toFailure(await expectKind('/html', 'bad-response', false), 'Geocoder') as ApplicationFailure;
    assert.equal(failure.type, 'GeocoderBadResponseError');
    assert.equal(failure.nonRetryable, true);
    assert.equal(
      (
        toFailure(new UpstreamHttpError('bad-response', 'x'), 'OZmap', {
          retryBadResponses: true,
        }) as ApplicationFailure
      ).nonRetryable,
      false,
    );
  });
  it('allows 404 when asked', async () => {
    const res = await sendJson(
      dispatcher,
      { method: 'DELETE', url: new URL(`${server.url}/404`) },
      { allowNotFound: true },
    );
    assert.equal(res.status, 404);
  });
});
