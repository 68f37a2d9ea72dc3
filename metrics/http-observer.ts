/**
 * OZmap and geocoder request metrics without touching their clients: undici publishes every request on Node's
 * diagnostics channels, and the requests are told apart by origin: the environment's OZmap and each tenant's, as
 * the worker makes their clients (`watchOzmap`). An OZmap request is counted for the tenant of the activity that
 * made it (`activityTenant`; `default` outside one), so two tenants sharing one OZmap are still told apart. Paths
 * are reduced to routes (ids become `:id`) so the label set stays small; query strings (which may carry keys) are
 * never read.
 */
import diagnostics from 'node:diagnostics_channel';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import { activityTenant } from './activity-interceptor.ts';
import type { WorkerMetrics } from './worker.ts';

interface UndiciRequest {
  origin?: string | URL;
  method?: string;
  path?: string;
}

/** `/api/v2/properties/65a1f…` → `/api/v2/properties/:id`; long hex, numbers and uuids are ids. */
export function routeOf(path: string): string {
  const bare = path.split('?')[0] ?? '/';
  return bare
    .split('/')
    .map((part) => (/^([0-9a-f]{12,}|\d+|[0-9a-f-]{36})$/i.test(part) ? ':id' : part))
    .join('/');
}

const originOf = (value: string | URL | undefined) => {
  try {
    return value === undefined ? undefined : new URL(String(value)).origin;
  } catch {
    return undefined;
  }
};

export interface HttpObserver {
  /** Counts requests to this OZmap too (a tenant's, as its client is made). */
  watchOzmap(url: string): void;
  stop(): void;
}

/** Starts observing the environment's OZmap and the geocoder. */
export function observeHttpClients(
  metrics: WorkerMetrics,
  targets: { ozmapUrl: string; geocoderUrl: string },
): HttpObserver {
  const ozmaps = new Set([originOf(targets.ozmapUrl)].filter((o): o is string => o !== undefined));
  const geocoder = originOf(targets.geocoderUrl);
  const started = new WeakMap<object, { t0: number; tenant: string }>();
  const record = (request: UndiciRequest, outcome: string) => {
    const start = started.get(request);
    if (start === undefined) return;
    started.delete(request);
    const seconds = (performance.now() - start.t0) / 1000;
    const origin = originOf(request.origin);
    const path = request.path ?? '/';
    const isOzmap = origin !== undefined && ozmaps.has(origin);
    // The simulator answers both APIs on one origin: its geocoder is /search.
    const isGeocoder = origin === geocoder && (!isOzmap || routeOf(path).startsWith('/search'));
    if (isGeocoder) {
      metrics.geocoderRequests.inc({ outcome });
      metrics.geocoderDuration.observe({ outcome }, seconds);
    } else if (isOzmap) {
      const labels = { method: request.method ?? 'GET', route: routeOf(path), outcome, tenant: start.tenant };
      metrics.ozmapRequests.inc(labels);
      metrics.ozmapDuration.observe(labels, seconds);
    }
  };
  const onCreate = (message: unknown) => {
    const { request } = message as { request: UndiciRequest };
    const origin = originOf(request.origin);
    if (origin !== undefined && (ozmaps.has(origin) || origin === geocoder))
      // Published in the caller's async context: the activity's, whose tenant it is.
      started.set(request, { t0: performance.now(), tenant: activityTenant.getStore() ?? DEFAULT_TENANT_ID });
  };
  const onHeaders = (message: unknown) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    record(request, `${Math.floor(response.statusCode / 100)}xx`);
  };
  const onError = (message: unknown) => record((message as { request: UndiciRequest }).request, 'error');
  diagnostics.subscribe('undici:request:create', onCreate);
  diagnostics.subscribe('undici:request:headers', onHeaders);
  diagnostics.subscribe('undici:request:error', onError);
  return {
    watchOzmap(url) {
      const origin = originOf(url);
      if (origin !== undefined) ozmaps.add(origin);
    },
    stop() {
      diagnostics.unsubscribe('undici:request:create', onCreate);
      diagnostics.unsubscribe('undici:request:headers', onHeaders);
      diagnostics.unsubscribe('undici:request:error', onError);
    },
  };
}
