/**
 * Stand-ins for what the batch routes talk to, for in-process tests: a tenant's reservations client (its defaults
 * only), Temporal (starts and cancels recorded), and the batch engine (results written as its activities write them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { buildHttpServer } from '../../api/server.ts';
import { BatchesClient, DEFAULT_BATCH_SETTINGS } from '../../client/batches.ts';
import { loadConfig } from '../../config/env.ts';
import { migrate, openRegistryDb } from '../../registry/database.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import type { BatchResult } from '../../contract/demand.ts';
import { ReservationInput } from '../../contract/schemas.ts';
import { BatchStore } from '../../registry/batches.ts';

export function reservationsFor(tenantId: string): ReservationsClient {
  const fake = {
    tenantId,
    defaults: { radiusMeters: 250, holdDays: 30, selectionTimeoutHours: 24, limits: {} },
    inputSchema: ReservationInput,
    within: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn(),
    forTenant: (id: string) => reservationsFor(id),
  };
  return fake as unknown as ReservationsClient;
}

/** Temporal as the batch client uses it: starts and cancels recorded. */
export function fakeTemporal() {
  const starts: Array<{ type: string; options: Record<string, unknown> }> = [];
  const cancels: string[] = [];
  const client = {
    workflow: {
      start: (type: string, options: Record<string, unknown>) => {
        starts.push({ type, options });
        return Promise.resolve({ workflowId: options.workflowId });
      },
      getHandle: (workflowId: string) => ({
        cancel: () => {
          cancels.push(workflowId);
          return Promise.resolve();
        },
      }),
    },
    withAbortSignal: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn(),
  };
  return { client: client as unknown as Client, starts, cancels };
}

/** What the engine does: every pending row gets a result (invalid when its line had a problem), then COMPLETED. */
export async function runEngine(store: BatchStore, tenantId: string, batchId: string, upTo = Infinity) {
  const rows = await store.pendingRows(batchId, 0, 50_000);
  const results = rows.slice(0, upTo).map(({ idx, input }): { idx: number; result: BatchResult } => {
    if (input.problem)
      return {
        idx,
        result: {
          outcome: 'invalid',
          lat: null,
          lng: null,
          boxId: null,
          boxName: null,
          distanceMeters: null,
          freePorts: null,
          reason: input.problem,
        },
      };
    const viable = idx % 2 === 0;
    return {
      idx,
      result: {
        outcome: viable ? 'viable' : 'notViable',
        lat: -27.59 - idx / 1000,
        lng: -48.55,
        boxId: viable ? `box-${idx}` : null,
        boxName: viable ? `CTO "Centro", ${idx}` : null,
        distanceMeters: viable ? 42.5 : null,
        freePorts: viable ? 3 : null,
        reason: viable ? null : 'no box with a free port within 250 m',
      },
    };
  });
  await store.saveResults(batchId, results);
  if (upTo === Infinity) await store.finish(tenantId, batchId, 'COMPLETED', new Date().toISOString());
}

/** The HTTP API in process with a batch store of its own (SQLite in a fresh folder), no registry: `default` only. */
export async function startBatchApi(key: string, extraEnv: Record<string, string> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-batch-api-'));
  const config = loadConfig({ ISPBOX_API_KEY: key, LOG_LEVEL: 'silent', ISPBOX_OZMAP_DATA_DIR: dataDir, ...extraEnv });
  const db = openRegistryDb(config.registry.store);
  await migrate(db);
  const store = new BatchStore(db);
  const temporal = fakeTemporal();
  const batches = new BatchesClient(store, temporal.client, 'test-queue', DEFAULT_BATCH_SETTINGS);
  const app = await buildHttpServer({ reservations: reservationsFor('default'), config, logger: false, batches });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    store,
    temporal,
    async close() {
      await app.close();
      await db.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
