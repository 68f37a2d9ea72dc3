/**
 * Batch feasibility's acceptance, end to end in process: a dev server, the simulator (OZmap and the geocoder), a
 * worker with the batch engine, and the HTTP API on a loopback port, all on one store (SQLite).
 *   - 100 address rows, 5 of them malformed, give 95 answers and 5 `invalid` rows, one result row per input row.
 *   - The API is stopped and started again (a new server on the same port and store) while the worker works
 *     through a batch: the batch completes with exactly one result per input row, none lost or doubled.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../../api/server.ts';
import { BatchesClient, DEFAULT_BATCH_SETTINGS } from '../../client/batches.ts';
import { loadConfig } from '../../config/env.ts';
import { BatchStore } from '../../registry/batches.ts';
import { migrate, openRegistryDb } from '../../registry/database.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { reservationsFor } from '../support/batches.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import { eventually, startWorld, workflowBundle, type World } from '../support/world.ts';

const KEY = 'batch-acceptance-key-0123456789';
const TASK_QUEUE = 'batch-acceptance';
const dir = mkdtempSync(path.join(tmpdir(), 'batch-acceptance-'));
const db = openRegistryDb({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') });
const store = new BatchStore(db);

/** Address rows the simulator's geocoder knows (numbers along one street). */
const address = (i: number) => `"Rua Felipe Schmidt, ${(i % 100) * 10 + 1} - Centro, Florianópolis - SC"`;

describe('batch feasibility, end to end (dev server, simulator, worker, API)', () => {
  let server: DevServerEnv;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;
  let app: FastifyInstance;
  let port = 0;
  let url: string;

  const startApi = async () => {
    const config = loadConfig({ ISPBOX_API_KEY: KEY, LOG_LEVEL: 'silent', ISPBOX_OZMAP_DATA_DIR: dir });
    const batches = new BatchesClient(store, server.env.client, TASK_QUEUE, DEFAULT_BATCH_SETTINGS);
    app = await buildHttpServer({ reservations: reservationsFor('default'), config, logger: false, batches });
    url = await app.listen({ host: '127.0.0.1', port });
    port = (app.server.address() as { port: number }).port;
  };
  const api = async (method: string, route: string, body?: string) => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'text/csv' } : {}) },
      body,
    });
    return { status: res.status, text: await res.text() };
  };
  const progressOf = async (batchId: string) =>
    JSON.parse((await api('GET', `/v1/feasibility/batches/${batchId}`)).text) as Record<string, number | string>;

  before(async () => {
    await migrate(db);
    [server, world] = await Promise.all([createDevServerEnv(), startWorld()]);
    worker = await createReservationWorker({
      connection: server.env.nativeConnection,
      namespace: 'default',
      taskQueue: TASK_QUEUE,
      clients: world.clients,
      workflowBundle: await workflowBundle(),
      // A pace that lets the restart land midway, pages short enough to be many.
      batches: { store, geocodeIntervalMs: 25, pageBudgetMs: 300, retentionDays: 30 },
    });
    running = worker.run();
    await startApi();
  });
  after(async () => {
    await app?.close();
    worker?.shutdown();
    await running;
    await Promise.all([server?.stop(), world?.close()]);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('100 address rows with 5 malformed give 95 answers and 5 invalid rows', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => {
      if (i === 10) return `L-${i};${address(i)};Ana;extra`; // a field too many
      if (i === 30) return `L-${i}`; // fields missing
      if (i === 50) return `;${address(i)};Rui`; // no id
      if (i === 70) return `L-${i};${'x'.repeat(600)};Bia`; // an address too long
      if (i === 90) return `L-${i};;Zé`; // no address at all
      return `L-${i};${address(i)};Cliente ${i}`;
    });
    const created = await api('POST', '/v1/feasibility/batches', `id;address;name\n${lines.join('\n')}\n`);
    assert.equal(created.status, 202, created.text);
    const { batchId } = JSON.parse(created.text) as { batchId: string };
    const ended = await eventually(async () => {
      const p = await progressOf(batchId);
      assert.notEqual(p.status, 'RUNNING');
      return p;
    }, 60_000);
    assert.equal(ended.status, 'COMPLETED');
    assert.equal(ended.done, 100);
    assert.equal(ended.invalid, 5);
    assert.equal(Number(ended.viable) + Number(ended.notViable) + Number(ended.addressNotFound), 95);

    const csv = (await api('GET', `/v1/feasibility/batches/${batchId}/results.csv`)).text.trimEnd().split('\r\n');
    assert.equal(csv[0], 'id,lat,lng,viable,boxId,boxName,distanceMeters,freePorts,reason');
    assert.equal(csv.length, 101);
    const invalid = csv.slice(1).filter((line) => /,false,,,,,/.test(line) && !/^L-\d+,-?\d/.test(line));
    assert.deepEqual(
      invalid.map((line) => line.split(',')[0]),
      ['L-10', 'L-30', 'row 51', 'L-70', 'L-90'],
    );
  });

  it('survives an API restart midway: results complete, exactly one per input row', async () => {
    const rows = Array.from({ length: 240 }, (_, i) => `R-${i},${address(i)}`);
    const created = await api('POST', '/v1/feasibility/batches', `id,address\n${rows.join('\n')}\n`);
    assert.equal(created.status, 202, created.text);
    const { batchId } = JSON.parse(created.text) as { batchId: string };
    await eventually(async () => assert.ok(Number((await progressOf(batchId)).done) > 0, 'no row done yet'), 30_000);

    // The API goes away while the worker works, and comes back on the same port and store.
    await app.close();
    const during = (await store.progress('default', batchId))!;
    assert.equal(during.status, 'RUNNING');
    assert.ok(during.done < 240, `still running when the API stopped (done ${during.done})`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await startApi();

    const ended = await eventually(async () => {
      const p = await progressOf(batchId);
      assert.notEqual(p.status, 'RUNNING');
      return p;
    }, 90_000);
    assert.equal(ended.status, 'COMPLETED');
    assert.equal(ended.done, 240);
    const csv = (await api('GET', `/v1/feasibility/batches/${batchId}/results.csv`)).text.trimEnd().split('\r\n');
    const ids = csv.slice(1).map((line) => line.split(',')[0]);
    assert.deepEqual(
      ids,
      rows.map((r) => r.split(',')[0]),
      'one result row per input row, in input order',
    );
  });
});
