/**
 * The 30-day hold on the time-skipping test server, with the real activities against the real simulator:
 * expiry exactly at the end of the hold, confirmation on day 29, a client implanted by someone else,
 * cancellations (by signal and of the workflow itself), and the manual-selection timeout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { createReservationWorker } from '../../worker/worker.ts';
import { WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import {
  type CancelReservationInput,
  type ConfirmSaleInput,
  type ReservationInput,
  type ReservationState,
} from '../../contract/schemas.ts';
import { cancelReservation, confirmSale, extendHold, getState } from '../../contract/messages.ts';
import { DAY_MS } from '../../contract/defaults.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import { distanceMeters } from '../../activities/geo.ts';
import { freePorts } from '../../activities/index.ts';
import {
  SIM_API_KEY,
  eventually,
  reservablePoints,
  setFaults,
  startWorld,
  workflowBundle,
  type World,
} from '../support/world.ts';

const TASK_QUEUE = 'hold-tests';

describe('reservation hold (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;
  let points: Awaited<ReturnType<typeof reservablePoints>>;

  before(async () => {
    [env, world] = await Promise.all([createTimeSkippingEnv(), startWorld()]);
    worker = await createReservationWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      clients: world.clients,
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
    points = await reservablePoints(world.ozmap, 12);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await world?.close();
    await env?.teardown();
  });

  let nextPoint = 0;
  /** Starts a reservation on a box of its own; with `signal`, the signal is delivered before the first step. */
  const start = async (
    overrides: Partial<ReservationInput> = {},
    signal?: { confirm: ConfirmSaleInput } | { cancel: CancelReservationInput },
  ): Promise<WorkflowHandle> => {
    const point = points[nextPoint++]!;
    const viabilityId = `T-${randomUUID().slice(0, 8)}`;
    const input: ReservationInput = {
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: point.lat, lng: point.lng },
      ...overrides,
    };
    const options = { taskQueue: TASK_QUEUE, workflowId: workflowIdFor(viabilityId), args: [input] };
    if (!signal) return env.client.workflow.start(WORKFLOW_TYPE, options);
    return 'confirm' in signal
      ? env.client.workflow.signalWithStart(WORKFLOW_TYPE, {
          ...options,
          signal: confirmSale,
          signalArgs: [signal.confirm],
        })
      : env.client.workflow.signalWithStart(WORKFLOW_TYPE, {
          ...options,
          signal: cancelReservation,
          signalArgs: [signal.cancel],
        });
  };
  // Polling a query does not unlock time skipping: the server's clock stands still until we sleep or await a result.
  const reserved = (handle: WorkflowHandle) =>
    eventually(async () => {
      const state = await handle.query(getState);
      assert.equal(state.status, 'RESERVED', state.notice);
      return state;
    });
  const portOccupant = async (state: ReservationState) => {
    const splitter = await world.ozmap.getSplitter(state.reservation!.splitterId);
    return splitter!.output[state.reservation!.port - 1];
  };

  it('expires exactly when the hold ends and frees the port', async () => {
    const handle = await start({ holdDays: 30 });
    const state = await reserved(handle);
    const r = state.reservation!;
    assert.equal(Date.parse(r.expiresAt) - Date.parse(r.reservedAt), 30 * DAY_MS);
    assert.notEqual(await portOccupant(state), null, 'the reserved port is occupied in OZmap');
    const client = await world.ozmap.getClient(r.clientId);
    assert.equal(client?.implanted, false);

    await env.sleep(30 * DAY_MS - 60_000); // one minute before the end
    assert.equal((await handle.query(getState)).status, 'RESERVED');
    assert.notEqual(await portOccupant(state), null);

    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'EXPIRED');
    const endedAt = Date.parse(final.outcome!.at);
    assert.ok(
      endedAt >= Date.parse(r.expiresAt) && endedAt - Date.parse(r.expiresAt) < 60_000,
      `ended at ${final.outcome!.at}, hold ended ${r.expiresAt}`,
    );
    assert.equal(await portOccupant(state), null, 'the port is free again');
    assert.equal(await world.ozmap.getProperty(r.propertyId), null);
    assert.equal(await world.ozmap.getClient(r.clientId), null);
  });

  it('an extended hold expires at its new end, not the old one', async () => {
    const handle = await start({ holdDays: 30 });
    const r = (await reserved(handle)).reservation!;
    await env.sleep(20 * DAY_MS);
    const extended = await handle.executeUpdate(extendHold, { args: [{ days: 10 }] });
    assert.equal(Date.parse(extended.reservation!.expiresAt) - Date.parse(r.reservedAt), 40 * DAY_MS);

    await env.sleep(20 * DAY_MS - 60_000); // a minute before the new end, ten days after the old one
    assert.equal((await handle.query(getState)).status, 'RESERVED', 'still held after the old end');
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'EXPIRED');
    const endedAt = Date.parse(final.outcome!.at);
    const newEnd = Date.parse(extended.reservation!.expiresAt);
    assert.ok(endedAt >= newEnd && endedAt - newEnd < 60_000, `ended at ${final.outcome!.at}, hold ended ${newEnd}`);
    assert.equal(await portOccupant(final), null, 'the port is free again');
  });

  it('confirmSale on day 29 ends INSTALLED with nothing released', async () => {
    const handle = await start();
    const state = await reserved(handle);
    await env.sleep(29 * DAY_MS);
    await handle.signal(confirmSale, { note: 'instalado' });
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'INSTALLED');
    assert.match(final.outcome!.reason, /instalado/);
    assert.ok(
      Date.parse(final.outcome!.at) < Date.parse(state.reservation!.expiresAt),
      'confirmed at once, not at the end of the hold',
    );
    assert.equal((await world.ozmap.getClient(state.reservation!.clientId))?.implanted, true);
    assert.ok(await world.ozmap.getProperty(state.reservation!.propertyId));
    assert.notEqual(await portOccupant(state), null);
  });

  it('a client implanted in OZmap by someone else ends INSTALLED and is not deleted', async () => {
    const handle = await start({ holdDays: 10 });
    const state = await reserved(handle);
    await env.sleep(5 * DAY_MS);
    await world.ozmap.setClientImplanted(state.reservation!.clientId);
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'INSTALLED');
    assert.match(final.outcome!.reason, /already implanted/);
    assert.ok(await world.ozmap.getProperty(state.reservation!.propertyId), 'the property is still there');
    assert.notEqual(await portOccupant(state), null);
  });

  it('honours a holdDays override', async () => {
    const startedAt = await env.currentTimeMs();
    const handle = await start({ holdDays: 2 });
    const state = await reserved(handle);
    assert.equal(state.holdDays, 2);
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'EXPIRED');
    const elapsed = Date.parse(final.outcome!.at) - startedAt;
    assert.ok(elapsed >= 2 * DAY_MS && elapsed < 2 * DAY_MS + 60_000, `ended after ${elapsed} ms`);
  });

  it('cancelReservation releases the port at once', async () => {
    const handle = await start();
    const state = await reserved(handle);
    await handle.signal(cancelReservation, { reason: 'cliente desistiu' });
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'CANCELLED');
    assert.match(final.outcome!.reason, /cliente desistiu/);
    assert.ok(Date.parse(final.outcome!.at) - Date.parse(state.reservation!.reservedAt) < 60_000);
    assert.equal(await portOccupant(state), null);
  });

  it('a cancellation of the workflow itself still releases the port', async () => {
    const handle = await start();
    const state = await reserved(handle);
    await handle.cancel();
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'CANCELLED');
    assert.equal(await portOccupant(state), null);
  });

  it('a confirmSale sent with the start is applied as soon as the port is reserved', async () => {
    const handle = await start({}, { confirm: {} });
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'INSTALLED');
    assert.equal((await world.ozmap.getClient(final.reservation!.clientId))?.implanted, true);
  });

  it('a cancel sent with the start reserves nothing', async () => {
    const handle = await start({}, { cancel: { reason: 'engano' } });
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'CANCELLED');
    assert.equal(final.reservation, undefined);
    assert.equal(await world.ozmap.findPropertyByExternalId(externalIdFor(final.viabilityId)), null);
  });

  /** A free drop-splitter port at least `meters` from `from`: outside any radius a reservation there uses. */
  const freePortAway = async (from: { lat: number; lng: number }, meters: number) => {
    const boxes = (await world.ozmap.findBoxesNear(from, 3000)).filter(
      (b) => !b.draft && distanceMeters(from, b) >= meters,
    );
    const splitter = (await world.ozmap.findDropSplitters(boxes.map((b) => b.id))).find((s) => freePorts(s).length);
    assert.ok(splitter, `a free port ${meters} m away`);
    return { box: splitter.boxId, connector: splitter.id, port: freePorts(splitter)[0]! };
  };

  it('a retry never takes a planted record for the reservation: it reserves its own and says so in a notice', async () => {
    const viabilityId = `T-${randomUUID().slice(0, 8)}`;
    const point = points[nextPoint]!; // where start() aims this reservation
    // Planted ahead (viability ids are sequential): the marker, someone else's implanted client, a box 600 m away.
    const planted = await world.ozmap.createProperty({
      ...(await freePortAway(point, 600)),
      auto_connect: false,
      force: false,
      coords: [point.lng, point.lat],
      address: 'Rua Plantada, 1',
      observation: '',
      external_id: externalIdFor(viabilityId),
      client: { code: 'K-1', name: 'Someone Else', implanted: false, observation: '', external_id: 'crm:K-1' },
    });
    assert.ok(planted.outcome === 'created' && planted.property.client);
    const plantedId = planted.property.id;
    const plantedClient = planted.property.client.id;
    assert.ok(await world.ozmap.setClientImplanted(plantedClient));
    // The first create is applied but its answer lost: the retry looks the marker up.
    await setFaults(world, { resetRate: 1, phase: 'after', methods: ['POST'] });
    let state: ReservationState;
    let handle: WorkflowHandle;
    try {
      handle = await start({ viabilityId, customer: { code: `C-${viabilityId}`, name: 'Maria Souza' } });
      state = await reserved(handle);
    } finally {
      await setFaults(world, { resetRate: 0, phase: 'before', methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] });
    }
    assert.notEqual(state.reservation!.propertyId, plantedId, 'the planted property is not the reservation');
    assert.equal((await world.ozmap.getClient(state.reservation!.clientId))?.code, `C-${viabilityId}`);
    assert.ok(state.notice?.includes(plantedId), state.notice);

    await handle.signal(cancelReservation, { reason: 'desistiu' });
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'CANCELLED');
    assert.equal(await world.ozmap.getProperty(state.reservation!.propertyId), null, 'its own released');
    assert.equal((await world.ozmap.getProperty(plantedId))?.client?.id, plantedClient, 'the planted one untouched');
    assert.equal((await world.ozmap.getClient(plantedClient))?.implanted, true);
  });

  it("a hold whose property OZmap shows with another customer's client ends deleting neither", async () => {
    const handle = await start({ holdDays: 2 });
    const r = (await reserved(handle)).reservation!;
    // Someone replaces the reservation's client with another customer's (OZmap's "Replace a client at a port").
    const res = await fetch(new URL(`/api/v2/properties/${r.propertyId}`, world.simUrl), {
      method: 'PATCH',
      headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ client: { code: 'K-2', name: 'Another Customer', implanted: false } }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const other = ((await res.json()) as { client: { id: string } }).client.id;
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'EXPIRED');
    assert.match(final.outcome!.reason, /nothing released in OZmap/);
    assert.equal((await world.ozmap.getProperty(r.propertyId))?.client?.id, other, 'property and client kept');
    assert.ok(await world.ozmap.getClient(other));
  });

  it('manual mode without a selection ends NO_SELECTION when the selection window closes', async () => {
    const startedAt = await env.currentTimeMs();
    const handle = await start({ selection: 'manual', selectionTimeoutHours: 6 });
    await eventually(async () => assert.equal((await handle.query(getState)).status, 'AWAITING_SELECTION'));
    const waiting = await handle.query(getState);
    assert.ok(waiting.candidates.length > 0);
    assert.ok(Array.isArray(waiting.unavailableBoxes), 'new runs survey the radius (the survey-boxes patch)');
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'NO_SELECTION');
    const elapsed = Date.parse(final.outcome!.at) - startedAt;
    assert.ok(elapsed >= 6 * 3_600_000 && elapsed < 6 * 3_600_000 + 60_000, `ended after ${elapsed} ms`);
  });
});
