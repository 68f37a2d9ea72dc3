/** GET /healthz: is Temporal reachable, is a worker polling the task queue. Unauthenticated; touches no workflow. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config/env.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import { HealthBody, json } from '../schemas.ts';

const HEALTH_TIMEOUT_MS = 3000;

export const healthRoutes: FastifyPluginAsyncZod<{
  reservations: ReservationsClient;
  config: Pick<Config, 'temporal'>;
}> = (app, { reservations, config }) => {
  app.get(
    '/healthz',
    {
      schema: {
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
      try {
        const pollers = await reservations.within(AbortSignal.timeout(HEALTH_TIMEOUT_MS), () => reservations.pollers());
        if (pollers.length === 0) {
          return reply.code(503).send({
            status: 'no-worker',
            temporal: { reachable: true, ...temporal },
            workers: 0,
            message: 'no worker polls the task queue: start one (npm run worker)',
          });
        }
        return reply
          .code(200)
          .send({ status: 'ok', temporal: { reachable: true, ...temporal }, workers: pollers.length });
      } catch {
        return reply.code(503).send({
          status: 'temporal-unreachable',
          temporal: { reachable: false, ...temporal },
          workers: 0,
          message: 'Temporal did not answer',
        });
      }
    },
  );
  return Promise.resolve();
};
