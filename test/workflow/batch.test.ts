/**
 * BatchFeasibilityWorkflow (docs/demand.md, "Batch feasibility: how it works") on a dev server (real time: a batch
 * waits on nothing but its pages, and the time-skipping server would skip its timeouts while the test polls), started
 * as client/batches.ts starts it (after store.create): a batch of coordinate rows across several pages and runs
 * (continue-as-new) with bad rows among them ends COMPLETED with one result per row in input order and the counts
 * adding up; a cancel stops it (the store keeps CANCELLED and what was done); retention deletes expired batches.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import {
  BATCH_WORKFLOW_TYPE,
  MAX_BATCH_ROWS,
  batchWorkflowIdFor,
  type BatchInputRow,
  type BatchWorkflowInput,
} from '../../contract/demand.ts';
import { batchRowExternalIdFor } from '../../contract/ids.ts';
import { BatchStore } from '../../registry/batches.ts';
import { ProspectStore } from '../../registry/prospects.ts';
import { migrate, openRegistryDb } from '../../registry/database.ts';
import { BATCH_RETENTION_WORKFLOW_TYPE } from '../../worker/batch-retention-schedule.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import { CENTRE, eventually, startWorld, workflowBundle, type World } from '../support/world.ts';

const TASK_QUEUE = 'batch-tests';
const dir = mkdtempSync(path.join(tmpdir(), 'batch-workflow-test-'));
const db = openRegistryDb({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') });
const store = new BatchStore(db);
const prospects = new ProspectStore(db);
let serial = 0;
/** A batch id as the API makes them: fb_ and 20 base32 characters. */
const batchId = () =>
  `fb_${String(++serial)
    .padStart(20, 'a')
    .replace(/[0189]/g, 'b')}`;

/** Points on a grid over the seeded town, with bad rows every 50th. */
function rows(n: number): BatchInputRow[] {
  return Array.from({ length: n }, (_, i): BatchInputRow => {
    if (i % 50 === 7) return { id: `r${i}`, lat: '', lng: String(CENTRE.lng) };
    if (i % 50 === 19) return { id: `r${i}`, lat: 'north', lng: String(CENTRE.lng) };
    return {
      id: `r${i}`,
      lat: (CENTRE.lat - 0.01 + ((i * 37) % 101) * 0.0002).toFixed(6),
      lng: (CENTRE.lng - 0.012 + ((i * 53) % 97) * 0.00024).toFixed(6),
    };
  });
}

async function createBatch(
  id: string,
  input: BatchInputRow[],
  expiresAt = '2099-01-01T00:00:00.000Z',
  withProspects = false,
) {
  await store.create(
    {
      id,
      tenantId: 'default',
      options: { radiusMeters: 250, prospects: withProspects },
      createdAt: new Date().toISOString(),
      expiresAt,
    },
    input,
    MAX_BATCH_ROWS,
  );
}

