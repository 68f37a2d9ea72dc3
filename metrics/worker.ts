/**
 * The worker's own metrics (docs/deployment.md, "Metrics and alerts"), beside the SDK runtime's, which the Temporal
 * runtime serves on WORKER_METRICS_ADDRESS. These are served on WORKER_APP_METRICS_ADDRESS, prefixed `ozres_`.
 * Nothing here imports workflows/: the workflow side reports through a sink (workflow-interceptor.ts).
 */
import { fileURLToPath } from 'node:url';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Bundled into the workflow code (Worker `interceptors.workflowModules`, or `npm run build`). */
export const WORKFLOW_METRICS_INTERCEPTOR = fileURLToPath(new URL('./workflow-interceptor.ts', import.meta.url));

/**
 * The `tenant` label (docs/operations.md, "Metrics and alerts"): whose work it was, `default` for the environment's.
 * Its values come from workflow ids and activity inputs the HTTP API made for an authenticated key, so they are
 * bounded by the registry; nothing a caller sends becomes a label value.
 */
export const TENANT_LABEL = 'tenant';

/** Seconds; OZmap answers in tens of milliseconds when healthy, its timeout is 15 s. */
const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15];

export function createWorkerMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'ozres_worker_' });
  const registers = [registry];
  return {
    registry,
    reservationsStarted: new Counter({
      name: 'ozres_reservations_started_total',
      help: 'Reservation workflows started (first run, not continued-as-new or replayed), by tenant',
      labelNames: ['tenant'] as const,
      registers,
    }),
    reservationsFinished: new Counter({
      name: 'ozres_reservations_finished_total',
      help: 'Reservation workflows finished, by final status (FAILED: the workflow failed) and tenant',
      labelNames: ['status', 'tenant'] as const,
      registers,
    }),
    ozmapRequests: new Counter({
      name: 'ozres_ozmap_requests_total',
      help: 'HTTP requests to OZmap by route, outcome (2xx, 4xx, 5xx, error) and tenant (whose OZmap)',
      labelNames: ['method', 'route', 'outcome', 'tenant'] as const,
      registers,
    }),
    ozmapDuration: new Histogram({
      name: 'ozres_ozmap_request_duration_seconds',
      help: 'Time to the response headers of OZmap requests (or to the error), by tenant',
      labelNames: ['method', 'route', 'outcome', 'tenant'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    geocoderRequests: new Counter({
      name: 'ozres_geocoder_requests_total',
      help: 'HTTP requests to the geocoder by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    geocoderDuration: new Histogram({
      name: 'ozres_geocoder_request_duration_seconds',
      help: 'Time to the response headers of geocoder requests',
      labelNames: ['outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    portConflicts: new Counter({
      name: 'ozres_port_conflicts_total',
      help: 'Reservations OZmap refused because the port was taken meanwhile (the workflow moves on), by tenant',
      labelNames: ['tenant'] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'ozres_webhook_deliveries_total',
      help: 'Webhook POSTs to Ispbox by outcome (2xx acknowledged; 4xx, 5xx and error are retried) and tenant',
      labelNames: ['outcome', 'tenant'] as const,
      registers,
    }),
    settleFailures: new Counter({
      name: 'ozres_settle_failures_total',
      help: 'Confirm or release attempts that failed, by activity, whether Temporal retries them, and tenant',
      labelNames: ['activity', 'retryable', 'tenant'] as const,
      registers,
    }),
    activities: new Counter({
      name: 'ozres_activities_total',
      help: 'Activity attempts by activity type, outcome (completed, failed) and tenant',
      labelNames: ['activity', 'outcome', 'tenant'] as const,
      registers,
    }),
    activityDuration: new Histogram({
      name: 'ozres_activity_duration_seconds',
      help: 'Time an activity attempt ran on this worker, by activity type and tenant',
      labelNames: ['activity', 'tenant'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    settling: new Gauge({
      name: 'ozres_reservations_settling',
      help: 'Running reservations in CONFIRMING or RELEASING (from visibility; stuck ones stay here)',
      labelNames: ['status'] as const,
      registers,
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
