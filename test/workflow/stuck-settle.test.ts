/**
 * A release OZmap keeps refusing for 40 simulated days (time-skipping server, real activities, real simulator):
 * the run stays healthy and visible as RELEASING with its notice, continues as new so that no run's history grows
 * past a small bound, keeps its messages working across runs (the first action wins), and releases the port as soon
 * as OZmap answers again. The worker continues a stuck settle as new every SETTLE_ROUNDS rounds here (100 in
 * production): the same behaviour, ten times as many runs per simulated day, so the test needs a tenth of the time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, type Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { DAY_MS, WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { cancelReservation, confirmSale, getState, waitForReservation } from '../../contract/messages.ts';
import type { ReservationInput, ReservationState } from '../../contract/schemas.ts';
import { ReservationStatusKey } from '../../contract/search-attributes.ts';
import { stuckOzmap, type StuckOzmap } from '../support/stuck-ozmap.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import { eventually, reservablePoints, startWorld, workflowBundle, type World } from '../support/world.ts';

const TASK_QUEUE = 'stuck-settle-tests';
/** Hourly rounds per run before continuing as new (the worker's settleRoundsPerRun; 100 in production). */
const SETTLE_ROUNDS = 10;
/** About 11 events a round: a run of a stuck settle stays within a small bound (Temporal warns at 10,240). */
const MAX_EVENTS_PER_RUN = SETTLE_ROUNDS * 15 + 100;

/** Each failing round logs two warnings; 960 rounds of them would bury the report, so they are counted instead. */
const ROUND_WARNINGS = new Set(['Activity failed', 'releasing the port failed']);
let roundWarnings = 0;
const logger = Runtime.instance().logger;
const log = logger.log.bind(logger);
logger.log = (level, message, meta) => {
  if (level === 'WARN' && ROUND_WARNINGS.has(message)) roundWarnings++;
  else log(level, message, meta);
};

describe('a release that keeps failing (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;
  let stuck: StuckOzmap;

  before(async () => {
    [env, world] = await Promise.all([createTimeSkippingEnv(), startWorld()]);
    stuck = stuckOzmap(world.clients.ozmap);
    worker = await createReservationWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      clients: world.clients,
      workflowBundle: await workflowBundle(),
      limits: { settleRoundsPerRun: SETTLE_ROUNDS },
      overrides: { activities: createActivities({ ozmap: stuck.ozmap, geocoder: world.clients.geocoder }) },
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await world?.close();
    await env?.teardown();
  });

  it('stays RELEASING for 40 days in small runs, keeps its messages, then releases', { timeout: 600_000 }, async () => {
    const [point] = await reservablePoints(world.ozmap, 1);
    const viabilityId = `S-${randomUUID().slice(0, 8)}`;
    const input: ReservationInput = {
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: point!.lat, lng: point!.lng },
      holdDays: 1,
    };
    const handle = await env.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: workflowIdFor(viabilityId),
      args: [input],
    });
    const firstRunId = handle.firstExecutionRunId;
    const reserved = await eventually(async () => {
      const state = await handle.query(getState);
      assert.equal(state.status, 'RESERVED', state.notice);
      return state;
    });
    const { reservation } = reserved;
    stuck.refuseDeletes = true;

    // The hold ends after a day; the release then fails every hour. A cancel on day 20 is the first action and
    // wins; a confirm on day 30 comes too late and is ignored, as it would be within one run.
    const startedAt = await env.currentTimeMs();
    await skipUntil(startedAt + 20 * DAY_MS);
    await handle.signal(cancelReservation, { reason: 'desistiu' });
    await skipUntil(startedAt + 30 * DAY_MS);
    await handle.signal(confirmSale, { note: 'tarde demais' });
    await skipUntil(startedAt + 40 * DAY_MS);
    const days = ((await env.currentTimeMs()) - startedAt) / DAY_MS;

    const failing = await handle.query(getState);
    assert.equal(failing.status, 'RELEASING');
    assert.match(failing.notice ?? '', /releasing the port is failing \(.*422.*\); trying again in 1 hour/);
    assert.deepEqual(failing.reservation, reservation);
    // A caller waiting for the reservation is answered with the failing state, not held until the release ends.
    const answered = await handle.executeUpdate(waitForReservation);
    assert.equal(answered.status, 'RELEASING');
    assert.equal(answered.notice, failing.notice);
    const description = await handle.describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.equal(description.typedSearchAttributes.get(ReservationStatusKey), 'RELEASING');
    assert.ok(description.historyLength < MAX_EVENTS_PER_RUN, `current run: ${description.historyLength} events`);

    const chain = await runsOf(handle.workflowId, firstRunId);
    const longest = Math.max(...chain.map((run) => run.events));
    console.log(
      `after ${days.toFixed(1)} days: ${chain.length} runs, ${stuck.deleteAttempts} release attempts (${roundWarnings} warnings), ` +
        `events per run ${Math.min(...chain.map((run) => run.events))}-${longest}, ` +
        `current run ${description.historyLength} events`,
    );
    assert.ok(chain.length > 50, `${chain.length} runs`);
    assert.ok(longest < MAX_EVENTS_PER_RUN, `a run reached ${longest} events`);
    assert.equal(chain.at(-1)!.runId, description.runId);

    stuck.refuseDeletes = false;
    const final = (await handle.result()) as ReservationState;
    assert.equal(final.status, 'CANCELLED');
    assert.equal(final.outcome?.reason, 'Cancelled: desistiu');
    assert.equal(final.notice, undefined);
    const splitter = await world.ozmap.getSplitter(reservation!.splitterId);
    assert.equal(splitter!.output[reservation!.port - 1], null, 'the port is free again');
    assert.equal(await world.ozmap.getProperty(reservation!.propertyId), null);
    const last = await handle.fetchHistory();
    console.log(`final run: ${last.events?.length} events`);
    assert.ok((last.events?.length ?? 0) < MAX_EVENTS_PER_RUN);
  });

  /**
   * Skips time a day at a time: in one long step the test server was seen to overshoot by months (it skipped while
   * a workflow task was in flight), which would make the figures wrong, not the workflow.
   */
  async function skipUntil(at: number): Promise<void> {
    for (let now = await env.currentTimeMs(); now < at; now = await env.currentTimeMs())
      await env.sleep(Math.min(DAY_MS, at - now));
  }

  /** The runs of a workflow from its first, following each continue-as-new, with their event counts. */
  async function runsOf(workflowId: string, firstRunId: string): Promise<Array<{ runId: string; events: number }>> {
    const runs: Array<{ runId: string; events: number }> = [];
    for (let runId: string | undefined = firstRunId; runId;) {
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events: NonNullable<typeof history.events> = history.events ?? [];
      runs.push({ runId, events: events.length });
      runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    }
    return runs;
  }
});
