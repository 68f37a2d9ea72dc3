/**
 * Batch feasibility's page activity (activities/batch.ts) against the real simulator and a real store: every row
 * gets one result, as surveyBoxes would answer for it alone; bad rows are `invalid` naming the column (an empty
 * coordinate is never 0); unknown addresses are `addressNotFound`; a page's OZmap calls are per area, not per row;
 * a retry changes nothing; a slow geocoder stops a page early; a cancelled batch is left as it is; the prospects seam.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createBatchActivities, check, type BatchActivityDeps } from '../../activities/batch.ts';
import { NominatimGeocoder } from '../../activities/geocoder/nominatim.ts';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { surveyBoxes } from '../../activities/survey.ts';
import type { BatchInputRow } from '../../contract/demand.ts';
import { BatchStore } from '../../registry/batches.ts';
import { migrate, openRegistryDb } from '../../registry/database.ts';
import { NO_COVERAGE_POINT } from '../../simulator/network.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { CENTRE, SIM_API_KEY } from '../support/world.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'batch-activity-test-'));
const db = openRegistryDb({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') });
const store = new BatchStore(db);
const env = new MockActivityEnvironment();
/** MockActivityEnvironment.run, typed by the activity it runs. */
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> =>
  env.run<A, R, (...args: A) => Promise<R>>(fn, ...args);

