/**
 * The cluster's storage and history service fail under load: the history process is killed with SIGKILL (the
 * supervisor restarts it) while reservations are being made, and PostgreSQL is restarted while they are held.
 * Nothing is lost (every reservation ends EXPIRED, its port released), nothing doubled (one client each, no port
 * twice), and every hold still ends on time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { externalIdFor } from '../../contract/ids.ts';
import { workflowIdFor } from '../../contract/ids.ts';
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
import { bounce, clusterInfo, connectClient, persist, reservationsOn, startTestWorker } from './support.ts';
import { secondsAsDays } from '../support/short-holds.ts';

const TASK_QUEUE = 'cluster-restart';
const HOLD_SECONDS = 45;

describe('history service SIGKILL and PostgreSQL restart mid-run', () => {
  const info = clusterInfo();
  let world: World;
  let temporal: Awaited<ReturnType<typeof connectClient>>;
  let worker: WorkerProcess;
  before(async () => {
    [world, temporal] = await Promise.all([startWorld(), connectClient()]);
    worker = startTestWorker(world, TASK_QUEUE);
    await worker.ready;
  });
  after(async () => {
    await worker?.kill('SIGTERM');
    await temporal?.close();
    await world?.close();
  });

  it('loses nothing, doubles nothing, and ends every hold on time', async () => {
    const reservations = reservationsOn(temporal.client, TASK_QUEUE);
    const points = await reservablePoints(world.ozmap, 12, 60);
    await setFaults(world, { latencyMs: 200, latencyJitterMs: 300 });
    const ids = points.map(() => `R-${randomUUID().slice(0, 8)}`);
    const historyPort = Number(info.address.split(':')[1]) + 1;
    const starts = ids.map((viabilityId, i) =>
      persist(() =>
        reservations.start({
          viabilityId,
          customer: { code: viabilityId, name: 'Cliente' },
          coordinates: { lat: points[i]!.lat, lng: points[i]!.lng },
          holdDays: secondsAsDays(HOLD_SECONDS),
        }),
      ),
    );
    await Promise.all(starts.slice(0, 6));
    const history = await bounce('history', 'SIGKILL', historyPort);
    await Promise.all(starts);
    await setFaults(world, { latencyMs: 0, latencyJitterMs: 0 });

    const reserved = await eventually(async () => {
      const all = await Promise.all(ids.map((id) => persist(() => reservations.get(id))));
      assert.ok(
        all.every((s) => s.status === 'RESERVED'),
        all.map((s) => s.status).join(','),
      );
      return all;
    }, 150_000);
    for (const id of ids) assert.equal((await propertiesOf(world, externalIdFor(id))).length, 1, `${id}: one client`);
    assert.deepEqual(await doubleBookedPorts(world), []);

    const postgres = await bounce('postgres', 'SIGINT', info.postgresPort);

    const lastExpiry = Math.max(...reserved.map((s) => Date.parse(s.reservation!.expiresAt)));
    const closes = await eventually(
      async () =>
        Promise.all(
          ids.map(async (id) => {
            const d = await persist(() => temporal.client.workflow.getHandle(workflowIdFor(id)).describe());
            assert.equal(d.status.name, 'COMPLETED', `${id} is ${d.status.name}`);
            return d.closeTime!.getTime();
          }),
        ),
      Math.max(0, lastExpiry - Date.now()) + 120_000,
    );
    const lateness = reserved.map((s, i) => closes[i]! - Date.parse(s.reservation!.expiresAt));
    for (const [i, id] of ids.entries()) {
      const state = await reservations.get(id);
      assert.equal(state.status, 'EXPIRED', id);
      assert.deepEqual(await propertiesOf(world, externalIdFor(id)), [], `${id}: port released`);
      assert.ok(lateness[i]! < 30_000, `${id} ended ${lateness[i]} ms after its hold`);
    }
    assert.deepEqual(await doubleBookedPorts(world), []);
    console.log(
      `# history down ${history.downMs} ms, PostgreSQL down ${postgres.downMs} ms; ${ids.length} reservations, ` +
        `all EXPIRED and released, one client each; holds ended ${Math.min(...lateness)}-${Math.max(...lateness)} ms ` +
        'after expiresAt',
    );
  });
});
