/**
 * Failover on the cluster: two workers share a task queue; one is killed with SIGKILL while reservations are in
 * flight (OZmap slowed down so that they are), and the other finishes every one, with exactly one OZmap client each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { externalIdFor } from '../../contract/ids.ts';
import { isSettled } from '../../contract/statuses.ts';
import type { WorkerProcess } from '../support/stack.ts';
import {
  doubleBookedPorts,
  eventually,
  propertiesOf,
  reservablePoints,
  setFaults,
  startWorld,
} from '../support/world.ts';
import type { World } from '../support/world.ts';
import { connectClient, reservationsOn, startTestWorker } from './support.ts';

const TASK_QUEUE = 'cluster-failover';

describe('failover between two workers on the cluster', () => {
  let world: World;
  let temporal: Awaited<ReturnType<typeof connectClient>>;
  const workers: WorkerProcess[] = [];
  before(async () => {
    [world, temporal] = await Promise.all([startWorld(), connectClient()]);
    workers.push(startTestWorker(world, TASK_QUEUE), startTestWorker(world, TASK_QUEUE));
    await Promise.all(workers.map((w) => w.ready));
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await temporal?.close();
    await world?.close();
  });

  it('SIGKILL of one worker: the other finishes every reservation, one client each', async () => {
    const reservations = reservationsOn(temporal.client, TASK_QUEUE);
    const points = await reservablePoints(world.ozmap, 16, 60);
    await setFaults(world, { latencyMs: 300, latencyJitterMs: 400 });
    const ids = points.map(() => `F-${randomUUID().slice(0, 8)}`);
    const t0 = Date.now();
    await Promise.all(
      ids.map((viabilityId, i) =>
        reservations.start({
          viabilityId,
          customer: { code: viabilityId, name: 'Cliente' },
          coordinates: { lat: points[i]!.lat, lng: points[i]!.lng },
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 1200));
    const inFlight = (await Promise.all(ids.map((id) => reservations.get(id)))).filter(
      (s) => !isSettled(s.status),
    ).length;
    await workers[0]!.kill('SIGKILL');
    assert.ok(inFlight > 0, 'some reservations were in flight when the worker died');
    await setFaults(world, { latencyMs: 0, latencyJitterMs: 0 });

    // The dead worker's activities are retried once their start-to-close timeout (30 s) passes.
    const states = await eventually(async () => {
      const all = await Promise.all(ids.map((id) => reservations.get(id)));
      assert.ok(
        all.every((s) => s.status === 'RESERVED'),
        all.map((s) => s.status).join(','),
      );
      return all;
    }, 120_000);
    const clients: number[] = [];
    for (const [i, id] of ids.entries()) {
      const properties = await propertiesOf(world, externalIdFor(id));
      clients.push(properties.length);
      assert.equal(properties.length, 1, `${id} has exactly one client`);
      assert.equal(properties[0]!.id, states[i]!.reservation!.propertyId);
    }
    assert.deepEqual(await doubleBookedPorts(world), []);
    console.log(
      `# ${inFlight} of ${ids.length} in flight at the kill; all ${ids.length} RESERVED by the other worker ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s after the start; clients per viability: ${[...new Set(clients)].join(',')}`,
    );
  });
});
