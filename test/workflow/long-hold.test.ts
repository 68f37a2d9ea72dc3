/**
 * A hold whose history grows long continues as new when Temporal suggests it (docs/architecture.md, "Bounds"): on a
 * dev server that suggests it early, a reservation extended many times goes on in a fresh run with its state, its
 * hold's end and its moves, and still confirms or releases what it holds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { ReservationsClient } from '../../client/reservations.ts';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import type { BriefState } from '../../contract/schemas.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import { propertiesOf, reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';

const TASK_QUEUE = 'long-hold-tests';
/** Events after which the server suggests continue-as-new (4,096 by default): a reservation reaches it in a few. */
const SUGGEST_AFTER_EVENTS = 60;

describe('a long hold continues as new (dev server suggesting it early)', () => {
  let dev: DevServerEnv;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;
  let reservations: ReservationsClient;

  before(async () => {
    [dev, world] = await Promise.all([
      createDevServerEnv({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AFTER_EVENTS } }),
      startWorld(),
    ]);
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

  it('goes on in a fresh run with its state, and still settles what it holds', async () => {
    const [point] = await reservablePoints(world.ozmap, 1);
    const viabilityId = `LH-${randomUUID().slice(0, 8)}`;
    const reserved = await reservations.reserve({
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: point!.lat, lng: point!.lng },
    });
    assert.equal(reserved.status, 'RESERVED');
    const handle = dev.env.client.workflow.getHandle(workflowIdFor(viabilityId));
    const firstRun = (await handle.describe()).runId;

    let extended: BriefState = reserved;
    for (let day = 1; day <= 20; day++) extended = await reservations.extendHold(viabilityId, { days: 1 });
    // The suggestion comes with a workflow task; the hold continues as new once no change is under way.
    const deadline = Date.now() + 20_000;
    while ((await handle.describe()).runId === firstRun && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const now = await handle.describe();
    assert.notEqual(now.runId, firstRun, 'the hold continued as new');
    assert.equal(now.status.name, 'RUNNING');
    assert.ok(now.historyLength < SUGGEST_AFTER_EVENTS, `the fresh run's history (${now.historyLength} events)`);

    const state = await reservations.get(viabilityId);
    assert.equal(state.status, 'RESERVED');
    assert.deepEqual(state.reservation, extended.reservation, 'the same reservation, its end 20 days later');
    assert.deepEqual(state.changes, extended.changes);
    // Still a living reservation in the new run: it extends, and releases what it holds.
    const again = await reservations.extendHold(viabilityId, { days: 1 });
    assert.ok(Date.parse(again.reservation!.expiresAt) > Date.parse(extended.reservation!.expiresAt));
    await reservations.cancel(viabilityId, { reason: 'desistiu' });
    const final = await reservations.result(viabilityId);
    assert.equal(final.status, 'CANCELLED');
    assert.deepEqual(await propertiesOf(world, externalIdFor(viabilityId)), [], 'the port was released');
  });
});
