/**
 * A worker killed while a webhook is being delivered loses no event: the receiver holds the first POST without
 * answering, the worker process dies with SIGKILL, another one starts, and the event arrives with the same X-Event-Id
 * once the dead attempt's start-to-close timeout (15 s) lets the retry run on the new worker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../support/stack.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { eventually, reservablePoints } from '../support/world.ts';

const SECRET = 'test-webhook-secret-0123456789';

describe('worker killed mid-delivery', () => {
  let receiver: WebhookReceiver;
  let stack: Stack;
  before(async () => {
    receiver = await startWebhookReceiver(SECRET);
    stack = await startStack({ env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: SECRET } });
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  it('the event held at the kill arrives from the next worker, with the same webhook-id', async () => {
    const [point] = await reservablePoints(stack.world.ozmap, 1);
    receiver.setMode('hang');
    const viabilityId = `KW-${randomUUID().slice(0, 8)}`;
    await stack.reservations.start({
      viabilityId,
      customer: { code: viabilityId, name: 'Cliente' },
      coordinates: { lat: point!.lat, lng: point!.lng },
    });
    // The worker's own answer limit is 10 s: it is killed well inside it, with the POST still open.
    const [held] = await eventually(() => {
      assert.equal(receiver.hanging, 1, 'the first delivery is being held');
      return Promise.resolve(receiver.attempts.filter((a) => a.eventType === 'reservation.reserved'));
    }, 30_000);
    assert.ok(held?.eventId);
    await stack.worker.kill('SIGKILL');
    receiver.setMode('up');
    const killedAt = Date.now();

    const replacement = stack.startWorker();
    await replacement.ready;
    const event = await eventually(() => {
      const arrived = receiver.delivered.find((d) => d.headers['webhook-id'] === held.eventId);
      assert.ok(arrived, 'the held event was delivered again');
      return Promise.resolve(arrived);
    }, 120_000);
    assert.equal(event.event.type, 'reservation.reserved');
    assert.equal(event.event.viabilityId, viabilityId);
    assert.deepEqual(receiver.rejected, []);
    assert.equal((await stack.reservations.get(viabilityId)).status, 'RESERVED');
    console.log(`# the held event arrived ${Date.now() - killedAt} ms after the kill`);
  });
});
