/** GET /healthz: is Temporal reachable, is a worker polling the task queue. Unauthenticated; touches no workflow. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config/env.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import { HealthBody, json } from '../schemas.ts';

const HEALTH_TIMEOUT_MS = 3000;
/**
 * How long an answer is reused. The route is unauthenticated, so without this every probe (or a flood) would be a
 * Temporal call; a few seconds is fresh enough for load balancers and orchestrators that probe every 5-10 s.
 */
export const HEALTH_CACHE_MS = 2000;

type Probe = { workers: number } | { unreachable: true };

export const healthRoutes: FastifyPluginAsyncZod<{
  reservations: ReservationsClient;
  config: Pick<Config, 'temporal'>;
}> = (app, { reservations, config }) => {
  // One probe in flight at a time, its answer (success or failure) kept HEALTH_CACHE_MS from when it settled.
  let cached: { at: number; probe: Promise<Probe> } | undefined;
  const probeCached = (): Promise<Probe> => {
    if (cached && Date.now() - cached.at < HEALTH_CACHE_MS) return cached.probe;
    const entry = { at: Infinity, probe: Promise.resolve<Probe>({ unreachable: true }) };
    entry.probe = reservations
      .within(AbortSignal.timeout(HEALTH_TIMEOUT_MS), () => reservations.pollers())
      .then(
        (pollers): Probe => ({ workers: pollers.length }),
        (): Probe => ({ unreachable: true }),
      )
      .finally(() => (entry.at = Date.now()));
    cached = entry;
    return entry.probe;
  };
  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'health',
        summary: 'Health: Temporal reachable and a worker polling',
        tags: ['health'],
        response: {
          200: json(HealthBody, 'Temporal answers and at least one worker polls the task queue'),
          503: json(
            HealthBody,
            'Temporal is unreachable, or no worker polls the task queue (reservations would not progress)',
          ),
        },
      },
    },
    async (_request, reply) => {
      const temporal = { namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue };
      const probe = await probeCached();
      if ('workers' in probe) {
        if (probe.workers === 0) {
          return reply.code(503).send({
            status: 'no-worker',
            temporal: { reachable: true, ...temporal },
            workers: 0,
            message: 'no worker polls the task queue: start one (npm run worker)',
          });
        }
        return reply
          .code(200)
          .send({ status: 'ok', temporal: { reachable: true, ...temporal }, workers: probe.workers });
      }
      return reply.code(503).send({
        status: 'temporal-unreachable',
        temporal: { reachable: false, ...temporal },
        workers: 0,
        message: 'Temporal did not answer',
      });
    },
  );
  return Promise.resolve();
};
