/**
 * Signed webhooks to a real receiver on loopback, on the time-skipping server with the real activities and the
 * simulator: every event of a reservation's life, reminders at their offsets, and nothing scheduled when WEBHOOK_URL is
 * unset. A receiver that is down is tested on the dev server (webhooks-live.test.ts): this server stops advancing
 * time while a run has a delivery child that is retrying.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { createReservationWorker } from '../../worker/worker.ts';
import { DAY_MS, WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { cancelReservation, confirmSale, getState } from '../../contract/messages.ts';
import type { ReservationInput, ReservationState, WebhookEvent } from '../../contract/schemas.ts';
import { NO_COVERAGE_POINT } from '../../simulator/network.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { eventually, reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';
import { withoutCandidates } from '../../workflows/reservation/views.ts';

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
    // Only the events about choosing (or there being nothing to choose) carry the candidate lists.
    for (const e of events)
      assert.equal(
        'candidates' in e.state,
        e.type === 'reservation.no_coverage' || e.type === 'reservation.awaiting_selection',
        `${e.type}: candidates`,
      );
    const last = events.at(-1)!;
    const expected = 'candidates' in last.state ? final : withoutCandidates(final);
    assert.deepEqual(last.state, JSON.parse(JSON.stringify(expected)), 'the last event carries the final state');
    assert.deepEqual(receiver.rejected, [], 'every request was signed and shaped as documented');
  };

  // First: run after the no_coverage and address_not_found test, this 5-day hold was never skipped through on the
  // time-skipping server (seen hanging; not understood yet), though it passes alone.
  it('without WEBHOOK_URL nothing is scheduled: no child, no reminder timer, one marker', async () => {
    const handle = await start({ holdDays: 5 }, { taskQueue: QUIET_QUEUE });
    assert.equal(((await handle.result()) as ReservationState).status, 'EXPIRED');
    const history = await handle.fetchHistory();
    const count = (attribute: string) =>
      history.events!.filter((e) => (e as Record<string, unknown>)[attribute] != null).length;
    assert.equal(count('startChildWorkflowExecutionInitiatedEventAttributes'), 0);
    assert.equal(count('timerStartedEventAttributes'), 1, 'only the hold');
    // Local activities only: the settings, read once per run, and the release at the hold's end (in the timer's task);
    // no patch markers before 1.0 (docs/development.md, "Changing workflow code").
    const markers = history.events!.flatMap((e) =>
      e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes] : [],
    );
    const localActivities = markers.map((m) => {
      const data = m.details?.data?.payloads?.[0]?.data;
      return m.markerName === 'core_local_activity' && data
        ? (JSON.parse(Buffer.from(data).toString()) as { activity_type: string }).activity_type
        : m.markerName;
    });
    assert.deepEqual(
      localActivities,
      ['reservationSettings', 'releasePort'],
      'the settings read once, no patch marker',
    );
    assert.equal(receiver.events().filter((e) => e.viabilityId === viabilityOf(handle)).length, 0);
  });

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
    // The reserved event links the installer's sketch (relative to the API); the others do not.
    const base = `/v1/reservations/${final.viabilityId}`;
    assert.deepEqual(events[0]!.links, { sketchSvg: `${base}/sketch.svg`, sketchPdf: `${base}/sketch.pdf` });
    assert.deepEqual(
      events.slice(1).map((e) => e.links),
      [undefined, undefined, undefined],
    );
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
});
