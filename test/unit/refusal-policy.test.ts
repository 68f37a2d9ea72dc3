/**
 * reservePort when OZmap refuses a port that reads free: with workflowRetriesRefusals (every run since the
 * refusal-retried-by-workflow patch) it reports the refusal at once and the workflow decides; without it (an activity
 * scheduled by an older run) it keeps retrying the refusal itself for its first attempts, as it always did.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, type ActivityDeps, type ReservePortInput } from '../../activities/index.ts';
import { FAILURES } from '../../contract/failures.ts';

/** An OZmap that refuses every creation with a 422 while the port reads free. */
const refusingOzmap = {
  findPropertiesByExternalId: () => Promise.resolve([]),
  createProperty: () =>
    Promise.resolve({ outcome: 'refused' as const, status: 422, message: 'POST /properties answered 422: archived' }),
  getSplitter: (id: string) =>
    Promise.resolve({
      id,
      name: 'Splitter 1',
      boxId: 'b',
      isDrop: true,
      output: [null, null],
      blocked: [false, false],
    }),
} as unknown as ActivityDeps['ozmap'];

const { reservePort } = createActivities({
  ozmap: refusingOzmap,
  geocoder: { geocode: () => Promise.resolve(null), close: () => Promise.resolve() },
});

const input = (workflowRetriesRefusals?: boolean): ReservePortInput => ({
  viabilityId: 'V-1',
  customer: { code: 'C-1', name: 'Maria' },
  address: 'Rua Bocaiúva, 2125',
  coordinates: { lat: -27.59, lng: -48.55 },
  choice: { boxId: 'b', boxName: 'CTO-1', splitterId: 's', splitterName: 'Splitter 1', port: 1 },
  ...(workflowRetriesRefusals === undefined ? {} : { workflowRetriesRefusals }),
});

async function failureOf(attempt: number, reservation: ReservePortInput): Promise<ApplicationFailure> {
  const env = new MockActivityEnvironment({ attempt });
  try {
    await env.run(reservePort, reservation);
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, String(err));
    return err;
  }
  assert.fail('expected the refusal to fail the activity');
}

describe('reservePort refused while the port reads free', () => {
  it('reports the refusal on the first attempt when the workflow retries it', async () => {
    const failure = await failureOf(1, input(true));
    assert.equal(failure.type, FAILURES.OZmapRefused);
    assert.equal(failure.nonRetryable, true);
    assert.equal(failure.message, 'OZmap refused the reservation (POST /properties answered 422: archived)');
  });

  it('for older runs keeps retrying it twice, then gives up', async () => {
    for (const attempt of [1, 2]) {
      const failure = await failureOf(attempt, input());
      assert.equal(failure.type, FAILURES.OZmapRefused);
      assert.equal(failure.nonRetryable, false, `attempt ${attempt} is retried`);
    }
    const last = await failureOf(3, input());
    assert.equal(last.nonRetryable, true);
    assert.equal(last.message, 'OZmap refused the reservation (POST /properties answered 422: archived)');
  });
});
