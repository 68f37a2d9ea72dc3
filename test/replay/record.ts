/**
 * Records one real history per final status (and the manual path) for the replay tests, named <tag>-<scenario>.json:
 *   npx tsx test/replay/record.ts v1
 * or only the scenarios whose names start with the given prefixes (a new path, without re-recording the others):
 *   npx tsx test/replay/record.ts v1 move extend
 * Runs on a private dev server with the real worker code and the simulator. Before 1.0 a behaviour change replaces
 * the generation; from 1.0 on, keep the old files: they are what reservations sleeping in production look like
 * (docs/development.md, "Changing workflow code").
 *
 * With `webhook` after the tag (npx tsx test/replay/record.ts v4 webhook [names]), the workers deliver webhooks to a
 * receiver on loopback and the files are named <tag>-webhook-<scenario>.json.
 *
 * A hold whose history grew long enough for the server to suggest continuing as new (a dev server of its own that
 * suggests it early): <tag>-hold-continued.json is the run that continued, <tag>-hold-resumed.json the one that
 * carried on and was cancelled. Then a release that keeps failing, on the time-skipping server (its hourly rounds
 * would take hours on the dev server): <tag>-release-stuck.json is the run that continued as new,
 * <tag>-release-resumed.json the run that carried on and released the port. Last, on the same server,
 * <tag>-late-create-swept.json: a first create that lands late, a retry that reserves, the sweep after the grace,
 * then a cancel. And pole mode at the simulator's river: <tag>-poles-move-installed.json, a drop along the poles,
 * a move that recomputes it, a confirm.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LazyRegistryDb } from '../../registry/database.ts';
import { ProspectStore } from '../../registry/prospects.ts';
import { saveHistory } from './history-file.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createActivities } from '../../activities/index.ts';
import { HOUR_MS } from '../../contract/defaults.ts';
import { cancelReservation, extendHold, getState, waitForReservation } from '../../contract/messages.ts';
import { SHORT_HOLD_LIMITS, secondsAsDays } from '../support/short-holds.ts';
import { stuckOzmap } from '../support/stuck-ozmap.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { NO_COVERAGE_POINT, RIVER_DEMO_POINT } from '../../simulator/network.ts';
import { DEFAULT_POLE_MAX_DROP_METERS } from '../../contract/limits.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { type ReservationInput } from '../../contract/schemas.ts';
import { createDevServerEnv, createTimeSkippingEnv } from '../support/temporal.ts';
import { eventually, reservablePoints, setFaults, startWorld, workflowBundle } from '../support/world.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

const TASK_QUEUE = 'record-histories';
const tag = process.argv[2];
if (!tag || !/^v\d+$/.test(tag)) {
  console.error(
    'Usage: npx tsx test/replay/record.ts <tag>   (e.g. v3: the workflow version these histories come from)',
  );
  process.exit(2);
}
const webhookMode = process.argv[3] === 'webhook';
const RECORD_SECRET = 'record-webhook-secret-0123456789';
const receiver = webhookMode ? await startWebhookReceiver(RECORD_SECRET) : undefined;
const webhooks = receiver && { url: receiver.url, secret: RECORD_SECRET, reminderDays: [3, 1] };
const prefix = webhookMode ? 'webhook-' : '';
const only = process.argv.slice(webhookMode ? 4 : 3);
const wanted = (name: string) => only.length === 0 || only.some((prefix) => name.startsWith(prefix));
/** The stuck release continues as new after this many hourly rounds (100 in production): a smaller file. */
const SETTLE_ROUNDS = 5;
/** The long hold's server suggests continuing as new past this many events (4,096 by default). */
const SUGGEST_AFTER_EVENTS = 60;
const save = (name: string, history: Parameters<typeof saveHistory>[1]) =>
  saveHistory(`${tag}-${prefix}${name}`, history);

const dev = await createDevServerEnv();
const world = await startWorld();
// Prospects on (docs/demand.md): the no-coverage history records its prospect step.
const demandDir = mkdtempSync(path.join(tmpdir(), 'record-demand-'));
const demandDb = new LazyRegistryDb({ kind: 'sqlite', file: path.join(demandDir, 'registry.sqlite') });
const demand = {
  store: new ProspectStore(demandDb),
  prospects: { enabled: true, tags: [], everyDays: 7, forDays: 180 },
};
const worker = await createReservationWorker({
  connection: dev.env.nativeConnection,
  namespace: dev.namespace,
  taskQueue: TASK_QUEUE,
  clients: world.clients,
  webhooks,
  demand,
  limits: SHORT_HOLD_LIMITS,
  workflowBundle: await workflowBundle(),
});
const reservations = new ReservationsClient(dev.env.client, TASK_QUEUE, {
  radiusMeters: 250,
  holdDays: 30,
  selectionTimeoutHours: 24,
  limits: SHORT_HOLD_LIMITS,
});

