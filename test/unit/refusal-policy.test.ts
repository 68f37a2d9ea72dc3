/**
 * reservePort when OZmap refuses a port that reads free: it reports the refusal at once, not retried, and the
 * workflow decides (docs/architecture.md, "Failures"; the workflow's side is test/workflow/refusal.test.ts).
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

const input: ReservePortInput = {
  viabilityId: 'V-1',
  customer: { code: 'C-1', name: 'Maria' },
  address: 'Rua Bocaiúva, 2125',
  coordinates: { lat: -27.59, lng: -48.55 },
  choice: { boxId: 'b', boxName: 'CTO-1', splitterId: 's', splitterName: 'Splitter 1', port: 1 },
  firstRound: true,
  radiusMeters: 250,
};

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
  it('reports the refusal on the first attempt, not retried: the workflow decides', async () => {
    for (const attempt of [1, 2]) {
      const failure = await failureOf(attempt, { ...input, firstRound: attempt === 1 });
      assert.equal(failure.type, FAILURES.OZmapRefused);
      assert.equal(failure.nonRetryable, true);
      assert.equal(failure.message, 'OZmap refused the reservation (POST /properties answered 422: archived)');
    }
  });
});
