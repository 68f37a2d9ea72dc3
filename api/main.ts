/**
 * `npm run http`: the HTTP API on HTTP_HOST:HTTP_PORT (default 127.0.0.1:3000). It starts and answers /healthz
 * while Temporal is down (lazy connection; 503 until it is back), and stops cleanly on SIGINT/SIGTERM.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { loadConfigOrExit, type Config } from '../config/env.ts';
import { hostPort } from '../net/hosts.ts';
import { ReservationsClient } from '../client/reservations.ts';
import { createApiMetrics } from '../metrics/api.ts';
import { serveMetrics } from '../metrics/server.ts';
import { buildHttpServer } from './server.ts';
import { openRegistry } from '../registry/open.ts';
import { migrate, openRegistryDb } from '../registry/database.ts';
import { BatchStore } from '../registry/batches.ts';
import { BatchesClient, DEFAULT_BATCH_SETTINGS } from '../client/batches.ts';

/** The key never reaches a log line, whatever logs it (headers, config, errors). */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'apiKey',
  '*.apiKey',
  'ispboxApiKey',
  '*.ispboxApiKey',
  '*.*.ispboxApiKey',
];

/** Requests are logged without their query: map-page links carry the customer's data and a signature there. */
const serializers = {
  req: (req: { method?: string; url?: string; ip?: string }) => ({
    method: req.method,
    path: req.url?.split('?')[0],
    remoteAddress: req.ip,
  }),
};

export function createHttpLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ name: 'http', level, redact: { paths: REDACT, censor: '***' }, serializers }, destination);
}

export async function startHttpApi(
  config: Config,
  logger: Logger = createHttpLogger(config.logLevel),
): Promise<{ url: string; close(): Promise<void> }> {
  const reservations = ReservationsClient.lazy(config);
  const metrics = createApiMetrics();
  // Tenants need their secrets' key (docs/tenants.md): without one, the API serves ISPBOX_API_KEY's `default` alone.
  const registry = config.registry.secrets.current ? await openRegistry(config) : undefined;
  // Feasibility batches live in the registry's database (docs/demand.md), whether or not tenants are configured.
  const batchDb = openRegistryDb(config.registry.store);
  await migrate(batchDb);
  const batches = new BatchesClient(new BatchStore(batchDb), reservations.client, config.temporal.taskQueue, {
    ...DEFAULT_BATCH_SETTINGS,
    retentionDays: config.batches.retentionDays,
    // The workers' pace for address rows (BATCH_GEOCODE_INTERVAL_MS); 0, no pace: they go at the rate so far.
    geocoderIntervalMs: config.batches.geocodeIntervalMs || undefined,
  });
  const app = await buildHttpServer({ reservations, config, logger, metrics, registry, batches });
  await app.listen({ host: config.http.host, port: config.http.port });
  // The metrics' own listener (HTTP_METRICS_ADDRESS), behind METRICS_TOKEN when it is set.
  const { address, token } = config.http.metrics;
  const metricsServer = address
    ? await serveMetrics(metrics.registry, address, { token, tokenName: 'METRICS_TOKEN' })
    : undefined;
  const url = `http://${hostPort(config.http.host, config.http.port)}`;
  return {
    url,
    async close() {
      await app.close();
      await metricsServer?.close();
      await reservations.close();
      await registry?.close();
      await batchDb.destroy();
    },
  };
}

export function describeUrls(url: string, config: Config): string {
  const key = config.http.demoKey
    ? `${config.http.ispboxApiKey}, the demo key: set ISPBOX_API_KEY`
    : '<ISPBOX_API_KEY>';
  return [
    `HTTP API          ${url}/v1/reservations  (Authorization: Bearer ${key})`,
    `API docs          ${url}/docs  (OpenAPI: ${url}/openapi.json, health: ${url}/healthz)`,
  ].join('\n  ');
}

async function main(): Promise<void> {
  // The API reaches Temporal only: it starts without the OZmap and geocoder keys (config/roles.ts).
  const config = loadConfigOrExit(process.env, 'api');
  const api = await startHttpApi(config);
  console.log(`\n  ${describeUrls(api.url, config)}\n`);
  const stop = () => {
    api.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) void main();
