/**
 * Signed webhooks on the dev server, in real time (the time-skipping server stops advancing while a run has a
 * delivery child): a receiver down for the first 15 s of a reservation delays none of its steps and still gets
 * every event afterwards, with the default backoff (first retry 10 s later); a changeBox and an extendHold arrive as
 * reservation.box_changed and reservation.extended, each carrying the change.
 *
 * The 25 h give-up is not tested here: the retry policy is workflow code (workflows/reservation/activities.ts), and no real-time
 * server reaches it in a test's time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { ReservationsClient } from '../../client/reservations.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import type { ReservationState, WebhookEvent } from '../../contract/schemas.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import { signatureProblem, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { eventually, reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';
import { withoutCandidates } from '../../workflows/reservation/views.ts';

const TASK_QUEUE = 'webhook-live-tests';
const SECRET = 'test-webhook-secret-0123456789';

describe('webhooks to Ispbox (dev server, real time)', () => {
  let dev: DevServerEnv;
  let world: World;
  let receiver: WebhookReceiver;
  let worker: Worker;
  let running: Promise<void>;
  let reservations: ReservationsClient;
  let points: Awaited<ReturnType<typeof reservablePoints>>;

  before(async () => {
    [dev, world, receiver] = await Promise.all([createDevServerEnv(), startWorld(), startWebhookReceiver(SECRET)]);
    worker = await createReservationWorker({
      connection: dev.env.nativeConnection,
      namespace: dev.namespace,
      taskQueue: TASK_QUEUE,
      clients: world.clients,
      workflowBundle: await workflowBundle(),
      webhooks: { url: receiver.url, secret: SECRET, reminderDays: [3, 1] },
    });
    running = worker.run();
    reservations = new ReservationsClient(dev.env.client, TASK_QUEUE, {
      radiusMeters: 400,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
    points = await reservablePoints(world.ozmap, 3, 500);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await receiver?.close();
    await world?.close();
    await dev?.stop();
  });

  let next = 0;
  const input = () => {
    const point = points[next++]!;
    const viabilityId = `WL-${randomUUID().slice(0, 8)}`;
    return {
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: point.lat, lng: point.lng },
    };
  };
  /** The acknowledged events of one reservation, once there are `count` of them, in the order they happened. */
  const eventsOf = (viabilityId: string, count: number, timeoutMs?: number) =>
    eventually(() => {
      const mine = receiver.events().filter((e) => e.viabilityId === viabilityId);
      assert.equal(mine.length, count, mine.map((e) => e.type).join(', '));
      return Promise.resolve(mine.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt)));
    }, timeoutMs);
  const typesOf = (events: WebhookEvent[]) => events.map((e) => e.type);
  /** Every acknowledged delivery of these events verifies as Standard Webhooks with the secret. */
  const assertSigned = (events: WebhookEvent[]) => {
    const ids = new Set(events.map((e) => e.id));
    const mine = receiver.delivered.filter((d) => ids.has(d.event.id));
    for (const d of mine) {
      assert.equal(signatureProblem(d.raw, d.headers, SECRET), undefined);
      assert.equal(d.headers['webhook-id'], d.event.id);
      assert.equal(d.headers['x-event-id'], d.event.id);
    }
    assert.deepEqual(receiver.rejected, [], 'every request was signed and shaped as documented');
  };

  it('a receiver down for the first 15 s delays nothing, and receives every event afterwards', async () => {
    receiver.setMode('503');
    const since = receiver.attempts.length;
    const i = input();
    const asked = Date.now();
    const held = await reservations.reserve(i);
    assert.equal(held.status, 'RESERVED', held.notice);
    const reservedAfter = Date.parse(held.reservation!.reservedAt) - asked;
    assert.ok(reservedAfter < 10_000, `reserved ${reservedAfter} ms after the request`);

    const cancelAsked = Date.now();
    await reservations.cancel(i.viabilityId, { reason: 'desistiu' });
    const handle = dev.env.client.workflow.getHandle(workflowIdFor(i.viabilityId));
    const final = (await handle.result()) as ReservationState;
    const cancelTook = Date.now() - cancelAsked;
    assert.equal(final.status, 'CANCELLED');
    // Settled while the receiver still answered 503: the run never waits for Ispbox.
    const refusedSoFar = receiver.attempts.slice(since).filter((a) => a.answered === 503);
    assert.ok(refusedSoFar.length >= 1, 'the reserved event was refused before the cancel settled');
    assert.equal(receiver.events().filter((e) => e.viabilityId === i.viabilityId).length, 0);
    assert.ok(cancelTook < 10_000, `the cancel settled ${cancelTook} ms after it was asked`);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, asked + 15_000 - Date.now())));
    const refused = receiver.attempts.slice(since).filter((a) => a.answered === 503);
    receiver.setMode('up');
    // The next retries come 20 s after the second attempt (10 s, then doubled).
    const events = await eventsOf(i.viabilityId, 2, 60_000);
    assert.deepEqual(typesOf(events), ['reservation.reserved', 'reservation.cancelled']);
    assert.deepEqual(
      events.at(-1)!.state,
      JSON.parse(JSON.stringify(withoutCandidates(final))),
      'the last event carries the final state, without the candidate lists',
    );
    const refusedIds = new Set(refused.map((a) => a.eventId));
    assert.ok(refusedIds.size >= 1);
    for (const id of refusedIds)
      assert.ok(
        events.some((e) => e.id === id),
        `event ${id}, refused while down, acknowledged later`,
      );
    assertSigned(events);
    console.log(
      `# reserved ${reservedAfter} ms after the request, cancel settled in ${cancelTook} ms, ` +
        `${refused.length} attempts refused while down`,
    );
  });

  it('a changeBox and an extendHold arrive as reservation.box_changed and reservation.extended', async () => {
    const i = input();
    const held = await reservations.reserve(i);
    assert.equal(held.status, 'RESERVED', held.notice);
    const box = held.candidates.find((c) => c.boxId !== held.reservation!.boxId);
    assert.ok(box, 'another box with a free port within the radius');
    const splitter = box.splitters[0]!;
    const moved = await reservations.changeBox(i.viabilityId, {
      boxId: box.boxId,
      splitterId: splitter.splitterId,
      port: splitter.freePorts.at(-1)!,
      reason: 'poste mais perto',
    });
    const extended = await reservations.extendHold(i.viabilityId, { days: 10, reason: 'obra atrasada' });
    await reservations.cancel(i.viabilityId, { reason: 'desistiu' });
    const final = (await dev.env.client.workflow.getHandle(workflowIdFor(i.viabilityId)).result()) as ReservationState;
    assert.equal(final.status, 'CANCELLED');

    const events = await eventsOf(i.viabilityId, 4, 30_000);
    assert.deepEqual(typesOf(events), [
      'reservation.reserved',
      'reservation.box_changed',
      'reservation.extended',
      'reservation.cancelled',
    ]);
    const [, boxChanged, extension] = events;
    assert.equal(boxChanged!.status, 'RESERVED');
    assert.equal(boxChanged!.state.reservation!.boxId, box.boxId);
    assert.deepEqual(boxChanged!.state.reservation, moved.reservation);
    assert.equal(boxChanged!.state.changes!.at(-1)!.kind, 'box');
    assert.equal(boxChanged!.state.changes!.at(-1)!.reason, 'poste mais perto');
    assert.equal(extension!.state.reservation!.expiresAt, extended.reservation!.expiresAt);
    assert.notEqual(extension!.state.reservation!.expiresAt, held.reservation!.expiresAt);
    assert.deepEqual(extension!.state.changes!.at(-1), extended.changes!.at(-1));
    assertSigned(events);
  });
});
