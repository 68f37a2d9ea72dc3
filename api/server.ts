/**
 * The HTTP API for systems that are not TypeScript (Ispbox 2 above all): fastify with the contract's zod schemas,
 * an OpenAPI 3.1 document generated from them (/openapi.json) and a docs page (/docs) served from node_modules.
 * Every route goes through ReservationsClient, the one way in.
 */
import { METRICS_PATH, createApiMetrics, type ApiMetrics } from '../metrics/api.ts';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import type { Config } from '../config/env.ts';
import { InvalidInputError } from '../client/errors.ts';
import type { ReservationsClient } from '../client/reservations.ts';
import type { BatchesClient } from '../client/batches.ts';
import { bearerAuth } from './auth.ts';
import { tenantCallers } from './callers.ts';
import { BODY_LIMIT_BYTES, clientErrorHandler, connectionLimits } from './connection-limits.ts';
import { toHttpProblem } from './errors.ts';
import { parseJsonBody } from './json-body.ts';
import { openapiTransforms } from './openapi.ts';
import { answerUnmatched } from './unmatched.ts';
import type { TenantRegistry } from '../registry/registry.ts';
import { adminRoutes } from './routes/admin.ts';
import { ensureWaitlistSchedule } from '../client/waitlist-schedule.ts';
import { batchRoutes } from './routes/batches.ts';
import { batchMapPage } from './batch-map-page.ts';
import { doctorRoutes, type DoctorRunner } from './routes/doctor.ts';
import { healthRoutes } from './routes/health.ts';
import { reservationRoutes } from './routes/reservations.ts';
import { sketchRoutes } from './routes/sketch.ts';
import { viabilityPage } from './viability-page.ts';

export interface HttpServerOptions {
  reservations: ReservationsClient;
  config: Pick<Config, 'http' | 'temporal'> & Partial<Config>;
  /** fastify's logger: a pino instance, or false (tests). */
  logger?: FastifyServerOptions['loggerInstance'] | false;
  /** GET /v1/doctor's run (tests inject one); default: runDoctor on process.env. */
  doctor?: DoctorRunner;
  /** The request metrics to count into (api/main.ts serves them on a listener of their own); default: new ones. */
  metrics?: ApiMetrics;
  /** The tenant registry (docs/tenants.md): with ADMIN_API_KEY, the admin API under /v1/admin/ is served. */
  registry?: TenantRegistry;
  /** Batch feasibility (docs/demand.md): with it, /v1/feasibility/batches and the batch map page are served. */
  batches?: BatchesClient;
}

export { BODY_LIMIT_BYTES };

/** What a request part is called when a problem is with the part as a whole. */
const WHOLE: Record<string, string> = {
  body: '(body)',
  querystring: '(query)',
  params: '(path)',
  headers: '(headers)',
};

/**
 * Validates each request part with its zod schema and reports problems the way the client library does
 * (InvalidInputError: `{ field, message }`), naming query and path parameters by their own names, unknown ones too.
 */
const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart = 'body' }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const whole = WHOLE[httpPart] ?? `(${httpPart})`;
    return { error: InvalidInputError.fromZod(result.error, '', { whole, keysByName: httpPart !== 'body' }) };
  };

/** Path parameters up to this length reach their route (and its validation); longer ones match no route. */
const MAX_PARAM_LENGTH = 500;

/** The hash of the one inline style swagger-ui's bundle applies. */
const SWAGGER_UI_STYLE = 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w=';

