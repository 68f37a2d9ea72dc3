/** `--cluster`: (a) again on a fresh `npm run start:cluster` topology, with one bench worker and then two. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { ReservationsClient } from '../client/reservations.ts';
import { loadConfig } from '../config/env.ts';
import { startCluster } from '../scripts/cluster/cluster.ts';
import { startSimulator } from '../simulator/server.ts';
import { fmt } from './format.ts';
import { API_KEY, RESERVATION_DEFAULTS, TASK_QUEUE, spreadPoints, startBaseline } from './load.ts';
import { widenNetwork } from './network.ts';
import type { Sizes } from './options.ts';
import { timed, type Latencies } from './timing.ts';
import { startWorker, type WorkerChild } from './worker-process.ts';

/** Ports apart from `npm run start:cluster`'s and `npm run test:cluster`'s (docs/deployment.md, ports). */
const CLUSTER_ENV: NodeJS.ProcessEnv = {
  TEMPORAL_ADDRESS: '127.0.0.1:27233',
  TEMPORAL_NAMESPACE: 'default',
  CLUSTER_POSTGRES_PORT: '25432',
  CLUSTER_UI_PORT: '28233',
  CLUSTER_PROMETHEUS_PORT: '29090',
  CLUSTER_METRICS_PORT_BASE: '29000',
  CLUSTER_WORKERS: '1',
  HTTP_PORT: '23000',
  OZMAP_API_KEY: API_KEY,
  ISPBOX_API_KEY: 'bench-cluster-ispbox-key-0123456789',
  LOG_LEVEL: 'warn',
};

export interface ClusterFigures {
  workers: number;
  baseline: Latencies;
  reservation: Latencies;
}

/**
 * (a) on the cluster: a fresh one (PostgreSQL, the Temporal services as processes) and a simulator of its own, then
 * the same warm-up and measure with one bench worker, then with a second one added on the same task queue. The
 * cluster's own worker serves another queue and stays idle.
 */
export async function clusterThroughput(log: (line: string) => void, sizes: Sizes): Promise<ClusterFigures[]> {
  const sim = await startSimulator({ port: 0, apiKey: API_KEY, log });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ozres-bench-cluster-'));
  const env = { ...process.env, ...CLUSTER_ENV, OZMAP_URL: sim.url, ISPBOX_OZMAP_DATA_DIR: dataDir };
  const workers: WorkerChild[] = [];
  let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
  let connection: Connection | undefined;
  try {
    widenNetwork(sim.store);
    const quiet = /^\[(postgres|history|matching|frontend|worker|ui|api|cluster)\]/;
    cluster = await startCluster({ config: loadConfig(env), env, dataDir, log: (l) => !quiet.test(l) && log(l) });
    connection = await Connection.connect({ address: cluster.address });
    const client = new Client({ connection, namespace: 'default' });
    const points = spreadPoints(sim);
    const figures: ClusterFigures[] = [];
    const taskQueue = TASK_QUEUE;
    for (const count of [1, 2]) {
      workers.push(await startWorker({ ...env, TEMPORAL_ADDRESS: cluster.address, TEMPORAL_TASK_QUEUE: taskQueue }));
      const reservations = new ReservationsClient(client, taskQueue, RESERVATION_DEFAULTS);
      let next = 0;
      const reserve = async () => {
        const i = next++;
        const state = await reservations.reserve({
          viabilityId: `B${count}-${i}`,
          customer: { code: `C-${i}`, name: `Cliente ${i}` },
          coordinates: points[(i + count * 10_000) % points.length]!,
          holdDays: 30,
        });
        if (state.status !== 'RESERVED') throw new Error(`${state.viabilityId} answered ${state.status}`);
      };
      let b = 0;
      const baseline = () => startBaseline(client, taskQueue, `BL${count}-${b++}`);
      await timed(sizes.warmup, sizes.concurrency, baseline);
      await timed(sizes.warmup, sizes.concurrency, reserve);
      const base = await timed(sizes.measured, sizes.concurrency, baseline);
      const real = await timed(sizes.measured, sizes.concurrency, reserve);
      log(`    cluster, ${count} worker(s): baseline     ${fmt(base)}`);
      log(`    cluster, ${count} worker(s): reservation  ${fmt(real)}`);
      figures.push({ workers: count, baseline: base, reservation: real });
    }
    return figures;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await connection?.close();
    await cluster?.stop();
    await sim.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
