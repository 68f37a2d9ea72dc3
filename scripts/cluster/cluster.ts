/**
 * Brings up the production topology on one machine (docs/deployment.md) and returns a handle to stop it:
 * PostgreSQL (Temporal's databases and the tenant registry's), the Temporal services as separate processes, the Web
 * UI, the OZmap simulator (unless OZMAP_URL is elsewhere), the codec endpoint (when payloads are encrypted),
 * CLUSTER_WORKERS workers, the HTTP API and Prometheus. Used by `npm run start:cluster` (main.ts) and
 * `npm run test:cluster`.
 */
import path from 'node:path';
import { apiProcessEnv, type Config } from '../../config/env.ts';
import { startSimulator } from '../../simulator/server.ts';
import { WORKFLOW_BUNDLE_FILE } from '../../worker/worker.ts';
import { isPortOpen } from '../dev-server.ts';
import { splitHostPort } from '../../net/hosts.ts';
import { readable, startCodecEndpoint } from '../start.ts';
import { formatElapsed } from '../processes.ts';
import { projectRoot } from '../temporal-tools.ts';
import { ensureClusterBinaries } from './binaries.ts';
import { WORKER_NODE_ARGS, workerProcessEnv } from '../../worker/process-env.ts';
import { HTTP_API_ENTRY, WORKER_ENTRY } from '../entries.ts';
import { BUILD_DIR, buildWorkerEntry, buildWorkflowBundle } from '../worker-build.ts';
import { TEMPORAL_SERVICES, clusterLayout, type ClusterLayout } from './layout.ts';
import { prometheusProcess, uiProcess } from './observability.ts';
import { postgresProcess, preparePostgres } from './postgres.ts';
import { prepareRegistry } from './registry.ts';
import { Supervisor, type ProcessSpec, type Supervised } from './supervisor.ts';
import { prepareNamespace, setUpSchemas, temporalProcess, writeTemporalConfig } from './temporal.ts';

export interface ClusterOptions {
  config: Config;
  /** The environment the workers and the API get (their own variables added). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default `.data/` (ISPBOX_OZMAP_DATA_DIR). */
  dataDir?: string;
  log?: (line: string) => void;
  /** Prometheus's scrape and evaluation interval. Default 10s. */
  scrapeInterval?: string;
}

