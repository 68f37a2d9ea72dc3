/**
 * Where everything of `npm run start:cluster` lives, from the configuration
 * (docs/deployment.md, "Ports of start:cluster"): the frontend on TEMPORAL_ADDRESS's port P (7233; the dev server is
 * not running then), history P+1, matching P+2 and the worker service P+6 (their membership ports 300 lower, the
 * frontend's HTTP API on P+10, as in Temporal's samples), the Web UI on CLUSTER_UI_PORT, PostgreSQL on
 * CLUSTER_POSTGRES_PORT, Prometheus on CLUSTER_PROMETHEUS_PORT, and metrics from CLUSTER_METRICS_PORT_BASE (B):
 * Temporal's services B+1..B+4, worker n's SDK metrics B+100+n and its own B+200+n, the HTTP API's B+300
 * (HTTP_METRICS_ADDRESS). Everything listens on 127.0.0.1.
 */
import path from 'node:path';
import type { Config } from '../../config/env.ts';
import { hostPort, isLoopbackHost, splitHostPort } from '../../net/hosts.ts';
import { projectRoot } from '../temporal-tools.ts';

/** Temporal's services, one process each, history first: the order they start in (cluster.ts). */
export const TEMPORAL_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface ServicePorts {
  grpc: number;
  membership: number;
  metrics: number;
  http: number;
}

export interface ClusterLayout {
  /** `<data>/cluster`: PostgreSQL (unless relocated), the generated configs, Prometheus, the simulator's state. */
  dir: string;
  temporalRoot: string;
  temporalAddress: string;
  temporal: Record<TemporalService, ServicePorts>;
  uiPort: number;
  postgresPort: number;
  prometheusPort: number;
  workers: Array<{ index: number; sdkMetrics: string; appMetrics: string }>;
  /** Where the simulator listens, when OZMAP_URL is on loopback; undefined when OZmap is real. */
  simulator?: { host: string; port: number };
  httpAddress: string;
  /** The HTTP API's metrics listener (never its own port: docs/deployment.md, "Metrics and alerts"). */
  apiMetrics: string;
}

const OFFSETS: Record<TemporalService, { grpc: number; metrics: number }> = {
  frontend: { grpc: 0, metrics: 1 },
  history: { grpc: 1, metrics: 2 },
  matching: { grpc: 2, metrics: 3 },
  worker: { grpc: 6, metrics: 4 },
};

/** Throws naming the variable when the configuration does not fit a cluster on this machine. */
export function clusterLayout(config: Config, dataDir = defaultDataDir()): ClusterLayout {
  const { host, port = 7233 } = splitHostPort(config.temporal.address);
  if (!isLoopbackHost(host)) {
    throw new Error(
      `TEMPORAL_ADDRESS=${config.temporal.address}: npm run start:cluster runs the Temporal services on this ` +
        'machine, on loopback; set TEMPORAL_ADDRESS=127.0.0.1:<port> (or unset it for 127.0.0.1:7233).',
    );
  }
  if (port < 400 || port > 65_520) {
    throw new Error(`TEMPORAL_ADDRESS=${config.temporal.address}: the port must be 400-65520 (P-300..P+10 are used)`);
  }
  const { metricsPortBase: base } = config.cluster;
  const temporal = Object.fromEntries(
    Object.entries(OFFSETS).map(([name, o]) => [
      name,
      { grpc: port + o.grpc, membership: port - 300 + o.grpc, metrics: base + o.metrics, http: port + 10 },
    ]),
  ) as Record<TemporalService, ServicePorts>;
  const ozmap = new URL(config.ozmap.url);
  const dir = path.join(dataDir, 'cluster');
  return {
    dir,
    temporalRoot: path.join(dir, 'temporal'),
    temporalAddress: hostPort('127.0.0.1', port),
    temporal,
    uiPort: config.cluster.uiPort,
    postgresPort: config.cluster.postgresPort,
    prometheusPort: config.cluster.prometheusPort,
    workers: Array.from({ length: config.cluster.workers }, (_, i) => ({
      index: i + 1,
      sdkMetrics: `127.0.0.1:${base + 101 + i}`,
      appMetrics: `127.0.0.1:${base + 201 + i}`,
    })),
    simulator: isLoopbackHost(ozmap.hostname)
      ? { host: '127.0.0.1', port: Number(ozmap.port || (ozmap.protocol === 'https:' ? 443 : 80)) }
      : undefined,
    httpAddress: hostPort('127.0.0.1', config.http.port),
    apiMetrics: `127.0.0.1:${base + 300}`,
  };
}

/** As `npm start`: ISPBOX_OZMAP_DATA_DIR, else `.data/` in the clone. */
export function defaultDataDir(): string {
  return process.env.ISPBOX_OZMAP_DATA_DIR ?? path.join(projectRoot, '.data');
}
