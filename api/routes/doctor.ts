/**
 * GET /v1/doctor: the `ozres doctor` report over HTTP, behind the API key (it names hosts and configuration).
 * 200 when everything a sale needs holds, 503 with the same report when a check fails, so that a monitor can use
 * the status alone. `?ozmap=true` adds the read-only OZmap conformance; the write test is CLI only.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config/env.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import { runDoctor, type DoctorReport } from '../../doctor/index.ts';
import { upstreamOnWorker } from '../../doctor/via-worker.ts';
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

/**
 * How long a report answers again: a monitor polling, or a flood, costs one doctor run per kind in this time, not one
 * per request (a run is a dozen OZmap calls, a geocoder call and Temporal connections).
 */
export const DOCTOR_CACHE_MS = 30_000;

export const doctorRoutes: FastifyPluginAsyncZod<{
  config: Pick<Config, 'http'>;
  reservations: Pick<ReservationsClient, 'client'>;
  run?: DoctorRunner;
}> = (app, { config, reservations, run }) => {
  app.addHook('onRequest', bearerAuth(config.http.ispboxApiKey));
  // OZmap and the geocoder are checked by a worker, which holds their keys (this process needs neither).
  const doctor = cachedRunner(
    run ??
      ((options) =>
        runDoctor({
          env: process.env,
          role: 'api',
          ozmap: options.ozmap,
          upstream: upstreamOnWorker(reservations.client),
        })),
  );
  app.get(
    '/v1/doctor',
    {
      schema: {
        operationId: 'runDoctor',
        summary: 'Check that everything a sale needs holds (as `ozres doctor`)',
        description:
          'Configuration, Temporal (reachable, credentials, namespace, search attributes, a worker), OZmap (https, ' +
          'key, projects) and the geocoder; with `ozmap=true` also the read-only OZmap conformance. ' +
          '200 when no check fails, 503 with the same report otherwise. Secrets never appear in it. OZmap and the ' +
          'geocoder are checked by a worker (which holds their keys); a report is reused for 30 s.',
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

/** One run per kind at a time, its report (whatever it says) kept DOCTOR_CACHE_MS from when it came. */
export function cachedRunner(run: DoctorRunner, now: () => number = Date.now): DoctorRunner {
  const kept = new Map<boolean, { at: number; report: Promise<DoctorReport> }>();
  return (options) => {
    const entry = kept.get(options.ozmap);
    if (entry && now() - entry.at < DOCTOR_CACHE_MS) return entry.report;
    const fresh = { at: Infinity, report: run(options) };
    fresh.report.then(
      () => (fresh.at = now()),
      () => kept.delete(options.ozmap), // a run that threw is not kept: the next request tries again
    );
    kept.set(options.ozmap, fresh);
    return fresh.report;
  };
}
