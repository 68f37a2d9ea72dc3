/**
 * A reservation made on the code from before the living reservation, then moved and extended on today's code (dev
 * server, real simulator): the new worker replays the old run's history, takes the updates, and the hold's timer
 * follows the extension. The old code is the workflow bundle of PRE_LIVING_COMMIT's workflows/ and contract/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ReservationsClient } from '../../client/reservations.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import { propertiesOf, reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';

/** The last commit whose workflow had no changeBox or extendHold (the contract commit that preceded them). */
const PRE_LIVING_COMMIT = '02c24889957b532800b4c8f7c6de28f3a1c411ed';
const TASK_QUEUE = 'living-upgrade';
const root = path.join(import.meta.dirname, '..', '..');
const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

/** That commit's workflow code, bundled; a clone without it (a shallow one) fails, saying how to get it. */
async function oldBundle(dir: string) {
  try {
    execFileSync('git', ['cat-file', '-e', `${PRE_LIVING_COMMIT}^{commit}`], { cwd: root, stdio: 'ignore' });
  } catch {
    throw new Error(
      `commit ${PRE_LIVING_COMMIT} (the workflow before the living reservation) is not in this clone: ` +
        'this test builds that code from git history; run it in a full clone (git fetch --unshallow)',
    );
  }
  const archive = execFileSync('git', ['archive', PRE_LIVING_COMMIT, 'workflows', 'contract'], { cwd: root });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return bundleWorkflowCode({
    workflowsPath: path.join(dir, 'workflows', 'index.ts'),
    logger: quiet,
    // Outside the clone: the old files resolve their packages from this clone's node_modules.
    webpackConfigHook: (config) => ({
      ...config,
      resolve: { ...config.resolve, modules: [path.join(root, 'node_modules'), 'node_modules'] },
    }),
  });
}

describe('a reservation from before the living reservation, moved and extended on the new code', () => {
  let dev: DevServerEnv;
  let world: World;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ozres-old-workflows-'));
    [dev, world] = await Promise.all([createDevServerEnv(), startWorld()]);
  });
  after(async () => {
    await world?.close();
    await dev?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('works: the old run takes the move and the extension, and its hold outlives the old end', async () => {
    const old = await oldBundle(dir);
    const worker = (bundle: WorkflowBundleWithSourceMap) =>
      createReservationWorker({
        connection: dev.env.nativeConnection,
        namespace: dev.namespace,
        taskQueue: TASK_QUEUE,
        clients: world.clients,
        workflowBundle: bundle,
        // No sticky cache: the new worker must replay the old history from its first event.
        tuning: { maxCachedWorkflows: 0 },
      });
    const reservations = new ReservationsClient(dev.env.client, TASK_QUEUE, {
      radiusMeters: 400,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
    const [point] = await reservablePoints(world.ozmap, 1);
    const viabilityId = `U-${randomUUID().slice(0, 8)}`;
    // Long enough for the worker swap below on a busy machine; both bundles are built before the clock starts.
    const holdSeconds = 15;
    const current = await workflowBundle();

    const oldWorker = await worker(old);
    const reserved = await oldWorker.runUntil(() =>
      reservations.reserve({
        viabilityId,
        customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
        coordinates: { lat: point!.lat, lng: point!.lng },
        holdDays: holdSeconds / 86_400,
      }),
    );
    assert.equal(reserved.status, 'RESERVED');
    assert.equal(reserved.changes, undefined);

    const newWorker = await worker(current);
    await newWorker.runUntil(async () => {
      const to = reserved.candidates.find((c) => c.boxId !== reserved.reservation!.boxId)!;
      const moved = await reservations.changeBox(viabilityId, { boxId: to.boxId });
      assert.equal(moved.reservation!.boxId, to.boxId);
      assert.equal(moved.reservation!.propertyId, reserved.reservation!.propertyId);
      const extended = await reservations.extendHold(viabilityId, { days: 1 });
      assert.equal(
        Date.parse(extended.reservation!.expiresAt) - Date.parse(reserved.reservation!.expiresAt),
        86_400_000,
      );
      // Past the old end: still held, on the new box.
      await new Promise((resolve) =>
        setTimeout(resolve, Date.parse(reserved.reservation!.expiresAt) - Date.now() + 2000),
      );
      const held = await reservations.get(viabilityId);
      assert.equal(held.status, 'RESERVED');
      assert.deepEqual(
        held.changes?.map((c) => c.kind),
        ['box', 'extension'],
      );
      const [property] = await propertiesOf(world, externalIdFor(viabilityId));
      assert.equal(property!.box, to.boxId);
      await reservations.cancel(viabilityId);
      assert.equal((await reservations.result(viabilityId)).status, 'CANCELLED');
    });
  });
});
