/**
 * The feasibility batches' store on its embedded database: a batch stored whole or not at all, rows in input order,
 * results written once and only while the batch runs, counts from the rows, tenants kept apart, retention.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BatchInputRow, BatchResult } from '../../contract/demand.ts';
import { BatchStore, BatchTooLargeError } from '../../registry/batches.ts';
import { migrate, openRegistryDb } from '../../registry/database.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'batch-store-test-'));
const db = openRegistryDb({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') });
after(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function* rowsOf(n: number): Iterable<BatchInputRow> {
  for (let i = 0; i < n; i++) yield { id: `r${i}`, lat: String(-27.6 + i / 1e4), lng: '-48.5' };
}

const batch = (id: string, tenantId = 'acme', expiresAt = '2027-01-01T00:00:00.000Z') => ({
  id,
  tenantId,
  options: { radiusMeters: 250, prospects: false },
  createdAt: '2026-12-01T00:00:00.000Z',
  expiresAt,
});

const viable = (boxId: string): BatchResult => ({
  outcome: 'viable',
  lat: -27.6,
  lng: -48.5,
  boxId,
  boxName: `CTO ${boxId}`,
  distanceMeters: 12,
  freePorts: 3,
  reason: null,
});
const invalid: BatchResult = { ...viable('x'), outcome: 'invalid', boxId: null, reason: 'lat: not a number' };

describe('feasibility batch store (SQLite)', () => {
  it('stores every row in order, hands out pending pages, and writes each result once', async () => {
    const store = new BatchStore((await migrate(db), db));
    assert.deepEqual(await store.create(batch('fb_one'), rowsOf(1200), 50_000), { total: 1200 });
    const page = await store.pendingRows('fb_one', 0, 500);
    assert.equal(page.length, 500);
    assert.deepEqual(
      page.slice(0, 2).map((r) => r.input.id),
      ['r0', 'r1'],
    );
    assert.equal(
      await store.saveResults('fb_one', [
        { idx: 0, result: viable('b1') },
        { idx: 1, result: invalid },
      ]),
      2,
    );
    assert.equal(
      await store.saveResults('fb_one', [{ idx: 0, result: invalid }]),
      0,
      'a retried write changes nothing',
    );
    assert.deepEqual(
      (await store.pendingRows('fb_one', 0, 2)).map((r) => r.idx),
      [2, 3],
    );
    const progress = await store.progress('acme', 'fb_one');
    assert.deepEqual(
      { ...progress, options: undefined },
      {
        batchId: 'fb_one',
        status: 'RUNNING',
        total: 1200,
        done: 2,
        viable: 1,
        notViable: 0,
        addressNotFound: 0,
        invalid: 1,
        createdAt: '2026-12-01T00:00:00.000Z',
        finishedAt: null,
        expiresAt: '2027-01-01T00:00:00.000Z',
        options: undefined,
      },
    );
    const results = await store.results('acme', 'fb_one', 0, 3);
    assert.deepEqual(
      results.map((r) => r.result?.boxId ?? null),
      ['b1', null, null],
    );
  });

  it("keeps tenants apart: another tenant's batch id finds nothing", async () => {
    const store = new BatchStore(db);
    assert.equal(await store.progress('other', 'fb_one'), undefined);
    assert.deepEqual(await store.results('other', 'fb_one', 0, 10), []);
    assert.equal(await store.finish('other', 'fb_one', 'CANCELLED', '2026-12-02T00:00:00.000Z'), false);
  });

  it('stores nothing of a file over the limit', async () => {
    const store = new BatchStore(db);
    await assert.rejects(store.create(batch('fb_big'), rowsOf(11), 10), BatchTooLargeError);
    assert.equal(await store.progress('acme', 'fb_big'), undefined);
    assert.deepEqual(await store.pendingRows('fb_big', 0, 100), []);
  });

  it('keeps what a cancelled batch had, writes nothing after, and deletes batches past retention', async () => {
    const store = new BatchStore(db);
    await store.create(batch('fb_old', 'acme', '2026-12-03T00:00:00.000Z'), rowsOf(3), 10);
    await store.saveResults('fb_old', [{ idx: 0, result: viable('b9') }]);
    assert.equal(await store.finish('acme', 'fb_old', 'CANCELLED', '2026-12-02T00:00:00.000Z'), true);
    assert.equal(await store.finish('acme', 'fb_old', 'COMPLETED', '2026-12-02T00:00:00.000Z'), false, 'ended once');
    assert.equal(await store.saveResults('fb_old', [{ idx: 1, result: viable('b9') }]), 0);
    assert.equal((await store.progress('acme', 'fb_old'))?.done, 1);
    assert.equal(await store.deleteExpired('2026-12-04T00:00:00.000Z'), 1, 'only the expired, ended batch');
    assert.equal(await store.progress('acme', 'fb_old'), undefined);
    assert.deepEqual(await store.results('acme', 'fb_old', 0, 10), []);
    assert.equal((await store.progress('acme', 'fb_one'))?.total, 1200, 'a running batch is kept');
  });
});