/** Points on a grid over the seeded town (about 3 x 3 km around CENTRE). */
function townRows(n: number): BatchInputRow[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}`,
    lat: (CENTRE.lat - 0.012 + ((i * 37) % 101) * 0.00024).toFixed(6),
    lng: (CENTRE.lng - 0.014 + ((i * 53) % 97) * 0.00028).toFixed(6),
  }));
}

const newBatch = async (id: string, rows: BatchInputRow[], prospects = false) =>
  store.create(
    {
      id,
      tenantId: 'default',
      options: { radiusMeters: 250, prospects },
      createdAt: new Date().toISOString(),
      expiresAt: '2099-01-01T00:00:00.000Z',
    },
    rows,
    50_000,
  );

describe('batch page activity against the simulator', () => {
  let sim: Simulator;
  let ozmap: OzmapClient;
  let deps: BatchActivityDeps;

  before(async () => {
    await migrate(db);
    sim = await startSimulator({ port: 0, apiKey: SIM_API_KEY });
    ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY });
    deps = {
      store,
      ozmap,
      geocoder: new NominatimGeocoder({ url: sim.url, userAgent: 'tests', minIntervalMs: 0 }),
      geocodeIntervalMs: 0,
      retentionDays: 30,
    };
  });
  after(async () => {
    await ozmap.close();
    await sim.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads rows as DESIGN §2.4 says: the column named, never 0 for an empty coordinate', () => {
    const reason = (row: Partial<BatchInputRow>) => {
      const c = check(0, { id: 'x', ...row });
      return c.kind === 'done' ? c.result.reason : c.kind;
    };
    assert.equal(reason({ lat: '', lng: '-48.5' }), 'lat: empty');
    assert.equal(reason({ lat: '-27.5', lng: ' ' }), 'lng: empty');
    assert.equal(reason({ lat: 'abc', lng: '-48.5' }), 'lat: not a number ("abc")');
    assert.equal(reason({ lat: '-27.5', lng: '1e3' }), 'lng: not a number ("1e3")');
    assert.equal(reason({ lat: '-97', lng: '-48.5' }), 'lat: out of range (-90 to 90): -97');
    assert.equal(reason({ lat: '-27,59', lng: '-48,55' }), 'point');
    assert.equal(reason({ address: 'Rua X, 1' }), 'address');
    assert.equal(reason({}), 'address: empty, and no lat/lng');
    assert.equal(reason({ id: ' ' }), 'id: empty');
    assert.equal(reason({ problem: 'line 4: 3 fields, the header has 4' }), 'line 4: 3 fields, the header has 4');
  });

  it('a page: one result per row in input order, each as surveyBoxes alone; calls per area; retries idempotent', async () => {
    const rows: BatchInputRow[] = [
      ...townRows(300),
      { id: 'far', lat: String(NO_COVERAGE_POINT.lat), lng: String(NO_COVERAGE_POINT.lng) },
      { id: 'empty-lat', lat: '', lng: '-48.55' },
      { id: 'street', address: 'Rua Felipe Schmidt, 49, Florianópolis' },
      { id: 'nowhere', address: 'Rua Que Não Existe, 12, Florianópolis' },
      { id: 'bad-line', problem: 'line 306: 5 fields, the header has 3' },
    ];
    await newBatch('fb_page', rows);
    const { processBatchPage } = createBatchActivities(deps);
    sim.stats.reset();
    const page = await run(processBatchPage, { tenantId: 'default', batchId: 'fb_page', fromIdx: 0 });
    const ozmapCalls = Object.entries(sim.stats.snapshot().requests)
      .filter(([k]) => k.startsWith('GET /api/v2/') && !k.includes('search'))
      .reduce((n, [, v]) => n + v, 0);
    assert.ok(ozmapCalls <= 6, `one area for the town: ${ozmapCalls} OZmap calls for 302 surveyed rows`);
    assert.equal(page.nextIdx, null);
    assert.equal(page.handled, rows.length);
    assert.deepEqual(page.counts, {
      viable: page.counts.viable,
      notViable: page.counts.notViable,
      addressNotFound: 1,
      invalid: 2,
    });
    assert.equal(page.done, rows.length);
    assert.ok(page.counts.viable > 100 && page.counts.notViable >= 1, JSON.stringify(page.counts));

    const results = await store.results('default', 'fb_page', 0, 1000);
    assert.deepEqual(
      results.map((r) => r.input.id),
      rows.map((r) => r.id),
    );
    const byId = new Map(results.map((r) => [r.input.id, r.result!]));
    assert.equal(byId.get('empty-lat')!.outcome, 'invalid');
    assert.equal(byId.get('empty-lat')!.reason, 'lat: empty');
    assert.equal(byId.get('empty-lat')!.lat, null);
    assert.equal(byId.get('nowhere')!.outcome, 'addressNotFound');
    assert.equal(byId.get('bad-line')!.reason, 'line 306: 5 fields, the header has 3');
    assert.equal(byId.get('far')!.reason, 'No box with a free port within 250 m');
    assert.ok(['viable', 'notViable'].includes(byId.get('street')!.outcome));

    // Every surveyed row, as surveyBoxes answers for it alone.
    for (const { input, result } of results.filter((r) => r.result!.lat !== null).slice(0, 60)) {
      const alone = await surveyBoxes(ozmap, { lat: result!.lat!, lng: result!.lng!, radiusMeters: 250 });
      const [nearest] = alone.candidates;
      assert.equal(result!.outcome, nearest ? 'viable' : 'notViable', input.id);
      assert.equal(result!.boxId, nearest?.boxId ?? null, input.id);
      assert.equal(result!.distanceMeters, nearest?.distanceMeters ?? null, input.id);
      assert.equal(result!.freePorts, nearest?.freePorts ?? null, input.id);
    }

    // A retry (a worker lost after saving) finds the work done and changes nothing.
    const again = await run(processBatchPage, { tenantId: 'default', batchId: 'fb_page', fromIdx: 0 });
    assert.equal(again.handled, 0);
    assert.equal(again.done, rows.length);
  });

  it('a slow geocoder stops the page early; the next page picks up where it stopped', async () => {
    const rows: BatchInputRow[] = [
      { id: 'a1', address: 'Rua Felipe Schmidt, 100, Florianópolis' },
      { id: 'a2', address: 'Rua Felipe Schmidt, 120, Florianópolis' },
      { id: 'a3', address: 'Rua Felipe Schmidt, 140, Florianópolis' },
      ...townRows(3),
    ];
    await newBatch('fb_slow', rows);
    const { processBatchPage } = createBatchActivities({ ...deps, geocodeIntervalMs: 20, pageBudgetMs: 0 });
    const first = await run(processBatchPage, { tenantId: 'default', batchId: 'fb_slow', fromIdx: 0 });
    assert.equal(first.nextIdx, 1, 'one geocoding a page at least; past the budget, the other addresses wait');
    assert.equal(first.done, 4, 'the coordinate rows of the page are done meanwhile');
    let next: number | null = first.nextIdx;
    let last = first;
    while (next !== null) {
      last = await run(processBatchPage, { tenantId: 'default', batchId: 'fb_slow', fromIdx: next });
      next = last.nextIdx;
    }
    assert.equal(last.done, rows.length);
  });

  it('a cancelled batch is left as it is; rows without coverage go through the prospects seam', async () => {
    await newBatch('fb_cancel', townRows(5));
    await store.finish('default', 'fb_cancel', 'CANCELLED', new Date().toISOString());
    const { processBatchPage, finishBatch } = createBatchActivities(deps);
    const page = await run(processBatchPage, { tenantId: 'default', batchId: 'fb_cancel', fromIdx: 0 });
    assert.deepEqual([page.status, page.nextIdx, page.done], ['CANCELLED', null, 0]);
    assert.equal(await finishBatch({ tenantId: 'default', batchId: 'fb_cancel', status: 'COMPLETED' }), false);

    const asked: number[] = [];
    const withProspects = createBatchActivities({
      ...deps,
      ensureProspect: (input) => (asked.push(input.idx), Promise.resolve({ id: `prospect-${input.idx}` })),
    });
    const far = { lat: String(NO_COVERAGE_POINT.lat), lng: String(NO_COVERAGE_POINT.lng) };
    await newBatch(
      'fb_prospects',
      [
        { id: 'f1', ...far },
        { id: 'c', lat: String(CENTRE.lat), lng: String(CENTRE.lng) },
        { id: 'f2', ...far },
      ],
      true,
    );
    await run(withProspects.processBatchPage, { tenantId: 'default', batchId: 'fb_prospects', fromIdx: 0 });
    assert.deepEqual(asked, [0, 2]);
    const results = await store.results('default', 'fb_prospects', 0, 10);
    assert.deepEqual(
      results.map((r) => r.result!.prospectId ?? null),
      ['prospect-0', null, 'prospect-2'],
    );
  });
});
