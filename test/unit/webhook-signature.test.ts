/**
 * Webhooks are signed as Standard Webhooks (docs/webhooks.md): the delivery activity's headers against a vector
 * computed apart from our code, a rotation's two signatures and a replayed delivery, each checked with the
 * `standardwebhooks` package as a receiver would.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Webhook } from 'standardwebhooks';
import { createWebhookActivities, type WebhookTarget } from '../../activities/webhooks.ts';
import { WEBHOOK_TOLERANCE_SECONDS } from '../../contract/webhooks.ts';
import { standardSecret } from '../support/webhook-receiver.ts';
import { EVENT, KNOWN_ANSWER, PREVIOUS, SECRET } from '../support/webhook-vector.ts';

interface Received {
  raw: string;
  headers: Record<string, string>;
}

describe('webhook signatures (Standard Webhooks)', () => {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ raw: Buffer.concat(chunks).toString('utf8'), headers: flat(req.headers) });
      res.writeHead(204).end();
    });
  });
  let url: string;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  });
  after(() => server.close());

  /** One attempt of the delivery activity, at `nowMs` if given (the clock it stamps the attempt with). */
  async function deliver(t: TestContext, target: Omit<WebhookTarget, 'url' | 'reminderDays'>, nowMs?: number) {
    if (nowMs !== undefined) t.mock.timers.enable({ apis: ['Date'], now: nowMs });
    const activities = createWebhookActivities({ url, reminderDays: [], ...target });
    await new MockActivityEnvironment().run(() => activities.deliverWebhook(EVENT));
    t.mock.timers.reset();
    return received.at(-1)!;
  }

  it('signs `<webhook-id>.<webhook-timestamp>.<body>`: the known answer, current secret first', async (t) => {
    const { raw, headers } = await deliver(t, { secret: SECRET, previousSecret: PREVIOUS }, 1796135190_999);
    assert.equal(raw, KNOWN_ANSWER.body);
    assert.equal(headers['webhook-id'], KNOWN_ANSWER.id);
    assert.equal(headers['webhook-timestamp'], String(KNOWN_ANSWER.timestamp), 'whole seconds of the attempt');
    assert.equal(headers['webhook-signature'], `${KNOWN_ANSWER.signature} ${KNOWN_ANSWER.previousSignature}`);
    assert.equal(headers['x-event-id'], EVENT.id);
    assert.equal(headers['x-event-type'], EVENT.type);
    assert.equal(headers['x-signature'], undefined, 'the old scheme is gone');

    const alone = await deliver(t, { secret: PREVIOUS }, 1796135190_000);
    assert.equal(alone.headers['webhook-signature'], KNOWN_ANSWER.previousSignature, 'whsec_: the decoded bytes');
  });

  it('during a rotation both secrets sign, each verifiable on its own; after it, only the new one', async (t) => {
    const { raw, headers } = await deliver(t, { secret: SECRET, previousSecret: PREVIOUS });
    assert.equal(headers['webhook-signature']?.split(' ').length, 2);
    assert.deepEqual(new Webhook(standardSecret(SECRET)).verify(raw, headers), EVENT);
    assert.deepEqual(new Webhook(PREVIOUS).verify(raw, headers), EVENT);
    const stranger = new Webhook(standardSecret('another-secret-0123456789'));
    assert.throws(() => stranger.verify(raw, headers), /No matching signature/);

    const afterwards = await deliver(t, { secret: SECRET });
    assert.equal(afterwards.headers['webhook-signature']?.split(' ').length, 1);
    assert.deepEqual(new Webhook(standardSecret(SECRET)).verify(afterwards.raw, afterwards.headers), EVENT);
    assert.throws(() => new Webhook(PREVIOUS).verify(afterwards.raw, afterwards.headers), /No matching signature/);
  });

  it('a retry keeps the webhook-id and is stamped and signed anew', async (t) => {
    const first = await deliver(t, { secret: SECRET }, 1796135190_000);
    const retry = await deliver(t, { secret: SECRET }, 1796135190_000 + 600_000);
    assert.equal(retry.headers['webhook-id'], first.headers['webhook-id']);
    assert.equal(Number(retry.headers['webhook-timestamp']) - Number(first.headers['webhook-timestamp']), 600);
    assert.notEqual(retry.headers['webhook-signature'], first.headers['webhook-signature']);
  });

  it('a delivery replayed more than 5 minutes later is rejected by a Standard Webhooks receiver', async (t) => {
    const captured = await deliver(t, { secret: SECRET });
    assert.match(captured.headers['webhook-timestamp'] ?? '', /^\d+$/, 'the delivery is stamped');
    const receiver = new Webhook(standardSecret(SECRET));
    const sentAt = Number(captured.headers['webhook-timestamp']) * 1000;
    t.mock.timers.enable({ apis: ['Date'], now: sentAt + (WEBHOOK_TOLERANCE_SECONDS - 1) * 1000 });
    assert.deepEqual(receiver.verify(captured.raw, captured.headers), EVENT, 'still fresh at 4:59');
    t.mock.timers.setTime(sentAt + (WEBHOOK_TOLERANCE_SECONDS + 1) * 1000);
    assert.throws(() => receiver.verify(captured.raw, captured.headers), /timestamp too old/);
    // Restamping it breaks the signature.
    const restamped = { ...captured.headers, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) };
    assert.throws(() => receiver.verify(captured.raw, restamped), /No matching signature/);
  });
});

function flat(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : v ? [[k, v.join(', ')]] : [])),
  );
}