try {
  await worker.runUntil(async () => {
    const points = await reservablePoints(world.ozmap, 6);
    const base = (n: number): ReservationInput => ({
      viabilityId: `REC-${n}-${randomUUID().slice(0, 6)}`,
      customer: { code: `C-REC-${n}`, name: 'Maria Souza' },
      coordinates: { lat: points[n]!.lat, lng: points[n]!.lng },
    });
    const scenarios: Array<[string, () => Promise<string>]> = [
      [
        'installed',
        async () => {
          const i = base(0);
          await reservations.reserve(i);
          await reservations.confirm(i.viabilityId, { note: 'instalado' });
          return i.viabilityId;
        },
      ],
      [
        'expired',
        async () => {
          const i = { ...base(1), holdDays: secondsAsDays(3) };
          await reservations.reserve(i);
          return i.viabilityId;
        },
      ],
      [
        'cancelled',
        async () => {
          const i = base(2);
          await reservations.reserve(i);
          await reservations.cancel(i.viabilityId, { reason: 'desistiu' });
          return i.viabilityId;
        },
      ],
      [
        'no-coverage',
        async () => {
          const i = { ...base(3), coordinates: NO_COVERAGE_POINT };
          await reservations.reserve(i);
          return i.viabilityId;
        },
      ],
      [
        'address-not-found',
        async () => {
          const { coordinates: _, ...i } = { ...base(4), address: 'Rua Que Não Existe, 1, Florianópolis' };
          await reservations.reserve(i);
          return i.viabilityId;
        },
      ],
      [
        'no-selection',
        async () => {
          const i = { ...base(5), selection: 'manual' as const, selectionTimeoutHours: 2 / 3600 };
          await reservations.reserve(i);
          return i.viabilityId;
        },
      ],
      [
        'manual-installed',
        async () => {
          const { coordinates: _, ...i } = {
            ...base(0),
            viabilityId: `REC-M-${randomUUID().slice(0, 6)}`,
            address: 'Rua Bocaiúva, 2125, Florianópolis - SC',
            selection: 'manual' as const,
          };
          const waiting = await reservations.reserve(i);
          const box = waiting.candidates.at(-1)!;
          await reservations.select(i.viabilityId, { boxId: box.boxId });
          await reservations.confirm(i.viabilityId);
          return i.viabilityId;
        },
      ],
      [
        // A living reservation: moved to another box (one refused, the port taken meanwhile), then confirmed.
        'move-installed',
        async () => {
          const i = { ...base(0), viabilityId: `REC-MV-${randomUUID().slice(0, 6)}`, radiusMeters: 400 };
          const held = await reservations.reserve(i);
          const to = held.candidates.find((c) => c.boxId !== held.reservation!.boxId)!;
          await reservations.changeBox(i.viabilityId, { boxId: to.boxId, reason: 'poste mais perto' });
          const next = to.splitters[0]!;
          await reservations
            .changeBox(i.viabilityId, { boxId: to.boxId, splitterId: next.splitterId, port: 999 })
            .catch(() => undefined); // refused by the handler's fresh search: recorded as a failed update
          await reservations.confirm(i.viabilityId, { note: 'instalado' });
          return i.viabilityId;
        },
      ],
      [
        // Extended twice, the third refused beyond RESERVATION_MAX_HOLD_DAYS, then cancelled.
        'extend-cancelled',
        async () => {
          const i = { ...base(2), viabilityId: `REC-EX-${randomUUID().slice(0, 6)}` };
          await reservations.reserve(i);
          await reservations.extendHold(i.viabilityId, { days: 30, reason: 'obra atrasada' });
          await reservations.extendHold(i.viabilityId, { days: 30 });
          await reservations.extendHold(i.viabilityId, { days: 1 }).catch(() => undefined);
          await reservations.cancel(i.viabilityId, { reason: 'desistiu' });
          return i.viabilityId;
        },
      ],
    ];
    for (const [name, run] of scenarios.filter(([name]) => wanted(name))) {
      const viabilityId = await run();
      const handle = dev.env.client.workflow.getHandle(workflowIdFor(viabilityId));
      const final = (await handle.result()) as { status: string };
      const history = await handle.fetchHistory();
      save(name, history);
      console.log(`${tag}-${prefix}${name}: ${final.status}, ${history.events?.length} events`);
    }
  });
} finally {
  await world.close();
  await dev.stop();
  await demandDb.close();
  rmSync(demandDir, { recursive: true, force: true });
}

