/**
 * Crash safety on the real dev server: the worker is killed with SIGKILL while reservations are in flight
 * (OZmap slowed down so that they are), and a new worker finishes every one of them with exactly one client.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { externalIdFor } from '../../contract/ids.ts';
import { isSettled } from '../../contract/statuses.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { doubleBookedPorts, eventually, propertiesOf, reservablePoints, setFaults } from '../support/world.ts';

describe('worker killed mid-flight', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  it('every reservation in flight finishes with exactly one client after SIGKILL and a restart', async () => {
    const points = await reservablePoints(stack.world.ozmap, 12, 60);
    await setFaults(stack.world, { latencyMs: 300, latencyJitterMs: 400 });
    const ids = points.map(() => `K-${randomUUID().slice(0, 8)}`);
    await Promise.all(
      ids.map((viabilityId, i) =>
        stack.reservations.start({
          viabilityId,
          customer: { code: viabilityId, name: 'Cliente' },
          coordinates: { lat: points[i]!.lat, lng: points[i]!.lng },
        }),
      ),
    );

    await new Promise((r) => setTimeout(r, 1200));
    const before = await Promise.all(ids.map((id) => stack.reservations.get(id)));
    const inFlight = before.filter((s) => !isSettled(s.status)).length;
    await stack.worker.kill('SIGKILL');
    assert.ok(inFlight > 0, 'some reservations were still in flight when the worker died');

    await setFaults(stack.world, { latencyMs: 0, latencyJitterMs: 0 });
    const replacement = stack.startWorker();
    await replacement.ready;
    // The dead worker's activities are retried once their start-to-close timeout (30 s) passes.
    const states = await eventually(async () => {
      const all = await Promise.all(ids.map((id) => stack.reservations.get(id)));
      assert.ok(
        all.every((s) => s.status === 'RESERVED'),
        all.map((s) => s.status).join(','),
      );
      return all;
    }, 120_000);
    for (const [i, id] of ids.entries()) {
      const properties = await propertiesOf(stack.world, externalIdFor(id));
      assert.equal(properties.length, 1, `${id} has exactly one client`);
      assert.equal(properties[0]!.id, states[i]!.reservation!.propertyId);
    }
    assert.deepEqual(await doubleBookedPorts(stack.world), []);
    console.log(`# ${inFlight} of ${ids.length} reservations were in flight at the kill`);
  });
});
