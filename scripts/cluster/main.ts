/**
 * `npm run start:cluster`: the production topology on one machine (docs/deployment.md), with progress and the URLs
 * printed; Ctrl-C (SIGINT) or SIGTERM stops every process it started, last started first.
 */
import { ConfigError, loadConfig } from '../../config/env.ts';
import { errorMessage, formatElapsed } from '../processes.ts';
import { startCluster, type Cluster } from './cluster.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : errorMessage(error));
    process.exit(1);
  }
  let cluster: Cluster | undefined;
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('[cluster] stopping…');
    const done = cluster ? cluster.stop() : Promise.resolve();
    done.then(
      () => process.exit(code),
      (error: unknown) => {
        console.error(`[cluster] while stopping: ${errorMessage(error)}`);
        process.exit(1);
      },
    );
  };
  // Until the cluster is up, startCluster stops what it started itself when it fails; a signal then just exits
  // after that cleanup, which the failure path below does.
  let interrupted = false;
  const onSignal = () => {
    if (cluster) stop(0);
    else interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    cluster = await startCluster({ config });
  } catch (error) {
    console.error(`\n${errorMessage(error)}`);
    process.exit(1);
  }
  if (interrupted) return stop(0);
  const { urls, layout } = cluster;
  const t = layout.temporal;
  const services = [
    `frontend :${t.frontend.grpc}`,
    `history :${t.history.grpc}`,
    `matching :${t.matching.grpc}`,
    `worker :${t.worker.grpc}`,
  ].join(', ');
  const ozmap = `${urls.ozmap}${layout.simulator ? '  (simulator)' : ''}`;
  const codec = urls.codec ? `\n  Codec endpoint    ${urls.codec}` : '';
  const sdkMetrics = layout.workers.map((w) => w.sdkMetrics).join(', ');
  const appMetrics = layout.workers.map((w) => w.appMetrics).join(', ');
  console.log(`
  Started in ${formatElapsed(cluster.startedInMs)}: the production topology on this machine (docs/deployment.md)
  Temporal Web UI   ${urls.ui}
  Temporal gRPC     ${cluster.address}  namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}
  Temporal services ${services} (one process each, 4 shards)
  PostgreSQL        127.0.0.1:${layout.postgresPort}  data in ${cluster.postgresDataDir}
  OZmap             ${ozmap}${codec}
  Workers           ${layout.workers.length}  (metrics: SDK ${sdkMetrics}; own ${appMetrics})
  HTTP API          ${urls.api}/v1/reservations  (docs ${urls.api}/docs, metrics http://${layout.apiMetrics}/metrics)
  Prometheus        ${urls.prometheus}  (alerts ${urls.prometheus}/alerts)
${cluster.notes.map((n) => `  Note: ${n}\n`).join('')}
  Stop: Ctrl-C
`);
}

void main();
