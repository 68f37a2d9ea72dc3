/**
 * Prospects and the waitlist (docs/demand.md) on the time-skipping server with the real activities, the simulator and
 * the waitlist's store on SQLite: a NO_COVERAGE makes one prospect that the state and its webhook name; a round finds
 * the box added since and sends one signed `prospect.viable`, a second round nothing more; a prospect past its window
 * is closed and kept; a prospect OZmap will not take leaves the reservation NO_COVERAGE, saying so.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { createReservationWorker } from '../../worker/worker.ts';
import { WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { WAITLIST_WORKFLOW_TYPE, type WaitlistCounts, type WaitlistInput } from '../../contract/demand.ts';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import type { ReservationInput, ReservationState } from '../../contract/schemas.ts';
import { LazyRegistryDb } from '../../registry/database.ts';
import { ProspectStore } from '../../registry/prospects.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import { addBoxNear, prospectsOf } from '../support/demand.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { eventually, startWorld, workflowBundle, type World } from '../support/world.ts';

const TASK_QUEUE = 'prospect-tests';
const BROKEN_QUEUE = 'prospect-tests-broken';
const SECRET = 'test-webhook-secret-0123456789';
const PROSPECTS = { enabled: true, tags: ['65a51e404781eddbffb39d01'], everyDays: 7, forDays: 180 };

describe('prospects and the waitlist (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let world: World;
  let receiver: WebhookReceiver;
  let workers: Worker[];
  let running: Promise<unknown>;
  let store: ProspectStore;
  let db: LazyRegistryDb | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'prospects-wf-'));

  before(async () => {
    [env, world, receiver] = await Promise.all([createTimeSkippingEnv(), startWorld(), startWebhookReceiver(SECRET)]);
    db = new LazyRegistryDb({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') });
    store = new ProspectStore(db);
    const bundle = await workflowBundle();
    const common = { connection: env.nativeConnection, namespace: 'default', clients: world.clients };
    // Refused as OZmap refuses a bad prospect (a 4xx: not retried), so the test need not wait out the retries' bound.
    const failing = Object.assign(Object.create(store) as ProspectStore, {
      get: () => Promise.reject(ApplicationFailure.nonRetryable('OZmap refused the prospect: 400 code: too long')),
    });
    workers = await Promise.all([
      createReservationWorker({
        ...common,
        taskQueue: TASK_QUEUE,
        workflowBundle: bundle,
        webhooks: { url: receiver.url, secret: SECRET, reminderDays: [] },
        demand: { store, prospects: PROSPECTS },
      }),
      createReservationWorker({
        ...common,
        taskQueue: BROKEN_QUEUE,
        workflowBundle: bundle,
        demand: { store: failing, prospects: PROSPECTS },
      }),
    ]);
    running = Promise.all(workers.map((w) => w.run()));
  });
  after(async () => {
    for (const w of workers ?? []) w.shutdown();
    await running;
    await db?.close();
    await receiver?.close();
    await world?.close();
    await env?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  // South of the seeded town: nothing within any radius.
  const nowhere = (i: number) => ({ lat: -27.65 - i * 0.01, lng: -48.52 });
  const reserve = (viabilityId: string, point: { lat: number; lng: number }, taskQueue = TASK_QUEUE) => {
    const input: ReservationInput = {
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria <i>Souza</i>' },
      coordinates: point,
      radiusMeters: 150,
    };
    return env.client.workflow.execute(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(viabilityId),
      args: [input],
    }) as Promise<ReservationState>;
  };
  const round = (input: WaitlistInput = { tenantId: 'default' }) =>
    env.client.workflow.execute(WAITLIST_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: `waitlist-test-${randomUUID().slice(0, 8)}`,
      args: [input],
    }) as Promise<WaitlistCounts>;

  it('a NO_COVERAGE makes one prospect; a round after a box appears sends one prospect.viable, the next none', async () => {
    const viabilityId = `P-${randomUUID().slice(0, 8)}`;
    const point = nowhere(0);
    const final = await reserve(viabilityId, point);
    assert.equal(final.status, 'NO_COVERAGE');
    assert.ok(final.prospect, 'the state names the prospect');
    const made = await prospectsOf(world, externalIdFor(viabilityId));
    assert.equal(made.length, 1);
    assert.deepEqual(
      [made[0]!.id, made[0]!.viable, made[0]!.code, made[0]!.tags],
      [final.prospect.id, false, `C-${viabilityId}`, PROSPECTS.tags],
    );
    assert.match(made[0]!.observation ?? '', /No box with a free port within 150 m/);
    const noCoverage = await eventually(() => {
      const found = receiver.events().find((e) => e.viabilityId === viabilityId);
      assert.ok(found, 'no reservation.no_coverage webhook yet');
      return Promise.resolve(found);
    });
    assert.deepEqual(noCoverage.state.prospect, final.prospect, 'reservation.no_coverage names it');

    // A reservation that runs again (a retried start, say) would find it: one prospect whatever happens.
    const stored = await store.get('default', externalIdFor(viabilityId));
    assert.equal(stored?.status, 'open');

    const nothingYet = await round();
    assert.equal(nothingYet.becameViable, 0);
    assert.ok(nothingYet.checked >= 1);

    const { boxId } = await addBoxNear(world, point);
    const counts = await round();
    assert.equal(counts.becameViable, 1);
    assert.ok(counts.areasSearched >= 1 && counts.ozmapCalls >= 2, JSON.stringify(counts));
    const delivered = await eventually(() => {
      const found = receiver.prospects.filter((d) => d.event.viabilityId === viabilityId);
      assert.equal(found.length, 1);
      return Promise.resolve(found[0]!);
    });
    assert.deepEqual(delivered.event.prospect, final.prospect);
    assert.deepEqual(delivered.event.customer, { code: `C-${viabilityId}`, name: 'Maria <i>Souza</i>' });
    assert.equal(delivered.event.candidates[0]?.boxId, boxId);
    assert.equal(delivered.headers['webhook-id'], `prospect.viable:${externalIdFor(viabilityId)}`);
    assert.deepEqual(receiver.rejected, []);
    assert.equal((await prospectsOf(world, externalIdFor(viabilityId)))[0]!.viable, true);
    assert.equal((await store.get('default', externalIdFor(viabilityId)))?.status, 'viable');

    const again = await round();
    assert.equal(again.becameViable, 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.prospects.filter((d) => d.event.viabilityId === viabilityId).length, 1);
  });

  it('closes a prospect past its window: kept in OZmap, its observation saying so', async () => {
    const viabilityId = `Q-${randomUUID().slice(0, 8)}`;
    const externalId = externalIdFor(viabilityId);
    const point = nowhere(1);
    const made = await world.ozmap.createProspect({
      name: 'Old',
      code: 'C-old',
      address: '',
      coords: [point.lng, point.lat],
      viable: false,
      observation: 'Sem cobertura',
      tags: [],
      external_id: externalId,
    });
    await store.record({
      tenantId: 'default',
      externalId,
      prospectId: made.id,
      source: 'reservation',
      viabilityId,
      customer: { code: 'C-old', name: 'Old' },
      ...point,
      radiusMeters: 150,
      createdAt: '2026-01-01T00:00:00.000Z',
      openUntil: '2026-06-30T00:00:00.000Z',
    });
    const counts = await round();
    assert.ok(counts.closed >= 1, JSON.stringify(counts));
    const [kept] = await prospectsOf(world, externalId);
    assert.ok(kept, 'never deleted');
    assert.match(kept.observation ?? '', /^Sem cobertura\nLista de espera encerrada em /);
    assert.equal((await store.get('default', externalId))?.status, 'closed');
  });

  it('a prospect that cannot be made leaves the reservation NO_COVERAGE, saying so', async () => {
    const viabilityId = `R-${randomUUID().slice(0, 8)}`;
    const final = await reserve(viabilityId, nowhere(2), BROKEN_QUEUE);
    assert.equal(final.status, 'NO_COVERAGE');
    assert.equal(final.prospect, undefined);
    assert.match(
      final.outcome?.reason ?? '',
      /no OZmap prospect was recorded: OZmap refused the prospect: 400 code: too long/,
    );
  });
});
