/**
 * Records one real history per final status (and the manual path) for the replay tests, named <tag>-<scenario>.json:
 *   npx tsx test/replay/record.ts v2
 * Runs on a private dev server with the real worker code and the simulator. Re-record only when a change is meant
 * to alter histories, and keep the old files: they are what reservations sleeping in production look like.
 *
 * With `webhook` after the tag (npx tsx test/replay/record.ts v4 webhook), the workers deliver webhooks to a receiver
 * on loopback and the files are named <tag>-webhook-<scenario>.json, with one more: a hold that sent its reminders.
 *
 * Then a release that keeps failing, on the time-skipping server (its hundred hourly rounds would take a hundred
 * hours on the dev server): <tag>-release-stuck.json is the run that continued as new, <tag>-release-resumed.json
 * the run that carried on and released the port.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createReservationWorker } from '../../worker/worker.ts';
import { createActivities } from '../../activities/index.ts';
import { HOUR_MS } from '../../contract/defaults.ts';
import { cancelReservation, waitForReservation } from '../../contract/messages.ts';
import { STUCK_ROUNDS_PER_RUN } from '../../workflows/settle.ts';
import { stuckOzmap } from '../support/stuck-ozmap.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { NO_COVERAGE_POINT } from '../../simulator/network.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { type ReservationInput } from '../../contract/schemas.ts';
import { createDevServerEnv, createTimeSkippingEnv } from '../support/temporal.ts';
import { reservablePoints, startWorld, workflowBundle } from '../support/world.ts';
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
const out = path.join(import.meta.dirname, 'histories');
const SECONDS_AS_DAYS = (s: number) => s / 86_400;
const save = (name: string, history: Parameters<typeof historyToJSON>[0]) =>
  writeFileSync(
    path.join(out, `${tag}-${prefix}${name}.json`),
    JSON.stringify(JSON.parse(historyToJSON(history)), null, 1) + '\n',
  );

const dev = await createDevServerEnv();
const world = await startWorld();
const worker = await createReservationWorker({
  connection: dev.env.nativeConnection,
  namespace: dev.namespace,
  taskQueue: TASK_QUEUE,
  clients: world.clients,
  webhooks,
  workflowBundle: await workflowBundle(),
});
const reservations = new ReservationsClient(dev.env.client, TASK_QUEUE, {
  radiusMeters: 250,
  holdDays: 30,
  selectionTimeoutHours: 24,
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
          const i = { ...base(1), holdDays: SECONDS_AS_DAYS(3) };
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
    ];
    for (const [name, run] of scenarios) {
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
}

const skipping = await createTimeSkippingEnv();
const stuckWorld = await startWorld();
try {
  const stuck = stuckOzmap(stuckWorld.clients.ozmap);
  const stuckWorker = await createReservationWorker({
    connection: skipping.nativeConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    clients: stuckWorld.clients,
    webhooks,
    workflowBundle: await workflowBundle(),
    overrides: { activities: createActivities({ ozmap: stuck.ozmap, geocoder: stuckWorld.clients.geocoder }) },
  });
  const stuckReservations = new ReservationsClient(skipping.client, TASK_QUEUE, {
    radiusMeters: 250,
    holdDays: 30,
    selectionTimeoutHours: 24,
  });
  await stuckWorker.runUntil(async () => {
    const [point] = await reservablePoints(stuckWorld.ozmap, 1);
    const viabilityId = `REC-S-${randomUUID().slice(0, 6)}`;
    await stuckReservations.reserve({
      viabilityId,
      customer: { code: 'C-REC-S', name: 'Maria Souza' },
      coordinates: { lat: point!.lat, lng: point!.lng },
      holdDays: SECONDS_AS_DAYS(3),
    });
    stuck.refuseDeletes = true;
    const handle = skipping.client.workflow.getHandle(workflowIdFor(viabilityId));
    const firstRunId = (await handle.describe()).runId;
    await skipping.sleep(2 * HOUR_MS);
    // Messages while stuck: a waiting caller is answered with RELEASING; the cancel is carried into the next run.
    await handle.executeUpdate(waitForReservation);
    await handle.signal(cancelReservation, { reason: 'desistiu' });
    await skipping.sleep(STUCK_ROUNDS_PER_RUN * HOUR_MS);
    stuck.refuseDeletes = false;
    const final = (await handle.result()) as { status: string };
    const first = await skipping.client.workflow.getHandle(handle.workflowId, firstRunId).fetchHistory();
    const last = await handle.fetchHistory();
    save('release-stuck', first);
    save('release-resumed', last);
    console.log(`${tag}-${prefix}release-stuck: continued as new, ${first.events?.length} events`);
    console.log(`${tag}-${prefix}release-resumed: ${final.status}, ${last.events?.length} events`);
    if (!webhookMode) return;
    stuck.refuseDeletes = false;
    const [again] = await reservablePoints(stuckWorld.ozmap, 1);
    const reminded = `REC-R-${randomUUID().slice(0, 6)}`;
    await stuckReservations.reserve({
      viabilityId: reminded,
      customer: { code: 'C-REC-R', name: 'Maria Souza' },
      coordinates: { lat: again!.lat, lng: again!.lng },
      holdDays: 4,
    });
    const remindedHandle = skipping.client.workflow.getHandle(workflowIdFor(reminded));
    const remindedFinal = (await remindedHandle.result()) as { status: string };
    const remindedHistory = await remindedHandle.fetchHistory();
    save('reminded', remindedHistory);
    console.log(`${tag}-${prefix}reminded: ${remindedFinal.status}, ${remindedHistory.events?.length} events`);
  });
} finally {
  await stuckWorld.close();
  await skipping.teardown();
  await receiver?.close();
}
if (receiver)
  console.log(`${receiver.events().length} webhook events acknowledged, ${receiver.rejected.length} rejected`);
