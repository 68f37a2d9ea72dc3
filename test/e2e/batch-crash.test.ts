/**
 * A feasibility batch survives its worker (docs/demand.md, "Batch feasibility: how it works"): the worker process is
 * killed with SIGKILL midway through a batch, a new one finishes it, and every row has exactly one result, none lost
 * or doubled, the counts adding up to the total.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BATCH_WORKFLOW_TYPE,
  MAX_BATCH_ROWS,
  batchWorkflowIdFor,
  type BatchInputRow,
  type BatchWorkflowInput,
} from '../../contract/demand.ts';
import { BatchStore } from '../../registry/batches.ts';
import { migrate, openRegistryDb, type RegistryDb } from '../../registry/database.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { CENTRE, eventually } from '../support/world.ts';

const BATCH_ID = 'fb_crashcrashcrashcrash';
const TOTAL = 1200;

/** Coordinate rows over the seeded town, an address row every 20th (geocoded at the batch pace), bad rows. */
function rows(): BatchInputRow[] {
  return Array.from({ length: TOTAL }, (_, i): BatchInputRow => {
    if (i % 20 === 3) return { id: `r${i}`, address: `Rua Felipe Schmidt, ${(i % 400) + 1}, Florianópolis` };
    if (i % 97 === 5) return { id: `r${i}`, lat: '-27.59', lng: 'west' };
    return {
      id: `r${i}`,
      lat: (CENTRE.lat - 0.01 + ((i * 37) % 101) * 0.0002).toFixed(6),
      lng: (CENTRE.lng - 0.012 + ((i * 53) % 97) * 0.00024).toFixed(6),
    };
  });
}

describe('batch feasibility, worker killed midway', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'batch-crash-'));
  let stack: Stack;
  let db: RegistryDb;
  before(async () => {
    // The worker's batches' store lives in its data directory; the test reads and writes the same file.
    stack = await startStack({ env: { ISPBOX_OZMAP_DATA_DIR: dataDir, BATCH_GEOCODE_INTERVAL_MS: '100' } });
    db = openRegistryDb({ kind: 'sqlite', file: path.join(dataDir, 'registry.sqlite') });
    // The test creates the batch as the API does, so it brings the schema up as the API does at start (the worker
    // opens the file only on its first use).
    await migrate(db);
  });
  after(async () => {
    await stack?.stop();
    await db?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a new worker finishes it: every row exactly one result, counts = total', async () => {
    const store = new BatchStore(db);
    await store.create(
      {
        id: BATCH_ID,
        tenantId: 'default',
        options: { radiusMeters: 250, prospects: false },
        createdAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
      rows(),
      MAX_BATCH_ROWS,
    );
    const args: [BatchWorkflowInput] = [{ tenantId: 'default', batchId: BATCH_ID }];
    const handle = await stack.client.workflow.start(BATCH_WORKFLOW_TYPE, {
      taskQueue: 'e2e',
      workflowId: batchWorkflowIdFor('default', BATCH_ID),
      args,
    });
    // Killed once a page is saved and before the batch ends (each page geocodes ~25 addresses at 100 ms).
    const atKill = await eventually(async () => {
      const p = (await store.progress('default', BATCH_ID))!;
      assert.ok(p.done > 0, 'no row done yet');
      return p;
    }, 60_000);
    await stack.worker.kill('SIGKILL');
    assert.ok(atKill.done < TOTAL, `the batch was midway at the kill (${atKill.done} of ${TOTAL})`);

    const replacement = stack.startWorker();
    await replacement.ready;
    // The dead worker's page is retried once its heartbeat timeout (20 s) passes.
    const summary = (await handle.result()) as { status: string; done: number };
    assert.equal(summary.status, 'COMPLETED');

    const end = (await store.progress('default', BATCH_ID))!;
    assert.equal(end.status, 'COMPLETED');
    assert.equal(end.done, TOTAL);
    assert.equal(end.viable + end.notViable + end.addressNotFound + end.invalid, TOTAL);
    const results = await store.results('default', BATCH_ID, 0, TOTAL + 10);
    assert.equal(results.length, TOTAL);
    assert.deepEqual(
      results.map((r) => r.idx),
      Array.from({ length: TOTAL }, (_, i) => i),
    );
    assert.ok(
      results.every((r) => r.result !== null),
      'no row lost',
    );
    assert.equal(end.invalid, results.filter((r) => r.input.lng === 'west').length);
    console.log(`# ${atKill.done} of ${TOTAL} rows were done at the kill`);
  });
});
