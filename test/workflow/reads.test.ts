/**
 * Reading a reservation without waking a worker (docs/architecture.md, "Reading a reservation"): from the moment its
 * port is held, the state the client library reads is the workflow's memo, answered by Temporal's server. It is what
 * a query answers after each change, and still there, whole, with no worker running at all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { ReservationsClient } from '../../client/reservations.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { STATE_MEMO_KEY } from '../../contract/memo.ts';
import { getState } from '../../contract/messages.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import { reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';

const TASK_QUEUE = 'reads-tests';

describe('reading a held reservation from its memo (dev server)', () => {
  let dev: DevServerEnv;
  let world: World;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let reservations: ReservationsClient;

  before(async () => {
    [dev, world] = await Promise.all([createDevServerEnv(), startWorld()]);
    worker = await createReservationWorker({
      connection: dev.env.nativeConnection,
      namespace: dev.namespace,
      taskQueue: TASK_QUEUE,
      clients: world.clients,
      workflowBundle: await workflowBundle(),
    });
    running = worker.run();
    reservations = new ReservationsClient(dev.env.client, TASK_QUEUE, {
      radiusMeters: 400,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await world?.close();
    await dev?.stop();
  });

  it('answers what a query answers after each change, and the same once no worker runs', async () => {
    const [point] = await reservablePoints(world.ozmap, 1, 500);
    const viabilityId = `R-${randomUUID().slice(0, 8)}`;
    const handle = dev.env.client.workflow.getHandle(workflowIdFor(viabilityId));
    const memoOf = async () => (await handle.describe()).memo?.[STATE_MEMO_KEY] as ReservationState | undefined;

    const reserved = await reservations.reserve({
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: point!.lat, lng: point!.lng },
    });
    assert.equal(reserved.status, 'RESERVED', reserved.notice);
    assert.deepEqual(await memoOf(), reserved, 'the memo holds the state the answer carried');
    assert.deepEqual(await reservations.get(viabilityId), await handle.query(getState));
    assert.ok(reserved.candidates.length <= 2, 'the chosen box and the nearest other');
    assert.equal(reserved.unavailableBoxes, undefined, 'no unavailable boxes once a port is held');

    const other = reserved.candidates.find((c) => c.boxId !== reserved.reservation!.boxId);
    assert.ok(other, 'another box with a free port within the radius');
    await reservations.changeBox(viabilityId, { boxId: other.boxId, reason: 'mais perto do poste' });
    await reservations.extendHold(viabilityId, { days: 5 });
    const queried = await handle.query(getState);
    assert.equal(queried.reservation?.boxId, other.boxId);
    assert.equal(queried.changes?.length, 2);
    assert.deepEqual(await reservations.get(viabilityId), queried, 'the move and the extension are in the memo');

    // No worker at all: a query would wait for one; the memo still answers, whole.
    worker!.shutdown();
    await running;
    worker = running = undefined;
    assert.deepEqual(await reservations.get(viabilityId), queried);
  });
});
