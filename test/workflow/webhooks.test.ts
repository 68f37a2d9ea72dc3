/**
 * Signed webhooks to a real receiver on loopback, on the time-skipping server with the real activities and the
 * simulator: every event of a reservation's life, reminders at their offsets, a receiver that is down (the
 * reservation is not delayed, every event arrives afterwards), a delivery that gives up, and nothing scheduled when
 * WEBHOOK_URL is unset.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { createReservationWorker } from '../../worker/worker.ts';
import { DAY_MS, HOUR_MS, WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { cancelReservation, confirmSale, getState } from '../../contract/messages.ts';
import type { ReservationInput, ReservationState, WebhookEvent } from '../../contract/schemas.ts';
import { NO_COVERAGE_POINT } from '../../simulator/network.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { eventually, reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';

const TASK_QUEUE = 'webhook-tests';
const QUIET_QUEUE = 'webhook-tests-unset';
const SECRET = 'test-webhook-secret-0123456789';

describe('webhooks to Ispbox (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let world: World;
  let receiver: WebhookReceiver;
  let workers: Worker[];
  let running: Promise<unknown>;
  let points: Awaited<ReturnType<typeof reservablePoints>>;

  before(async () => {
    [env, world, receiver] = await Promise.all([createTimeSkippingEnv(), startWorld(), startWebhookReceiver(SECRET)]);
    const bundle = await workflowBundle();
    const common = { connection: env.nativeConnection, namespace: 'default', clients: world.clients };
    workers = await Promise.all([
      createReservationWorker({
        ...common,
        taskQueue: TASK_QUEUE,
        workflowBundle: bundle,
        webhooks: { url: receiver.url, secret: SECRET, reminderDays: [3, 1] },
      }),
      createReservationWorker({ ...common, taskQueue: QUIET_QUEUE, workflowBundle: bundle }),
    ]);
    running = Promise.all(workers.map((w) => w.run()));
    points = await reservablePoints(world.ozmap, 10);
  });
  after(async () => {
    for (const w of workers ?? []) w.shutdown();
    await running;
    await receiver?.close();
    await world?.close();
    await env?.teardown();
  });

  let nextPoint = 0;
  const start = async (
    overrides: Partial<ReservationInput> = {},
    options: { taskQueue?: string; confirm?: boolean } = {},
  ): Promise<WorkflowHandle> => {
    const point = points[nextPoint++]!;
    const viabilityId = `W-${randomUUID().slice(0, 8)}`;
    const input: ReservationInput = {
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: point.lat, lng: point.lng },
      ...overrides,
    };
    const startOptions = {
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      workflowId: workflowIdFor(viabilityId),
      args: [input],
    };
    if (options.confirm)
      return env.client.workflow.signalWithStart(WORKFLOW_TYPE, {
        ...startOptions,
        signal: confirmSale,
        signalArgs: [{ note: 'instalado' }],
      });
    return env.client.workflow.start(WORKFLOW_TYPE, startOptions);
  };
  const viabilityOf = (handle: WorkflowHandle) => handle.workflowId.replace(/^reservation-/, '');
  /** The acknowledged events of one reservation, once there are `count` of them. */
  const eventsOf = (handle: WorkflowHandle, count: number, timeoutMs?: number) =>
    eventually(() => {
      const mine = receiver.events().filter((e) => e.viabilityId === viabilityOf(handle));
      assert.equal(mine.length, count, mine.map((e) => e.type).join(', '));
      return Promise.resolve(mine.sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt)));
    }, timeoutMs);
  const typesOf = (events: WebhookEvent[]) => events.map((e) => e.type);
  /** Each event's body is the documented one: its status is the state's, and the final one carries the result. */
  const assertBodies = (events: WebhookEvent[], final: ReservationState) => {
    for (const e of events) {
      assert.equal(e.status, e.state.status, e.type);
      assert.equal(e.viabilityId, final.viabilityId);
      if (e.type !== 'reservation.expiring') assert.equal(e.type, `reservation.${e.status.toLowerCase()}`);
    }
    assert.deepEqual(events.at(-1)!.state, JSON.parse(JSON.stringify(final)), 'the last event carries the final state');
    assert.deepEqual(receiver.rejected, [], 'every request was signed and shaped as documented');
  };

  it('reserved, two reminders at 3 and 1 days before the end, expired: signed and as documented', async () => {
    const handle = await start({ holdDays: 5 });
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'EXPIRED');
    const events = await eventsOf(handle, 4);
    assert.deepEqual(typesOf(events), [
      'reservation.reserved',
      'reservation.expiring',
      'reservation.expiring',
      'reservation.expired',
    ]);
    const end = Date.parse(final.reservation!.expiresAt);
    const reminders = events.filter((e) => e.type === 'reservation.expiring');
    assert.deepEqual(
      reminders.map((e) => e.daysLeft),
      [3, 1],
    );
    for (const e of reminders) {
      // occurredAt is the workflow's clock when the timer's task ran: the moment itself, or a moment after it.
      const late = end - e.daysLeft! * DAY_MS - Date.parse(e.occurredAt);
      assert.ok(late <= 0 && late > -60_000, `${e.daysLeft}-day reminder ${-late} ms after its moment`);
    }
    assert.equal(events[0]!.state.status, 'RESERVED');
    assertBodies(events, final);
  });

  it('reserved then installed; reserved then cancelled', async () => {
    const installed = await start({}, { confirm: true });
    const cancelled = await start();
    await eventually(async () => assert.equal((await cancelled.query(getState)).status, 'RESERVED'));
    await cancelled.signal(cancelReservation, { reason: 'desistiu' });
    const [ended, gone] = (await Promise.all([installed.result(), cancelled.result()])) as ReservationState[];
    assert.equal(ended!.status, 'INSTALLED');
    assert.equal(gone!.status, 'CANCELLED');
    const a = await eventsOf(installed, 2);
    assert.deepEqual(typesOf(a), ['reservation.reserved', 'reservation.installed']);
    assertBodies(a, ended!);
    const b = await eventsOf(cancelled, 2);
    assert.deepEqual(typesOf(b), ['reservation.reserved', 'reservation.cancelled']);
    assertBodies(b, gone!);
  });

  it('no_coverage and address_not_found', async () => {
    const none = await start({ coordinates: NO_COVERAGE_POINT });
    const lost = await start({ coordinates: undefined, address: 'Rua Que Não Existe, 1, Florianópolis' });
    for (const [handle, types] of [
      [none, ['reservation.no_coverage']],
      [lost, ['reservation.address_not_found']],
    ] as const) {
      const final = (await handle.result()) as ReservationState;
      const events = await eventsOf(handle, types.length);
      assert.deepEqual(typesOf(events), types);
      assertBodies(events, final);
    }
  });

  it(
    'a receiver down for the first 10 minutes delays nothing, and receives every event afterwards',
    {
      skip:
        'hangs on the Java time-skipping test server: time stops advancing while the run has a delivery child ' +
        '(to be moved to the dev server with a short retry setting)',
    },
    async () => {
      receiver.setMode('503');
      const before = receiver.attempts.length;
      const handle = await start({ holdDays: 2 });
      const reserved = await eventually(async () => {
        const state = await handle.query(getState);
        assert.equal(state.status, 'RESERVED');
        return state;
      });
      await env.sleep(10 * 60_000);
      const refused = receiver.attempts.slice(before).filter((a) => a.answered === 503);
      assert.ok(
        refused.length >= 3,
        `the reserved event was tried ${refused.length} times while the receiver was down`,
      );
      receiver.setMode('up');
      const final = (await handle.result()) as ReservationState;
      assert.equal(final.status, 'EXPIRED');
      const late = Date.parse(final.outcome!.at) - Date.parse(reserved.reservation!.expiresAt);
      assert.ok(late >= 0 && late < 60_000, `expired ${late} ms after the end of the hold`);
      await env.sleep(HOUR_MS); // the reserved event's next retry comes at most 15 minutes later
      const events = await eventsOf(handle, 3);
      assert.deepEqual(typesOf(events), ['reservation.reserved', 'reservation.expiring', 'reservation.expired']);
      const refusedIds = new Set(refused.map((a) => a.eventId));
      assert.ok(
        [...refusedIds].every((id) => events.some((e) => e.id === id)),
        'every id seen while down was acknowledged later',
      );
      assertBodies(events, final);
    },
  );

  it(
    'a delivery that keeps failing gives up after more than 24 hours, visibly (the Web UI shows it Failed)',
    {
      skip:
        'hangs on the Java time-skipping test server: time stops advancing while the run has a delivery child ' +
        '(to be moved to the dev server with a short retry setting)',
    },
    async () => {
      receiver.setMode('503');
      try {
        const before = receiver.attempts.length;
        const handle = await start({ coordinates: NO_COVERAGE_POINT });
        assert.equal(((await handle.result()) as ReservationState).status, 'NO_COVERAGE');
        const [first] = await eventually(() => {
          const tried = receiver.attempts.slice(before);
          assert.ok(tried.length > 0);
          return Promise.resolve(tried);
        });
        const delivery = env.client.workflow.getHandle(`${handle.workflowId}:event:${first!.eventId}`);
        await env.sleep(26 * HOUR_MS);
        const described = await eventually(async () => {
          const d = await delivery.describe();
          assert.equal(d.status.name, 'FAILED');
          return d;
        }, 60_000);
        assert.equal(described.type, 'WebhookDelivery');
        const retriedFor = described.closeTime!.getTime() - described.startTime.getTime();
        assert.ok(retriedFor >= 24 * HOUR_MS, `retried for ${retriedFor / HOUR_MS} hours`);
        await assert.rejects(delivery.result(), /Gave up delivering reservation\.no_coverage/);
        const attempts = receiver.attempts.slice(before).filter((a) => a.eventId === first!.eventId).length;
        console.log(`# the failing delivery was tried ${attempts} times over ${(retriedFor / HOUR_MS).toFixed(1)} h`);
      } finally {
        receiver.setMode('up');
      }
    },
  );

  it('without WEBHOOK_URL nothing is scheduled: no child, no reminder timer, one marker', async () => {
    const handle = await start({ holdDays: 5 }, { taskQueue: QUIET_QUEUE });
    assert.equal(((await handle.result()) as ReservationState).status, 'EXPIRED');
    const history = await handle.fetchHistory();
    const count = (attribute: string) =>
      history.events!.filter((e) => (e as Record<string, unknown>)[attribute] != null).length;
    assert.equal(count('startChildWorkflowExecutionInitiatedEventAttributes'), 0);
    assert.equal(count('timerStartedEventAttributes'), 1, 'only the hold');
    // survey-boxes, refusal-retried-by-workflow, webhooks, and the settings' local activity (read once).
    assert.equal(count('markerRecordedEventAttributes'), 4, 'the patches and the settings read once');
    assert.equal(receiver.events().filter((e) => e.viabilityId === viabilityOf(handle)).length, 0);
  });
});
