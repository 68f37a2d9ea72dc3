/**
 * What worker/main.ts adds to the worker for observability and upgrades (docs/deployment.md): the metrics registry,
 * the activity interceptor, the workflow interceptor's sink, the OZmap/geocoder request observer, and Worker
 * Deployment versioning when WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID are set.
 */
import type { InjectedSinks, WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config/env.ts';
import { DEFAULT_TENANT_ID, reservationOf } from '../contract/ids.ts';
import { activityMetricsInterceptor } from './activity-interceptor.ts';
import { observeHttpClients } from './http-observer.ts';
import { createWorkerMetrics, WORKFLOW_METRICS_INTERCEPTOR, type WorkerMetrics } from './worker.ts';
import type { ReservationMetricsSinks } from './workflow-interceptor.ts';

export function workerMetricsOptions(config: Pick<Config, 'ozmap' | 'geocoder' | 'worker' | 'workflowBundlePath'>): {
  metrics: WorkerMetrics;
  workerOptions: Partial<WorkerOptions>;
  /** Counts a tenant's OZmap requests too (worker/tenants.ts calls it as it makes the tenant's client). */
  watchOzmap(url: string): void;
  stop(): void;
} {
  const metrics = createWorkerMetrics();
  const observer = observeHttpClients(metrics, { ozmapUrl: config.ozmap.url, geocoderUrl: config.geocoder.url });
  // The reservation's tenant is in its workflow id (contract/ids.ts), which the API made for an authenticated key.
  const tenantOf = (workflowId: string) => reservationOf(workflowId)?.tenantId ?? DEFAULT_TENANT_ID;
  const sinks: InjectedSinks<ReservationMetricsSinks> = {
    reservationMetrics: {
      started: { fn: (info) => metrics.reservationsStarted.inc({ tenant: tenantOf(info.workflowId) }) },
      finished: {
        fn: (info, status) => metrics.reservationsFinished.inc({ status, tenant: tenantOf(info.workflowId) }),
      },
    },
  };
  const { deployment } = config.worker;
  return {
    metrics,
    watchOzmap: (url) => observer.watchOzmap(url),
    stop: () => observer.stop(),
    workerOptions: {
      sinks,
      interceptors: {
        activity: [activityMetricsInterceptor(metrics)],
        // A pre-built bundle carries the interceptor already (npm run build, the cluster's bundle).
        ...(config.workflowBundlePath ? {} : { workflowModules: [WORKFLOW_METRICS_INTERCEPTOR] }),
      },
      ...(deployment
        ? {
            workerDeploymentOptions: {
              useWorkerVersioning: true,
              version: deployment,
              // Reservations live 30 days: pinned ones would keep every old build running for a month, so they move
              // to the current version at their next task, and behaviour changes are guarded with patched().
              defaultVersioningBehavior: 'AUTO_UPGRADE',
            },
          }
        : {}),
    },
  };
}
