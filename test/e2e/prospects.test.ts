/**
 * THE acceptance test of prospects and the waitlist (docs/demand.md), on the real dev server with the worker as a real
 * process: a NO_COVERAGE with PROSPECTS=on makes exactly one OZmap prospect although the worker is killed (SIGKILL)
 * while its create is in flight (the simulator holds that POST /prospects past the kill, then applies it), and the
 * state names it. Then a box with free ports appears near the customer: a round of the waitlist's Schedule sends one
 * signed `prospect.viable` and marks the prospect viable in OZmap; a second round sends nothing more.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ensureWaitlistSchedule } from '../../client/waitlist-schedule.ts';
import { waitlistScheduleIdFor, type WaitlistCounts } from '../../contract/demand.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { addBoxNear, prospectsOf } from '../support/demand.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { signatureProblem, startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { eventually, setFaults, simGet, type World } from '../support/world.ts';

const SECRET = 'e2e-prospects-webhook-secret-01';
/** South of the seeded town: no box within any radius. */
const NOWHERE = { lat: -27.66, lng: -48.53 };

describe('prospects across a worker crash, and the waitlist (e2e)', () => {
  let stack: Stack;
  let receiver: WebhookReceiver;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'e2e-prospects-'));
  before(async () => {
    receiver = await startWebhookReceiver(SECRET);
    stack = await startStack({
      taskQueue: 'e2e-prospects',
      env: {
        ISPBOX_OZMAP_DATA_DIR: dataDir,
        PROSPECTS: 'on',
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: SECRET,
      },
    });
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const lateCreatesLeft = async (world: World) =>
    (await simGet<{ lateCreates: number }>(world, '/__sim/faults')).lateCreates;

  /** Triggers the tenant's waitlist Schedule and waits for that round's counts. */
  const round = async (): Promise<WaitlistCounts> => {
    const handle = stack.client.schedule.getHandle(waitlistScheduleIdFor('default'));
    const before = (await handle.describe()).info.recentActions.length;
    await handle.trigger();
    const action = await eventually(async () => {
      const recent = (await handle.describe()).info.recentActions;
      assert.ok(recent.length > before, 'the trigger has started a round');
      return recent.at(-1)!;
    });
    const { workflowId, firstExecutionRunId } = action.action.workflow;
    return (await stack.client.workflow.getHandle(workflowId, firstExecutionRunId).result()) as WaitlistCounts;
  };

  it('one prospect across a SIGKILL mid-create; one prospect.viable once a box appears, none on the next round', async () => {
    const viabilityId = `PK-${randomUUID().slice(0, 8)}`;
    const externalId = externalIdFor(viabilityId);
    // The next POST /prospects is held 5 s, then applied: it lands after the worker that sent it is dead.
    await setFaults(stack.world, { lateCreates: 1, lateCreateMs: 5_000, lateCreateRoute: 'prospects' });
    await stack.reservations.start({
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: NOWHERE,
    });
    await eventually(async () => assert.equal(await lateCreatesLeft(stack.world), 0, 'the create is in flight'));
    await stack.worker.kill('SIGKILL');
    const replacement = stack.startWorker();
    await replacement.ready;

    // The dead worker's attempt times out (30 s) and the new one's finds the prospect the late create made.
    const state = await eventually(async () => {
      const s = await stack.reservations.get(viabilityId);
      assert.equal(s.status, 'NO_COVERAGE');
      return s;
    }, 90_000);
    const made = await prospectsOf(stack.world, externalId);
    assert.equal(made.length, 1, 'exactly one prospect with the marker');
    assert.ok(state.prospect, 'the state names the prospect');
    assert.equal(state.prospect.id, made[0]!.id);
    assert.equal(made[0]!.viable, false);

    await addBoxNear(stack.world, NOWHERE);
    const counts = await round();
    assert.equal(counts.becameViable, 1, JSON.stringify(counts));
    const delivered = await eventually(() => {
      const found = receiver.prospects.filter((d) => d.event.viabilityId === viabilityId);
      assert.equal(found.length, 1);
      return Promise.resolve(found[0]!);
    });
    // Verified as Ispbox would, with the standardwebhooks library (the receiver refuses anything else too).
    assert.equal(signatureProblem(delivered.raw, delivered.headers, SECRET), undefined);
    assert.deepEqual(receiver.rejected, []);
    assert.equal(delivered.event.type, 'prospect.viable');
    assert.deepEqual(delivered.event.prospect, state.prospect);
    assert.deepEqual(delivered.event.customer, { code: `C-${viabilityId}`, name: 'Maria Souza' });
    assert.ok(delivered.event.candidates.length >= 1);
    assert.equal((await prospectsOf(stack.world, externalId))[0]!.viable, true);

    const again = await round();
    assert.deepEqual([again.becameViable, again.checked], [0, 0], JSON.stringify(again));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(receiver.prospects.filter((d) => d.event.viabilityId === viabilityId).length, 1);
    assert.equal((await prospectsOf(stack.world, externalId)).length, 1);
  });

  it("a tenant's Schedule follows its prospects: created, unchanged, updated, paused (never deleted)", async () => {
    const settings = { tenantId: 'acme-sched', enabled: true, everyDays: 7, taskQueue: 'e2e-prospects' };
    const steps = [
      await ensureWaitlistSchedule(stack.client, settings),
      await ensureWaitlistSchedule(stack.client, settings),
      await ensureWaitlistSchedule(stack.client, { ...settings, everyDays: 3 }),
      await ensureWaitlistSchedule(stack.client, { ...settings, enabled: false }),
      await ensureWaitlistSchedule(stack.client, { ...settings, enabled: false }),
      await ensureWaitlistSchedule(stack.client, { ...settings, tenantId: 'never-on', enabled: false }),
    ];
    assert.deepEqual(steps, ['created', 'unchanged', 'updated', 'paused', 'off', 'off']);
    const described = await stack.client.schedule.getHandle(waitlistScheduleIdFor('acme-sched')).describe();
    assert.equal(described.state.paused, true);
    assert.equal(described.action.type, 'startWorkflow');
  });
});
