/**
 * OZmap and geocoder request metrics without touching their clients: undici publishes every request on Node's
 * diagnostics channels, and the requests are told apart by origin. Paths are reduced to routes (ids become `:id`)
 * so the label set stays small; query strings (which may carry keys) are never read.
 */
import diagnostics from 'node:diagnostics_channel';
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

/** Starts observing; returns a function that stops. */
export function observeHttpClients(
  metrics: WorkerMetrics,
  targets: { ozmapUrl: string; geocoderUrl: string },
): () => void {
  const ozmap = originOf(targets.ozmapUrl);
  const geocoder = originOf(targets.geocoderUrl);
  const started = new WeakMap<object, number>();
  const record = (request: UndiciRequest, outcome: string) => {
    const t0 = started.get(request);
    if (t0 === undefined) return;
    started.delete(request);
    const seconds = (performance.now() - t0) / 1000;
    const origin = originOf(request.origin);
    const path = request.path ?? '/';
    // The simulator answers both APIs on one origin: its geocoder is /search.
    const isGeocoder = origin === geocoder && (origin !== ozmap || routeOf(path).startsWith('/search'));
    if (isGeocoder) {
      metrics.geocoderRequests.inc({ outcome });
      metrics.geocoderDuration.observe({ outcome }, seconds);
    } else if (origin === ozmap) {
      const labels = { method: request.method ?? 'GET', route: routeOf(path), outcome };
      metrics.ozmapRequests.inc(labels);
      metrics.ozmapDuration.observe(labels, seconds);
    }
  };
  const onCreate = (message: unknown) => {
    const { request } = message as { request: UndiciRequest };
    const origin = originOf(request.origin);
    if (origin === ozmap || origin === geocoder) started.set(request, performance.now());
  };
  const onHeaders = (message: unknown) => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    record(request, `${Math.floor(response.statusCode / 100)}xx`);
  };
  const onError = (message: unknown) => record((message as { request: UndiciRequest }).request, 'error');
  diagnostics.subscribe('undici:request:create', onCreate);
  diagnostics.subscribe('undici:request:headers', onHeaders);
  diagnostics.subscribe('undici:request:error', onError);
  return () => {
    diagnostics.unsubscribe('undici:request:create', onCreate);
    diagnostics.unsubscribe('undici:request:headers', onHeaders);
    diagnostics.unsubscribe('undici:request:error', onError);
  };
}
