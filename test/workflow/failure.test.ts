/**
 * A reservation that fails for a reason retries cannot fix (OZmap refusing a create for good) must fail visibly:
 * the workflow ends Failed and every waiting update-with-start caller gets the error, instead of the run staying
 * open for ever with its update handlers waiting on a status that will never come.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { RejectedError } from '../../client/errors.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { FAILURES } from '../../contract/failures.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import { reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';

const TASK_QUEUE = 'failure-tests';

describe('a reservation that cannot be made (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    [env, world] = await Promise.all([createTimeSkippingEnv(), startWorld()]);
    const activities = {
      ...createActivities(world.clients),
      reservePort: () =>
        Promise.reject(
          ApplicationFailure.nonRetryable(
            'OZmap refused the reservation (422: project is archived)',
            FAILURES.OZmapRefused,
          ),
        ),
    };
    worker = await createReservationWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      clients: world.clients,
      workflowBundle: await workflowBundle(),
      overrides: { activities },
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await world?.close();
    await env?.teardown();
  });

  it('fails the workflow and answers the waiting update-with-start with the reason', { timeout: 60_000 }, async () => {
    const [point] = await reservablePoints(world.ozmap, 1);
    const viabilityId = `F-${randomUUID().slice(0, 8)}`;
    const reservations = new ReservationsClient(env.client, TASK_QUEUE, {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
    const input = {
      viabilityId,
      customer: { code: 'C-F', name: 'Maria Souza' },
      coordinates: { lat: point!.lat, lng: point!.lng },
    };
    await assert.rejects(reservations.reserve(input), (err: unknown) => {
      assert.ok(err instanceof RejectedError, String(err));
      assert.match(err.message, /The reservation failed: OZmap refused the reservation \(422: project is archived\)/);
      return true;
    });
    await assert.rejects(env.client.workflow.getHandle(workflowIdFor(viabilityId)).result(), WorkflowFailedError);
  });
});
