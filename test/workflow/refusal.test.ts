/**
 * OZmap refusing a port that reads free (time-skipping server, real simulator): the workflow, not the activity's
 * attempt count, tries that reservation REFUSAL_RETRIES more times; a refusal that lasts fails the run visibly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createActivities, type ReservePortInput } from '../../activities/index.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { FAILURES } from '../../contract/failures.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { cancelReservation, getState } from '../../contract/messages.ts';
import type { ReservationInput, ReservationState } from '../../contract/schemas.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import { eventually, reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';

const TASK_QUEUE = 'refusal-tests';

describe('a reservation OZmap refuses while the port reads free (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;
  let points: Awaited<ReturnType<typeof reservablePoints>>;
  /** How many reservePort calls to refuse, and what each call was given. */
  let refuse = 0;
  let calls: ReservePortInput[] = [];

  before(async () => {
    [env, world] = await Promise.all([createTimeSkippingEnv(), startWorld()]);
    const real = createActivities(world.clients);
    const activities = {
      ...real,
      reservePort: (input: ReservePortInput) => {
        calls.push(input);
        if (calls.length <= refuse)
          return Promise.reject(
            ApplicationFailure.nonRetryable('OZmap refused the reservation (422: try later)', FAILURES.OZmapRefused),
          );
        return real.reservePort(input);
      },
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
    points = await reservablePoints(world.ozmap, 2);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await world?.close();
    await env?.teardown();
  });

  const start = (n: number) => {
    const viabilityId = `RF-${randomUUID().slice(0, 8)}`;
    const input: ReservationInput = {
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: points[n]!.lat, lng: points[n]!.lng },
    };
    return env.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: workflowIdFor(viabilityId),
      args: [input],
    });
  };

  it('two refusals, then the port is reserved on the third try', { timeout: 60_000 }, async () => {
    refuse = 2;
    calls = [];
    const handle = await start(0);
    const state = await eventually(async () => {
      const s = await handle.query(getState);
      assert.equal(s.status, 'RESERVED', s.notice);
      return s;
    });
    assert.equal(calls.length, 3);
    assert.deepEqual(
      calls.map((c) => c.firstRound),
      [true, false, false],
      'only the first try may skip the look-up',
    );
    assert.ok(
      calls.every((c) => c.choice.port === calls[0]!.choice.port),
      'the same port each time',
    );
    assert.equal(state.reservation?.port, calls[0]!.choice.port);
    await handle.signal(cancelReservation, {});
    assert.equal(((await handle.result()) as ReservationState).status, 'CANCELLED');
  });

  it('a refusal that lasts fails the run after three tries, naming it', { timeout: 60_000 }, async () => {
    refuse = Infinity;
    calls = [];
    const handle = await start(1);
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      const cause = err.cause?.cause;
      assert.ok(cause instanceof ApplicationFailure && cause.type === FAILURES.OZmapRefused, String(cause));
      assert.match(cause.message, /OZmap refused the reservation \(422: try later\)/);
      return true;
    });
    assert.equal(calls.length, 3);
  });
});
