/**
 * The HTTP API's request metrics (docs/deployment.md, "Metrics and alerts"): requests by method, route (the route
 * pattern, never the raw URL with its ids or signed query) and status, and their latency. One registry per server,
 * so several servers in one process (the tests) do not collide. They show business volume, so they are served only
 * where configuration says (api/server.ts, api/main.ts): never open on the API's port. `tenant` is the tenant whose
 * key the request was authenticated with (`default`: ISPBOX_API_KEY), `none` when no tenant's key was accepted (a 401,
 * the health and admin routes): a key nobody holds never makes a label value of its own.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRICS_PATH = '/metrics';

/** The `tenant` of a request no tenant's key authenticated. */
export const NO_TENANT = 'none';

export interface ApiMetrics {
  registry: Registry;
  /** Counts every request of the instance it is registered on (the root: it sees every route). */
  plugin: FastifyPluginAsync;
  /** Answers GET /metrics with the registry's text. */
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<string>;
}

export function createApiMetrics(): ApiMetrics {
  const started = new WeakMap<FastifyRequest, number>();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ozres_api_' });
  const registers = [registry];
  const requests = new Counter({
    name: 'ozres_api_requests_total',
    help: "HTTP API requests by method, route, status code and the caller's tenant",
    labelNames: ['method', 'route', 'status', 'tenant'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'ozres_api_request_duration_seconds',
    help: 'HTTP API request latency (POST /v1/reservations waits for the reservation, up to HTTP_WAIT_SECONDS)',
    labelNames: ['method', 'route', 'tenant'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
    registers,
  });
  const plugin: FastifyPluginAsync = (app: FastifyInstance) => {
    app.addHook('onRequest', (request, _reply, done) => {
      started.set(request, performance.now());
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      const t0 = started.get(request);
      const route = request.routeOptions.url ?? 'unmatched';
      if (route !== METRICS_PATH) {
        // Set by callerAuth once a key was accepted (api/callers.ts): the registry's tenants only.
        const tenant = request.caller?.tenantId ?? NO_TENANT;
        requests.inc({ method: request.method, route, status: String(reply.statusCode), tenant });
        if (t0 !== undefined)
          duration.observe({ method: request.method, route, tenant }, (performance.now() - t0) / 1000);
      }
      done();
    });
    return Promise.resolve();
  };
  return {
    registry,
    // skip-override (what fastify-plugin sets): registered on the root, its hooks see every route.
    plugin: Object.assign(plugin, { [Symbol.for('skip-override')]: true }),
    handler: async (_request, reply) => {
      void reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  };
}