describe('batch feasibility workflow', () => {
  let server: DevServerEnv;
  let env: DevServerEnv['env'];
  let world: World;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    await migrate(db);
    [server, world] = await Promise.all([createDevServerEnv(), startWorld()]);
    env = server.env;
    worker = await createReservationWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      clients: world.clients,
      workflowBundle: await workflowBundle(),
      // Address rows at a pace, and pages short enough, for the cancel test to catch a batch midway.
      batches: { store, geocodeIntervalMs: 100, pageBudgetMs: 250, retentionDays: 30 },
      // `--prospects` as the worker wires it, this tenant's prospects off: no tags, the environment's window.
      demand: { store: prospects, prospects: { enabled: false, tags: [], everyDays: 7, forDays: 180 } },
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await Promise.all([server?.stop(), world?.close()]);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('works through every row, page by page and run by run, in input order; only counts in history', async () => {
    const id = batchId();
    const input = rows(1100);
    await createBatch(id, input);
    const args: [BatchWorkflowInput & { pagesPerRun: number }] = [{ tenantId: 'default', batchId: id, pagesPerRun: 1 }];
    const handle = await env.client.workflow.start(BATCH_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: batchWorkflowIdFor('default', id),
      args,
    });
    const summary = (await handle.result()) as { status: string; total: number; done: number; invalid: number };
    assert.equal(summary.status, 'COMPLETED');
    assert.equal(summary.total, 1100);
    assert.equal(summary.done, 1100);
    assert.equal(summary.invalid, 44);

    const progress = (await store.progress('default', id))!;
    assert.equal(progress.status, 'COMPLETED');
    assert.equal(progress.viable + progress.notViable + progress.addressNotFound + progress.invalid, 1100);
    assert.ok(progress.viable > 300, `viable: ${progress.viable}`);
    const expires = Date.parse(progress.expiresAt) - Date.parse(progress.finishedAt!);
    assert.equal(expires, 30 * 86_400_000, 'kept 30 days after it ended');
    const results = await store.results('default', id, 0, 2000);
    assert.deepEqual(
      results.map((r) => r.input.id),
      input.map((r) => r.id),
    );
    assert.equal(results[7]!.result!.reason, 'lat: empty');
    assert.equal(results[19]!.result!.reason, 'lat: not a number ("north")');

    // Three pages of 500 rows at most, one a run; the last run's history holds counts, never a row.
    assert.notEqual((await handle.describe()).runId, handle.firstExecutionRunId, 'continued as new');
    const history = JSON.stringify(await handle.fetchHistory());
    assert.ok(!history.includes('r1099') && history.length < 30_000, `history: ${history.length} characters`);
  });

  it('a cancel midway stops it: CANCELLED in the store, done rows kept, no more written', async () => {
    const id = batchId();
    const input = Array.from({ length: 40 }, (_, i) => ({ id: `a${i}`, address: `Rua Felipe Schmidt, ${i * 10 + 1}` }));
    await createBatch(id, input);
    const handle = await env.client.workflow.start(BATCH_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: batchWorkflowIdFor('default', id),
      args: [{ tenantId: 'default', batchId: id }],
    });
    await eventually(async () => assert.ok((await store.progress('default', id))!.done > 0, 'no row done yet'));
    // As client/batches.ts cancels: the store first, then the run.
    await store.finish('default', id, 'CANCELLED', new Date().toISOString());
    await handle.cancel();
    // The cancel request, or a page that read CANCELLED in the store before it arrived, ends the run.
    const ended = await handle.result().then(
      (summary) => (summary as { status: string }).status,
      (err: unknown) => (err instanceof WorkflowFailedError ? 'cancelled' : err),
    );
    assert.ok(ended === 'cancelled' || ended === 'CANCELLED', `ended: ${String(ended)}`);
    const done = (await store.progress('default', id))!;
    assert.equal(done.status, 'CANCELLED');
    assert.ok(done.done < 40, `done: ${done.done}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await store.progress('default', id))!.done, done.done, 'nothing written after the cancel');
  });

  it('--prospects: each row without coverage makes one OZmap prospect, put on the waitlist', async () => {
    const id = batchId();
    const far = { lat: (CENTRE.lat + 0.5).toFixed(6), lng: String(CENTRE.lng) };
    await createBatch(
      id,
      [
        { id: 'near', lat: String(CENTRE.lat), lng: String(CENTRE.lng) },
        { id: 'lead-far', name: 'Maria Conceição', ...far },
      ],
      undefined,
      true,
    );
    await env.client.workflow.execute(BATCH_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: batchWorkflowIdFor('default', id),
      args: [{ tenantId: 'default', batchId: id }],
    });
    const [near, lead] = await store.results('default', id, 0, 2);
    assert.equal(near!.result!.outcome, 'viable');
    assert.equal(near!.result!.prospectId ?? null, null, 'a viable row makes none');
    assert.equal(lead!.result!.outcome, 'notViable');
    const marker = batchRowExternalIdFor('default', id, 1);
    const inOzmap = await world.clients.ozmap.findProspectsByExternalId(marker);
    assert.deepEqual(
      inOzmap.map((p) => p.id),
      [lead!.result!.prospectId],
    );
    const entry = (await prospects.get('default', marker))!;
    assert.equal(entry.source, 'batch');
    assert.equal(entry.status, 'open');
    assert.deepEqual(entry.customer, { name: 'Maria Conceição', code: 'lead-far' });
  });

  it('retention deletes the batches past their time, and only those', async () => {
    const old = batchId();
    const kept = batchId();
    await createBatch(old, rows(3), '2020-01-01T00:00:00.000Z');
    await createBatch(kept, rows(3));
    await store.finish('default', old, 'COMPLETED', '2019-12-01T00:00:00.000Z');
    await store.finish('default', kept, 'COMPLETED', new Date().toISOString());
    const { deleted } = (await env.client.workflow.execute(BATCH_RETENTION_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: `batch-retention-test-${old}`,
    })) as { deleted: number };
    assert.ok(deleted >= 1);
    assert.equal(await store.progress('default', old), undefined);
    assert.ok(await store.progress('default', kept));
  });
});