export async function buildHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    ...connectionLimits(options.config.http),
    clientErrorHandler,
    bodyLimit: BODY_LIMIT_BYTES,
    // Long enough for zod to say what is wrong with an over-long viability id, rather than a bare 404.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Malformed URLs and the like: the same error shape as everything else.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const problem = toHttpProblem(error);
      void reply.code(problem.statusCode).send(problem.body);
    },
  }).withTypeProvider<ZodTypeProvider>();

  // An answer sent before the body was read (a refused key or link) closes the connection, rather than leave
  // Node reading a slow body to its end.
  app.addHook('onSend', async (request, reply) => {
    if (!request.raw.complete) void reply.header('connection', 'close');
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((error, request, reply: FastifyReply) => {
    const problem = toHttpProblem(error);
    if (problem.statusCode >= 500) request.log.error({ err: error }, problem.message);
    return reply.code(problem.statusCode).headers(problem.headers).send(problem.body);
  });
  // Unknown paths (404) and methods a path does not have (405), answered before any body is read.
  answerUnmatched(app, { maxParamLength: MAX_PARAM_LENGTH });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ispbox 2 ⇄ OZmap port reservations',
        version: '1.0.0',
        description:
          'Reserve a free splitter port in OZmap for an Ispbox viability, durably on Temporal: ' +
          'create (update-with-start), read, select a box (manual mode), move it to another box, extend its hold, ' +
          'confirm the sale, cancel, list. ' +
          'Every route but /healthz, /openapi.json and /docs needs `Authorization: Bearer <ISPBOX_API_KEY>`.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: "A tenant's Ispbox API key (ISPBOX_API_KEY: default)",
          },
          admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_API_KEY (the admin API, /v1/admin/)' },
        },
      },
    },
    ...openapiTransforms(),
  });
  // Swagger UI's files are all served from /docs itself: nothing from elsewhere, never framed. Its one inline
  // style (its bundle's, by hash; a swagger-ui upgrade may change it, which the browser test sees) is allowed.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP:
      `default-src 'self'; script-src 'self'; script-src-attr 'none'; style-src 'self' '${SWAGGER_UI_STYLE}'; ` +
      "img-src 'self' data:; " +
      "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; " +
      "frame-ancestors 'none'",
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  // Request metrics for Prometheus (docs/deployment.md). Served on this port only behind METRICS_TOKEN, and only
  // when they have no listener of their own (HTTP_METRICS_ADDRESS, api/main.ts); else /metrics is no route here.
  const metrics = options.metrics ?? createApiMetrics();
  await app.register(metrics.plugin);
  const { token: metricsToken, address: metricsAddress } = options.config.http.metrics ?? {};
  if (metricsToken && !metricsAddress) {
    app.get(
      METRICS_PATH,
      { schema: { hide: true }, onRequest: bearerAuth(metricsToken, 'METRICS_TOKEN') },
      metrics.handler,
    );
  }
  await app.register(healthRoutes, { reservations: options.reservations, config: options.config });
  // Who a key speaks for: ISPBOX_API_KEY the `default` tenant; with a registry, each tenant's keys their tenant.
  const callers = tenantCallers({
    reservations: options.reservations,
    ispboxApiKey: options.config.http.ispboxApiKey,
    registry: options.registry,
    defaultName: options.config.registry?.defaultTenantName,
  });
  await app.register(reservationRoutes, {
    reservations: options.reservations,
    authenticate: callers.byKey,
    config: options.config,
  });
  // The installer's sketch (SVG, PDF): the same keys and tenants as the reservation routes.
  await app.register(sketchRoutes, { authenticate: callers.byKey, config: options.config });
  await app.register(doctorRoutes, {
    reservations: options.reservations,
    authenticate: callers.byKey,
    registry: options.registry,
    run: options.doctor,
  });
  if (options.batches) {
    // The same keys and tenants as the reservation routes; the map page, like the viability page, signed links.
    await app.register(batchRoutes, { batches: options.batches, authenticate: callers.byKey, config: options.config });
    await app.register(batchMapPage, { batches: options.batches, callers, config: options.config });
  }
  const adminApiKey = options.config.registry?.adminApiKey;
  if (options.registry && adminApiKey) {
    const { client, taskQueue } = options.reservations;
    await app.register(adminRoutes, {
      registry: options.registry,
      adminApiKey,
      // docs/demand.md, "The waitlist": a tenant's Schedule follows its prospects and whether it is enabled.
      waitlist: async (tenant) => {
        const { enabled, everyDays } = tenant.settings.prospects;
        await ensureWaitlistSchedule(client, {
          tenantId: tenant.id,
          enabled: tenant.enabled && enabled,
          everyDays,
          taskQueue,
        });
      },
    });
  }
  // The map page authenticates its own routes with signed links (the browser never holds the API key).
  await app.register(viabilityPage, {
    reservations: options.reservations,
    callers,
    config: options.config,
    waitSeconds: options.config.http.waitSeconds,
  });
  return app;
}