if (wanted('hold')) {
  // A long hold: extended until the server suggests a fresh run, continued as new, then cancelled in the new run.
  const eager = await createDevServerEnv({
    dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': SUGGEST_AFTER_EVENTS },
  });
  const holdWorld = await startWorld();
  try {
    const holdWorker = await createReservationWorker({
      connection: eager.env.nativeConnection,
      namespace: eager.namespace,
      taskQueue: TASK_QUEUE,
      clients: holdWorld.clients,
      webhooks,
      workflowBundle: await workflowBundle(),
    });
    const holdReservations = new ReservationsClient(eager.env.client, TASK_QUEUE, {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
    await holdWorker.runUntil(async () => {
      const [point] = await reservablePoints(holdWorld.ozmap, 1);
      const viabilityId = `REC-H-${randomUUID().slice(0, 6)}`;
      await holdReservations.reserve({
        viabilityId,
        customer: { code: 'C-REC-H', name: 'Maria Souza' },
        coordinates: { lat: point!.lat, lng: point!.lng },
      });
      const handle = eager.env.client.workflow.getHandle(workflowIdFor(viabilityId));
      const firstRunId = (await handle.describe()).runId;
      for (let day = 1; day <= 20; day++) await holdReservations.extendHold(viabilityId, { days: 1 });
      await eventually(async () => assert.notEqual((await handle.describe()).runId, firstRunId));
      await holdReservations.cancel(viabilityId, { reason: 'desistiu' });
      const final = (await handle.result()) as { status: string };
      const first = await eager.env.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
      const last = await handle.fetchHistory();
      save('hold-continued', first);
      save('hold-resumed', last);
      console.log(`${tag}-${prefix}hold-continued: continued as new, ${first.events?.length} events`);
      console.log(`${tag}-${prefix}hold-resumed: ${final.status}, ${last.events?.length} events`);
    });
  } finally {
    await holdWorld.close();
    await eager.stop();
  }
}

if (wanted('poles')) {
  // Pole mode (docs/poles.md) at the simulator's river: reserved with its drop along the poles, moved to the next
  // box a drop reaches (the drop recomputed), then confirmed.
  const poleDev = await createDevServerEnv();
  const poleWorld = await startWorld();
  try {
    const poleWorker = await createReservationWorker({
      connection: poleDev.env.nativeConnection,
      namespace: poleDev.namespace,
      taskQueue: TASK_QUEUE,
      clients: poleWorld.clients,
      webhooks,
      viability: { mode: 'poles', fallbackMaxDropMeters: DEFAULT_POLE_MAX_DROP_METERS },
      workflowBundle: await workflowBundle(),
    });
    const poleReservations = new ReservationsClient(poleDev.env.client, TASK_QUEUE, {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
    await poleWorker.runUntil(async () => {
      const viabilityId = `REC-P-${randomUUID().slice(0, 6)}`;
      const held = await poleReservations.reserve({
        viabilityId,
        customer: { code: 'C-REC-P', name: 'Maria Souza' },
        coordinates: RIVER_DEMO_POINT,
      });
      assert.ok(held.reservation?.drop, 'reserved with a drop along the poles');
      const to = held.candidates.find((c) => c.boxId !== held.reservation!.boxId)!;
      await poleReservations.changeBox(viabilityId, { boxId: to.boxId, reason: 'drop mais curto' });
      await poleReservations.confirm(viabilityId, { note: 'instalado' });
      const handle = poleDev.env.client.workflow.getHandle(workflowIdFor(viabilityId));
      const final = (await handle.result()) as { status: string };
      const history = await handle.fetchHistory();
      save('poles-move-installed', history);
      console.log(`${tag}-${prefix}poles-move-installed: ${final.status}, ${history.events?.length} events`);
    });
  } finally {
    await poleWorld.close();
    await poleDev.stop();
  }
}

if (wanted('extend-expired')) {
  // On a time-skipping server of its own: after this scenario's update, the shared server was seen to skip time no
  // more (the next scenario's sleep never returned), though each scenario passes alone.
  const extendSkipping = await createTimeSkippingEnv();
  const extendWorld = await startWorld();
  try {
    // An extended hold that ends at its new end (the timer started again on the extension).
    const extendWorker = await createReservationWorker({
      connection: extendSkipping.nativeConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      clients: extendWorld.clients,
      webhooks,
      workflowBundle: await workflowBundle(),
    });
    await extendWorker.runUntil(async () => {
      const [point] = await reservablePoints(extendWorld.ozmap, 1);
      const viabilityId = `REC-EE-${randomUUID().slice(0, 6)}`;
      const handle = await extendSkipping.client.workflow.start('ReservationWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: workflowIdFor(viabilityId),
        args: [
          {
            viabilityId,
            customer: { code: 'C-REC-EE', name: 'Maria Souza' },
            coordinates: { lat: point!.lat, lng: point!.lng },
            radiusMeters: 250,
            selection: 'auto',
            holdDays: 30,
            selectionTimeoutHours: 24,
          },
        ],
      });
      for (;;) {
        if ((await handle.query(getState)).status === 'RESERVED') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await extendSkipping.sleep(20 * 24 * HOUR_MS);
      await handle.executeUpdate(extendHold, { args: [{ days: 10 }] });
      const final = (await handle.result()) as { status: string };
      const history = await handle.fetchHistory();
      save('extend-expired', history);
      console.log(`${tag}-${prefix}extend-expired: ${final.status}, ${history.events?.length} events`);
    });
  } finally {
    await extendWorld.close();
    await extendSkipping.teardown();
  }
}

const skipping = await createTimeSkippingEnv();
const stuckWorld = await startWorld();
try {
  if (wanted('release')) {
    const stuck = stuckOzmap(stuckWorld.clients.ozmap);
    const stuckWorker = await createReservationWorker({
      connection: skipping.nativeConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      clients: stuckWorld.clients,
      webhooks,
      workflowBundle: await workflowBundle(),
      limits: { ...SHORT_HOLD_LIMITS, settleRoundsPerRun: SETTLE_ROUNDS },
      overrides: { activities: createActivities({ ozmap: stuck.ozmap, geocoder: stuckWorld.clients.geocoder }) },
    });
    const stuckReservations = new ReservationsClient(skipping.client, TASK_QUEUE, {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
      limits: SHORT_HOLD_LIMITS,
    });
    await stuckWorker.runUntil(async () => {
      const [point] = await reservablePoints(stuckWorld.ozmap, 1);
      const viabilityId = `REC-S-${randomUUID().slice(0, 6)}`;
      await stuckReservations.reserve({
        viabilityId,
        customer: { code: 'C-REC-S', name: 'Maria Souza' },
        coordinates: { lat: point!.lat, lng: point!.lng },
        holdDays: secondsAsDays(3),
      });
      stuck.refuseDeletes = true;
      const handle = skipping.client.workflow.getHandle(workflowIdFor(viabilityId));
      const firstRunId = (await handle.describe()).runId;
      await skipping.sleep(2 * HOUR_MS);
      // Messages while stuck: a waiting caller is answered with RELEASING; the cancel is carried into the next run.
      await handle.executeUpdate(waitForReservation);
      await handle.signal(cancelReservation, { reason: 'desistiu' });
      await skipping.sleep(SETTLE_ROUNDS * HOUR_MS);
      stuck.refuseDeletes = false;
      const final = (await handle.result()) as { status: string };
      const first = await skipping.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
      const last = await handle.fetchHistory();
      save('release-stuck', first);
      save('release-resumed', last);
      console.log(`${tag}-${prefix}release-stuck: continued as new, ${first.events?.length} events`);
      console.log(`${tag}-${prefix}release-resumed: ${final.status}, ${last.events?.length} events`);
    });
  }
} finally {
  await stuckWorld.close();
}

const lateWorld = await startWorld();
try {
  const lateWorker = await createReservationWorker({
    connection: skipping.nativeConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    clients: lateWorld.clients,
    webhooks,
    workflowBundle: await workflowBundle(),
  });
  const lateReservations = new ReservationsClient(skipping.client, TASK_QUEUE, {
    radiusMeters: 250,
    holdDays: 30,
    selectionTimeoutHours: 24,
  });
  await lateWorker.runUntil(async () => {
    const [point] = await reservablePoints(lateWorld.ozmap, 1);
    const viabilityId = `REC-L-${randomUUID().slice(0, 6)}`;
    // Held past the worker's 5 s OZmap timeout: the retry looks up, creates, and the reserve is uncertain.
    await setFaults(lateWorld, { lateCreates: 1, lateCreateMs: 7000 });
    await lateReservations.reserve({
      viabilityId,
      customer: { code: 'C-REC-L', name: 'Maria Souza' },
      coordinates: { lat: point!.lat, lng: point!.lng },
    });
    const handle = skipping.client.workflow.getHandle(workflowIdFor(viabilityId));
    await skipping.sleep('11 minutes');
    await eventually(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const sweep = events.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sweepDuplicates',
      );
      assert.ok(
        sweep && events.some((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.equals(sweep.eventId!)),
        'sweepDuplicates not completed yet',
      );
    });
    await handle.signal(cancelReservation, { reason: 'desistiu' });
    const final = (await handle.result()) as { status: string };
    const history = await handle.fetchHistory();
    save('late-create-swept', history);
    console.log(`${tag}-${prefix}late-create-swept: ${final.status}, ${history.events?.length} events`);
  });
} finally {
  await lateWorld.close();
  await skipping.teardown();
  await receiver?.close();
}
if (receiver)
  console.log(`${receiver.events().length} webhook events acknowledged, ${receiver.rejected.length} rejected`);
