/**
 * GET /v1/doctor: the `ozres doctor` report over HTTP, behind the API key (it names hosts and configuration).
 * 200 when everything a sale needs holds, 503 with the same report when a check fails, so that a monitor can use
 * the status alone. `?ozmap=true` adds the read-only OZmap conformance; the write test is CLI only.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config/env.ts';
import { runDoctor, type DoctorReport } from '../../doctor/index.ts';
import { bearerAuth } from '../auth.ts';
import { errorResponses, json } from '../schemas.ts';

export const DoctorCheckBody = z
  .object({
    id: z.string().meta({ description: 'Stable id, `<area>.<fact>`, e.g. "temporal.worker"' }),
    title: z.string(),
    status: z.enum(['pass', 'fail', 'warn']).meta({ description: 'pass ✓, fail ✗, warn ! (works; look)' }),
    finding: z.string(),
    fix: z.string().optional(),
    reference: z.string().optional().meta({ description: 'Where the fact is documented, e.g. OZmap fact O5' }),
  })
  .meta({ id: 'DoctorCheck' });

export const DoctorReportBody = z
  .object({
    ok: z.boolean().meta({ description: 'True when no check failed' }),
    checks: z.array(DoctorCheckBody),
    summary: z.object({ pass: z.number().int(), fail: z.number().int(), warn: z.number().int() }),
  })
  .meta({ id: 'DoctorReport', description: 'One entry per check, as `ozres doctor --json` prints it.' });

const DoctorQuery = z.strictObject({
  ozmap: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .meta({ description: 'Add the read-only OZmap conformance checks' }),
});

export type DoctorRunner = (options: { ozmap: boolean }) => Promise<DoctorReport>;

export const doctorRoutes: FastifyPluginAsyncZod<{ config: Pick<Config, 'http'>; run?: DoctorRunner }> = (
  app,
  { config, run },
) => {
  app.addHook('onRequest', bearerAuth(config.http.ispboxApiKey));
  const doctor: DoctorRunner = run ?? ((options) => runDoctor({ env: process.env, ozmap: options.ozmap }));
  app.get(
    '/v1/doctor',
    {
      schema: {
        operationId: 'runDoctor',
        summary: 'Check that everything a sale needs holds (as `ozres doctor`)',
        description:
          'Configuration, Temporal (reachable, credentials, namespace, search attributes, a worker), OZmap (https, ' +
          'key, projects) and the geocoder; with `ozmap=true` also the read-only OZmap conformance. ' +
          '200 when no check fails, 503 with the same report otherwise. Secrets never appear in it.',
        tags: ['health'],
        security: [{ bearer: [] }],
        querystring: DoctorQuery,
        response: {
          200: json(DoctorReportBody, 'Every check passes (warnings allowed): ready for a sale'),
          503: json(DoctorReportBody, 'At least one check failed: the report names it and its fix'),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request, reply) => {
      const report = await doctor({ ozmap: request.query.ozmap === 'true' });
      return reply.code(report.ok ? 200 : 503).send(report);
    },
  );
  return Promise.resolve();
};