export interface Cluster {
  layout: ClusterLayout;
  supervisor: Supervisor;
  /** host:port of the Temporal frontend. */
  address: string;
  urls: { ui: string; api: string; prometheus: string; ozmap: string; codec?: string };
  /** Where PostgreSQL keeps its data (maybe relocated: see `notes`). */
  postgresDataDir: string;
  notes: string[];
  startedInMs: number;
  worker(index: number): Supervised | undefined;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const started = Date.now();
  const { config } = options;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const step = (what: string) => log(`[cluster] ${formatElapsed(Date.now() - started)} ${what}`);
  const layout = clusterLayout(config, options.dataDir);
  await refuseTakenPorts(layout, config);
  const supervisor = new Supervisor(log, path.join(layout.dir, 'state.json'));
  const stops: Array<() => Promise<void>> = [];
  const notes: string[] = [];
  const stop = async () => {
    await supervisor.stopAll();
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`[cluster] while stopping: ${String(e)}`));
  };

  try {
    step('binaries (per-user cache, built from the Go module proxy the first time)');
    // The workers run compiled, with one bundle for all (scripts/worker-build.ts): each starts in about a second,
    // all run the same code, and none loads webpack or a TypeScript loader.
    const workerFile = path.join(BUILD_DIR, 'cluster', 'worker.js');
    const [bin, bundlePath] = await Promise.all([
      ensureClusterBinaries({ log }),
      options.config.workflowBundlePath ?? bundle(layout),
      buildWorkerEntry(WORKER_ENTRY, workerFile),
    ]);

    step('PostgreSQL');
    const pg = await preparePostgres({
      wantedDataDir: path.join(layout.dir, 'postgres'),
      secretsDir: layout.dir,
      port: layout.postgresPort,
      log,
    });
    if (pg.relocated) notes.push(pg.relocated);
    await supervisor.start(postgresProcess(pg));

    step('Temporal schemas');
    await setUpSchemas(bin, pg, log);
    await writeTemporalConfig(layout, pg);
    const { made, ...registryEnv } = await prepareRegistry(pg, options.env ?? process.env, layout.dir);
    if (made.length > 0) step(`tenant registry: made ${made.join(' and ')}`);

    step(`Temporal services (${TEMPORAL_SERVICES.join(', ')}), one process each`);
    // History first, alone: every service writes the cluster metadata on its first start, and at the same time
    // they collide on it (a duplicate key) and exit.
    const [first, ...others] = TEMPORAL_SERVICES;
    await supervisor.start(temporalProcess(bin, layout, first));
    await Promise.all(others.map((s) => supervisor.start(temporalProcess(bin, layout, s))));
    await prepareNamespace(layout, config.temporal.namespace, log);

    const codec = await startCodecEndpoint(config, stops);
    step('Web UI');
    await supervisor.start(
      await uiProcess(bin.uiServer, layout, { namespace: config.temporal.namespace, codecEndpoint: codec?.url }),
    );
    codec?.allowOrigin(`http://127.0.0.1:${layout.uiPort}`);
    codec?.allowOrigin(`http://localhost:${layout.uiPort}`);

    const ozmapUrl = await simulator(layout, config, stops, log);

    const env: NodeJS.ProcessEnv = {
      ...(options.env ?? process.env),
      ...registryEnv,
      TEMPORAL_ADDRESS: layout.temporalAddress,
      WORKFLOW_BUNDLE_PATH: bundlePath,
    };
    step(`${layout.workers.length} workers and the HTTP API`);
    await Promise.all([
      ...layout.workers.map((w) =>
        supervisor.start({
          ...nodeProcess(`worker-${w.index}`, [...WORKER_NODE_ARGS, workerFile], {
            ...workerProcessEnv(env),
            WORKER_METRICS_ADDRESS: w.sdkMetrics,
            WORKER_APP_METRICS_ADDRESS: w.appMetrics,
          }),
          // The worker opens its own metrics endpoint once it has connected and is about to poll.
          ready: () => isPortOpen('127.0.0.1', Number(w.appMetrics.split(':')[1])),
        }),
      ),
      supervisor.start({
        // One log line per request would drown the rest at info, as in npm start.
        // Temporal only: no OZmap, geocoder or webhook secret (config/roles.ts).
        ...nodeProcess('api', ['--import', 'tsx', HTTP_API_ENTRY], {
          ...apiProcessEnv(env),
          LOG_LEVEL: config.logLevel === 'info' ? 'warn' : config.logLevel,
          HTTP_METRICS_ADDRESS: layout.apiMetrics,
        }),
        ready: () => isPortOpen('127.0.0.1', config.http.port),
      }),
    ]);

    step('Prometheus');
    await supervisor.start(
      await prometheusProcess(layout, { scrapeInterval: options.scrapeInterval, apiToken: config.http.metrics.token }),
    );
    step('ready');
    return {
      layout,
      supervisor,
      address: layout.temporalAddress,
      urls: {
        ui: `http://127.0.0.1:${layout.uiPort}`,
        api: `http://${layout.httpAddress}`,
        prometheus: `http://127.0.0.1:${layout.prometheusPort}`,
        ozmap: ozmapUrl,
        codec: codec?.url,
      },
      postgresDataDir: pg.dataDir,
      notes,
      startedInMs: Date.now() - started,
      worker: (index) => supervisor.get(`worker-${index}`),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Fails at once, naming the variable, rather than half-starting next to something else. */
async function refuseTakenPorts(layout: ClusterLayout, config: Config): Promise<void> {
  const wanted: Array<[number, string]> = [
    [layout.temporal.frontend.grpc, 'TEMPORAL_ADDRESS (the frontend; is `npm start` running?)'],
    ...TEMPORAL_SERVICES.flatMap((s): Array<[number, string]> => [
      [layout.temporal[s].grpc, `TEMPORAL_ADDRESS (the ${s} service uses its port + offset)`],
      [layout.temporal[s].membership, `TEMPORAL_ADDRESS (the ${s} service's membership port)`],
      [layout.temporal[s].metrics, 'CLUSTER_METRICS_PORT_BASE'],
    ]),
    [layout.temporal.frontend.http, 'TEMPORAL_ADDRESS (the frontend HTTP API on port + 10)'],
    [layout.uiPort, 'CLUSTER_UI_PORT'],
    [layout.prometheusPort, 'CLUSTER_PROMETHEUS_PORT'],
    [config.http.port, 'HTTP_PORT'],
    [Number(splitHostPort(layout.apiMetrics).port), "CLUSTER_METRICS_PORT_BASE (the HTTP API's metrics on base+300)"],
    ...layout.workers.flatMap((w): Array<[number, string]> => [
      [Number(w.sdkMetrics.split(':')[1]), 'CLUSTER_METRICS_PORT_BASE'],
      [Number(w.appMetrics.split(':')[1]), 'CLUSTER_METRICS_PORT_BASE'],
    ]),
  ];
  const taken: string[] = [];
  for (const [port, variable] of wanted) {
    if (await isPortOpen('127.0.0.1', port, 300)) taken.push(`port ${port} is taken: change ${variable}`);
  }
  if (taken.length > 0) throw new Error(`Cannot start the cluster:\n  - ${[...new Set(taken)].join('\n  - ')}`);
}

async function bundle(layout: ClusterLayout): Promise<string> {
  const file = path.join(layout.dir, WORKFLOW_BUNDLE_FILE);
  await buildWorkflowBundle(file);
  return file;
}

async function simulator(
  layout: ClusterLayout,
  config: Config,
  stops: Array<() => Promise<void>>,
  log: (line: string) => void,
): Promise<string> {
  if (!layout.simulator) return config.ozmap.url;
  if (await isPortOpen(layout.simulator.host, layout.simulator.port)) {
    log(`[simulator] something already answers on ${config.ozmap.url}: using it as OZmap`);
    return config.ozmap.url;
  }
  const sim = await startSimulator({
    host: layout.simulator.host,
    port: layout.simulator.port,
    apiKey: config.ozmap.apiKey,
    stateFile: path.join(layout.dir, 'ozmap-simulator.json'),
    log: (line) => log(`[simulator] ${line}`),
  });
  stops.push(() => sim.close());
  return sim.url;
}

function nodeProcess(name: string, args: string[], env: NodeJS.ProcessEnv): ProcessSpec {
  return {
    name,
    command: process.execPath,
    args,
    env,
    cwd: projectRoot,
    format: readable,
    readyTimeoutMs: 90_000,
  };
}
