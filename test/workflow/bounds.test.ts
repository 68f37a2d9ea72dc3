/**
 * What a caller can grow is bounded (docs/architecture.md, "Bounds"), on the dev server with the real simulator: moves
 * stop at RESERVATION_MAX_MOVES with the reason and the history stays small, update answers leave the candidate
 * lists out, the state keeps the last CHANGES_KEPT changes, a repeated reservation request is read rather than
 * recorded, and a hold beyond RESERVATION_MAX_HOLD_DAYS (or of a fraction of a day) fails a direct start naming it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { ChangeRefusedError } from '../../client/errors.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import { CHANGES_KEPT, DEFAULT_MAX_MOVES } from '../../contract/limits.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import {
  doubleBookedPorts,
  propertiesOf,
  reservablePoints,
  startWorld,
  workflowBundle,
  type World,
} from '../support/world.ts';

const TASK_QUEUE = 'bounds-tests';
const ONE_MB = 1024 * 1024;

describe('bounds: moves, answers, changes and holds (dev server)', () => {
  let dev: DevServerEnv;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;
  let reservations: ReservationsClient;
  let points: Awaited<ReturnType<typeof reservablePoints>>;

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
    points = await reservablePoints(world.ozmap, 4, 500);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await world?.close();
    await dev?.stop();
  });

  let next = 0;
  const reserve = async (): Promise<ReservationState> => {
    const point = points[next++]!;
    const viabilityId = `B-${randomUUID().slice(0, 8)}`;
    const state = await reservations.reserve({
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: point.lat, lng: point.lng },
    });
    assert.equal(state.status, 'RESERVED', state.notice);
    return state;
  };
  const describeRun = (viabilityId: string) => dev.env.client.workflow.getHandle(workflowIdFor(viabilityId)).describe();

  it('moves up to RESERVATION_MAX_MOVES and back, then refuses naming the limit; history stays under 1 MB', async () => {
    const state = await reserve();
    const home = state.reservation!.boxId;
    const away = state.candidates.find((c) => c.boxId !== home);
    assert.ok(away, 'another box with a free port within the radius');
    for (let move = 1; move <= DEFAULT_MAX_MOVES; move++) {
      const boxId: string = move % 2 === 1 ? away.boxId : home;
      const answer = await reservations.changeBox(state.viabilityId, { boxId, reason: `troca ${move}` });
      assert.equal(answer.reservation?.boxId, boxId);
      assert.equal(answer.moves, move);
      assert.equal('candidates' in answer, false, 'the answer leaves the candidate lists out');
      assert.equal('unavailableBoxes' in answer, false);
    }
    await assert.rejects(reservations.changeBox(state.viabilityId, { boxId: away.boxId }), (err: unknown) => {
      assert.ok(err instanceof ChangeRefusedError, String(err));
      assert.match(err.message, /moved 10 time\(s\), the most RESERVATION_MAX_MOVES \(10\) allows/);
      return true;
    });
    const held = await reservations.get(state.viabilityId);
    assert.equal(held.reservation?.boxId, home, 'back where it started');
    assert.equal(held.changes?.length, CHANGES_KEPT, 'the state keeps the last changes only');
    assert.equal(held.changes?.at(-1)?.reason, `troca ${DEFAULT_MAX_MOVES}`);
    assert.ok(held.candidates.length > 0, 'getState still has the candidates');

    const { historySize, historyLength } = await describeRun(state.viabilityId);
    console.log(`history after ${DEFAULT_MAX_MOVES} moves: ${historyLength} events, ${historySize} bytes`);
    assert.ok(historySize !== undefined && historySize < ONE_MB, `history of ${historySize} bytes`);

    await reservations.cancel(state.viabilityId);
    assert.equal((await reservations.result(state.viabilityId)).status, 'CANCELLED');
    assert.deepEqual(await propertiesOf(world, externalIdFor(state.viabilityId)), [], 'the port was released');
    assert.deepEqual(await doubleBookedPorts(world), []);
  });

  it('keeps the last CHANGES_KEPT extensions in the state; each answer without candidates', async () => {
    const state = await reserve();
    let answer;
    for (let day = 1; day <= CHANGES_KEPT + 3; day++) {
      answer = await reservations.extendHold(state.viabilityId, { days: 1, reason: `dia ${day}` });
      assert.equal('candidates' in answer, false);
    }
    assert.equal(answer?.changes?.length, CHANGES_KEPT);
    assert.equal(answer?.changes?.[0]?.reason, 'dia 4', 'the oldest ones left the state');
    await reservations.confirm(state.viabilityId);
    assert.equal((await reservations.result(state.viabilityId)).status, 'INSTALLED');
  });

  it('answers a repeated reservation request by reading it: nothing more in history', async () => {
    const state = await reserve();
    const first = await describeRun(state.viabilityId);
    const again = await reservations.reserve({
      viabilityId: state.viabilityId,
      customer: { code: `C-${state.viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: state.coordinates!.lat, lng: state.coordinates!.lng },
    });
    assert.deepEqual(again.reservation, state.reservation);
    const second = await describeRun(state.viabilityId);
    assert.equal(second.historyLength, first.historyLength, 'no update was recorded');
    await reservations.cancel(state.viabilityId);
  });

  for (const [holdDays, expected] of [
    [365, /holdDays: must be at most 90 days \(RESERVATION_MAX_HOLD_DAYS\)/],
    [1e-9, /holdDays: must be a whole number of days/],
  ] as const) {
    // Bounded: a workflow that accepted the hold would hold the port, and result() would wait for it.
    it(`fails a direct start with holdDays ${holdDays} before anything, naming why`, { timeout: 30_000 }, async () => {
      const viabilityId = `B-${randomUUID().slice(0, 8)}`;
      const point = points[0]!;
      // Straight to Temporal, past the client library's own check: the workflow checks against the worker's limit.
      const handle = await dev.env.client.workflow.start(WORKFLOW_TYPE, {
        workflowId: workflowIdFor(viabilityId),
        taskQueue: TASK_QUEUE,
        args: [
          { viabilityId, customer: { code: 'C-1', name: 'Maria' }, coordinates: point, holdDays, radiusMeters: 400 },
        ],
      });
      await assert.rejects(handle.result(), (err: unknown) => {
        assert.ok(err instanceof WorkflowFailedError, String(err));
        assert.match(err.cause?.message ?? '', expected);
        return true;
      });
      assert.deepEqual(await propertiesOf(world, externalIdFor(viabilityId)), [], 'nothing was reserved');
    });
  }
});
