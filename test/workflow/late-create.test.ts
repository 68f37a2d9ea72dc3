/**
 * A create that OZmap applies late (time-skipping server, real simulator): the first POST hangs past the worker's
 * OZmap timeout and lands after the reservation was made on another port. The workflow sweeps the viability's
 * marker again after LATE_CREATE_GRACE and keeps exactly its own reservation (Invariant 1).
 *
 * With OZmap refusing a second client on an occupied port, a late create lands only on a port that is free when it
 * lands; here that port was briefly another customer's, so the retry moved on to the next one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { pickAutomatic } from '../../workflows/reservation/decisions.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import {
  SIM_API_KEY,
  eventually,
  propertiesOf,
  reservablePoints,
  setFaults,
  startWorld,
  workflowBundle,
  type World,
} from '../support/world.ts';

const TASK_QUEUE = 'late-create-tests';
/** Longer than the worker's OZmap timeout (5 s in tests) plus the retry that reserves the next port. */
const LATE_MS = 15_000;

describe('a create that OZmap applies after the retry reserved (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;

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
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await world?.close();
    await env?.teardown();
  });

  it('ends with one client for the viability, the one in the state', { timeout: 180_000 }, async () => {
    const [point] = await reservablePoints(world.ozmap, 1);
    const at = { lat: point!.lat, lng: point!.lng };
    // The port the workflow will pick, as it picks it.
    const survey = await createActivities(world.clients).surveyBoxes({ ...at, radiusMeters: 250 });
    const first = pickAutomatic(survey.candidates)!;
    const viabilityId = `LC-${randomUUID().slice(0, 8)}`;
    const reservations = new ReservationsClient(env.client, TASK_QUEUE, {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });

    await setFaults(world, { lateCreates: 1, lateCreateMs: LATE_MS });
    await reservations.start({ viabilityId, customer: { code: `C-${viabilityId}`, name: 'Maria' }, coordinates: at });
    await eventually(async () => assert.equal((await faults(world)).lateCreates, 0, 'the first POST is held'));
    // Another salesperson takes that port while the first POST hangs: the retry finds it taken and moves on.
    const other = await world.ozmap.createProperty({
      project: first.projectId,
      box: first.boxId,
      connector: first.splitterId,
      port: first.port,
      auto_connect: false,
      force: false,
      coords: [at.lng, at.lat],
      address: 'Rua Vizinha, 1',
      observation: 'another reservation',
      external_id: `other:${viabilityId}`,
      client: { code: `O-${viabilityId}`, name: 'Outro', implanted: false, observation: '', external_id: 'other' },
    });
    assert.equal(other.outcome, 'created');
    const reserved = await eventually(async () => {
      const state = await reservations.get(viabilityId);
      assert.equal(state.status, 'RESERVED');
      return state.reservation!;
    }, 60_000);
    assert.notEqual(`${reserved.splitterId}#${reserved.port}`, `${first.splitterId}#${first.port}`);
    // ... and releases it before the late create lands, which then finds the port free.
    if (other.outcome === 'created') {
      await world.ozmap.deleteProperty(other.property.id);
      await world.ozmap.deleteClient(other.property.client!.id);
    }
    const marker = externalIdFor(viabilityId);
    await eventually(
      async () => assert.equal((await propertiesOf(world, marker)).length, 2, 'the late create'),
      30_000,
    );

    await env.sleep('11 minutes'); // past LATE_CREATE_GRACE
    const left = await eventually(async () => {
      const rows = await propertiesOf(world, marker);
      assert.equal(rows.length, 1, `one client for ${viabilityId}`);
      return rows;
    });
    assert.equal(left[0]!.id, reserved.propertyId, "the workflow's reservation is the one kept");
    assert.equal(left[0]!.client?.id, reserved.clientId);

    await reservations.confirm(viabilityId);
    const handle = env.client.workflow.getHandle(workflowIdFor(viabilityId));
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'INSTALLED');
    assert.deepEqual(
      (await propertiesOf(world, marker)).map((p) => [p.id, p.client?.implanted]),
      [[reserved.propertyId, true]],
    );
  });
});

async function faults(world: World): Promise<{ lateCreates: number }> {
  const res = await fetch(new URL('/__sim/faults', world.simUrl), { headers: { authorization: SIM_API_KEY } });
  return (await res.json()) as { lateCreates: number };
}
