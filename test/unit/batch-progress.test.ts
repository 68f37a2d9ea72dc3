/**
 * The time a batch has left (client/batches.ts estimateSeconds) and how `ozres batch` draws it (cli/batch.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { estimateSeconds, newBatchId } from '../../client/batches.ts';
import { progressBar, progressLine } from '../../cli/batch.ts';
import { BATCH_ID_PATTERN, type BatchProgress } from '../../contract/demand.ts';

const NOW = new Date('2026-12-05T00:01:40.000Z');
const batch = (done: number, total = 1000) => ({
  status: 'RUNNING' as const,
  done,
  total,
  createdAt: '2026-12-05T00:00:00.000Z',
});

describe('batch progress', () => {
  it('estimates address rows at the pace and the rest at the rate so far; null when it cannot tell', () => {
    // 100 s in, 200 done: 2 rows a second; 300 coordinate rows left → 150 s, plus 100 address rows at 1 s each.
    assert.equal(estimateSeconds(batch(200), { pending: 400, geocode: 100, problem: 0 }, 1000, NOW), 250);
    // Rows whose line was wrong cost nothing.
    assert.equal(estimateSeconds(batch(200), { pending: 400, geocode: 100, problem: 300 }, 1000, NOW), 100);
    // Nothing done yet: address rows alone can be told, other rows cannot.
    assert.equal(estimateSeconds(batch(0), { pending: 1000, geocode: 1000, problem: 0 }, 1000, NOW), 1000);
    assert.equal(estimateSeconds(batch(0), { pending: 1000, geocode: 999, problem: 0 }, 1000, NOW), null);
    // No fixed pace (BATCH_GEOCODE_INTERVAL_MS=0): every row at the rate so far.
    assert.equal(estimateSeconds(batch(200), { pending: 400, geocode: 100, problem: 0 }, undefined, NOW), 200);
    assert.equal(
      estimateSeconds({ ...batch(1000), status: 'COMPLETED' }, { pending: 0, geocode: 0, problem: 0 }, 1000, NOW),
      null,
    );
    assert.equal(estimateSeconds(batch(1000), { pending: 0, geocode: 0, problem: 0 }, 1000, NOW), 0);
  });

  it('makes random batch ids of the contract form', () => {
    const ids = new Set(Array.from({ length: 100 }, newBatchId));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, BATCH_ID_PATTERN);
  });

  it('draws a bar that fits the terminal, and plain lines for logs', () => {
    const p: BatchProgress = {
      batchId: 'fb_abcdefghijklmnopqrst',
      status: 'RUNNING',
      total: 1000,
      done: 450,
      viable: 300,
      notViable: 100,
      addressNotFound: 30,
      invalid: 20,
      createdAt: '',
      finishedAt: null,
      expiresAt: '',
      etaSeconds: 95,
    };
    const bar = progressBar(p, 120);
    assert.ok(bar.length <= 120, bar);
    assert.match(
      bar,
      /^ 45% \[█+░+\] 450\/1000 {2}✔ 300 viable {2}✘ 100 not viable {2}\? 30 not found {2}! 20 invalid {2}ETA 1m35s$/,
    );
    assert.ok(progressBar(p, 40).length <= 40);
    assert.match(progressBar({ ...p, etaSeconds: null }, 120), /ETA …$/);
    assert.equal(
      progressLine(p),
      'batch fb_abcdefghijklmnopqrst: 450 of 1000 done (300 viable, 100 not viable, 30 address not found, ' +
        '20 invalid), about 1m35s left',
    );
  });
});
