/**
 * `npm run test:cluster`: brings up the production topology (scripts/cluster/) on test ports with a fresh data
 * folder, runs test/cluster/*.test.ts against it with Node's test runner (one file at a time), stops the cluster
 * and checks that no process it started is left. A missing binary (PostgreSQL, Prometheus, promtool, Go for the
 * first build) fails the run with the fix, never skips.
 *   npm run test:cluster                     every file
 *   npm run test:cluster -- failover         only files whose name contains one of the words
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { loadConfig } from '../../config/env.ts';
import { startCluster } from '../../scripts/cluster/cluster.ts';
import { formatElapsed, isProcessAlive } from '../../scripts/processes.ts';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { SIM_API_KEY } from '../support/world.ts';
import { CLUSTER_TEST_ENV, type ClusterTestInfo } from './support.ts';
import { SHORT_HOLD_ENV } from '../support/short-holds.ts';

/** Ports apart from `npm start`/`npm run start:cluster`'s, so a running demo does not get in the way. */
const TEST_ENV: NodeJS.ProcessEnv = {
  TEMPORAL_ADDRESS: '127.0.0.1:17233',
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_TASK_QUEUE: 'cluster-api',
  CLUSTER_POSTGRES_PORT: '15432',
  CLUSTER_UI_PORT: '18233',
  CLUSTER_PROMETHEUS_PORT: '19090',
  CLUSTER_METRICS_PORT_BASE: '19000',
  CLUSTER_WORKERS: '2',
  HTTP_PORT: '13000',
  OZMAP_URL: 'http://127.0.0.1:19994',
  OZMAP_API_KEY: SIM_API_KEY, // so test/support/world.ts's helpers can read the cluster's simulator
  ISPBOX_API_KEY: 'cluster-test-ispbox-key-0123456789',
  ADMIN_API_KEY: 'cluster-test-admin-key-0123456789',
  GEOCODER_MIN_INTERVAL_MS: '0',
  LOG_LEVEL: 'warn',
  ...SHORT_HOLD_ENV,
};

async function main(): Promise<number> {
  const words = process.argv.slice(2);
  const files = readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.test.ts') && (words.length === 0 || words.some((w) => f.includes(w))))
    .sort()
    .map((f) => path.join('test', 'cluster', f));
  if (files.length === 0) {
    console.error(`No test/cluster files match ${words.join(', ')}`);
    return 2;
  }
  const started = Date.now();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ozres-cluster-test-'));
  const env = { ...process.env, ...TEST_ENV, ISPBOX_OZMAP_DATA_DIR: dataDir };
  const quiet = process.env.CLUSTER_TEST_VERBOSE ? undefined : /^\[(postgres|history|matching|frontend|worker|ui)\]/;
  const cluster = await startCluster({
    config: loadConfig(env),
    env,
    dataDir,
    scrapeInterval: '2s',
    log: (line) => {
      if (!quiet?.test(line)) console.log(`# ${line}`);
    },
  });
  console.log(`# cluster up in ${formatElapsed(cluster.startedInMs)} (data in ${dataDir})`);
  const info: ClusterTestInfo = {
    address: cluster.address,
    namespace: 'default',
    taskQueue: TEST_ENV.TEMPORAL_TASK_QUEUE!,
    apiUrl: cluster.urls.api,
    ispboxApiKey: TEST_ENV.ISPBOX_API_KEY!,
    adminApiKey: TEST_ENV.ADMIN_API_KEY!,
    ozmapUrl: cluster.urls.ozmap,
    ozmapApiKey: SIM_API_KEY,
    prometheusUrl: cluster.urls.prometheus,
    stateFile: path.join(cluster.layout.dir, 'state.json'),
    bundlePath: path.join(cluster.layout.dir, 'workflow-bundle.js'),
    postgresPort: cluster.layout.postgresPort,
    workers: cluster.layout.workers.map((w) => ({
      name: `worker-${w.index}`,
      port: Number(w.appMetrics.split(':')[1]),
    })),
  };
  let code = 1;
  try {
    code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
        { cwd: projectRoot, stdio: 'inherit', env: { ...env, [CLUSTER_TEST_ENV]: JSON.stringify(info) } },
      );
      child.once('exit', (c) => resolve(c ?? 1));
    });
  } finally {
    const pids = Object.values(
      (JSON.parse(await readFile(info.stateFile, 'utf8')) as { pids: Record<string, number | null> }).pids,
    ).filter((p): p is number => typeof p === 'number');
    await cluster.stop();
    const left = pids.filter(isProcessAlive);
    if (left.length > 0) {
      console.error(`# processes left after stopping the cluster: ${left.join(', ')}`);
      code = code || 1;
    } else console.log(`# cluster stopped; none of its ${pids.length} processes is left`);
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`# test:cluster ${code === 0 ? 'passed' : 'FAILED'} in ${formatElapsed(Date.now() - started)}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
