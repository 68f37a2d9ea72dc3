/**
 * A rolling upgrade with Worker Deployments (docs/deployment.md, "Upgrades: Worker Deployments"): reservations are made and held on a
 * v1 worker; a v2 worker starts, v2 becomes the current version (`temporal worker deployment set-current-version`),
 * v1 is stopped; then each reservation is confirmed or cancelled, and settles on v2 (AUTO_UPGRADE).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { workflowIdFor } from '../../contract/ids.ts';
import { ensureTemporalCli } from '../../scripts/temporal-tools.ts';
import type { WorkerProcess } from '../support/stack.ts';
import { eventually, reservablePoints, startWorld, type World } from '../support/world.ts';
import { clusterInfo, connectClient, reservationsOn, startTestWorker } from './support.ts';

const TASK_QUEUE = 'cluster-versioned';
const DEPLOYMENT = `ozres-test-${randomUUID().slice(0, 6)}`;

describe('rolling upgrade with Worker Deployments', () => {
  const info = clusterInfo();
  let world: World;
  let temporal: Awaited<ReturnType<typeof connectClient>>;
  let cli: string;
  const workers: WorkerProcess[] = [];
  const versioned = (buildId: string) =>
    startTestWorker(world, TASK_QUEUE, { WORKER_DEPLOYMENT_NAME: DEPLOYMENT, WORKER_BUILD_ID: buildId });
  const setCurrent = (buildId: string) =>
    eventually(() => {
      // The version exists once its worker has polled; until then the CLI refuses.
      const args = ['worker', 'deployment', 'set-current-version', '--deployment-name', DEPLOYMENT];
      const result = spawnSync(cli, [...args, '--build-id', buildId, '--yes', '--address', info.address], {
        encoding: 'utf8',
      });
      assert.equal(result.status, 0, result.stdout + result.stderr);
      return Promise.resolve();
    }, 60_000);

  before(async () => {
    [world, temporal, cli] = await Promise.all([startWorld(), connectClient(), ensureTemporalCli({ binDir: null })]);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await temporal?.close();
    await world?.close();
  });

  it('reservations held under v1 settle under v2 once v2 is current and v1 is gone', async () => {
    const reservations = reservationsOn(temporal.client, TASK_QUEUE);
    const v1 = versioned('v1');
    workers.push(v1);
    await v1.ready;
    await setCurrent('v1');
    const points = await reservablePoints(world.ozmap, 6, 100);
    const ids = points.map(() => `U-${randomUUID().slice(0, 8)}`);
    const held = await Promise.all(
      ids.map((viabilityId, i) =>
        reservations.reserve({
          viabilityId,
          customer: { code: viabilityId, name: 'Cliente' },
          coordinates: { lat: points[i]!.lat, lng: points[i]!.lng },
        }),
      ),
    );
    assert.deepEqual(
      held.map((s) => s.status),
      ids.map(() => 'RESERVED'),
    );

    const v2 = versioned('v2');
    workers.push(v2);
    await v2.ready;
    const t0 = Date.now();
    await setCurrent('v2');
    await v1.kill('SIGTERM');

    await Promise.all(
      ids.map((id, i) => (i % 2 === 0 ? reservations.confirm(id, {}) : reservations.cancel(id, { reason: 'upgrade' }))),
    );
    const finals = await eventually(async () => {
      const all = await Promise.all(ids.map((id) => reservations.get(id)));
      assert.deepEqual(
        all.map((s) => s.status),
        ids.map((_, i) => (i % 2 === 0 ? 'INSTALLED' : 'CANCELLED')),
      );
      return all;
    }, 60_000);
    const buildIds = await Promise.all(
      ids.map(async (id) => {
        const { raw } = await temporal.client.workflow.getHandle(workflowIdFor(id)).describe();
        const version = raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion;
        return version?.buildId ?? '?';
      }),
    );
    assert.deepEqual(
      buildIds,
      ids.map(() => 'v2'),
      'each reservation last ran on v2',
    );
    console.log(
      `# ${ids.length} held on v1; after set-current-version v2 and v1 stopped, all settled on v2 ` +
        `(${finals.filter((s) => s.status === 'INSTALLED').length} INSTALLED, ` +
        `${finals.filter((s) => s.status === 'CANCELLED').length} CANCELLED) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  });
});
