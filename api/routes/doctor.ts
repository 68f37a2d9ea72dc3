/**
 * GET /v1/doctor: the `ozres doctor` report over HTTP, behind an API key (it names hosts and configuration).
 * 200 when everything a sale needs holds, 503 with the same report when a check fails, so that a monitor can use
 * the status alone. `?ozmap=true` adds the read-only OZmap conformance; the write test is CLI only. A tenant's key
 * gets its tenant's report (`ozres doctor --tenant <id>`: its OZmap, settings, webhook and keys beside the
 * deployment's lines), never another's; ISPBOX_API_KEY gets the environment's, as before tenants.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ReservationsClient } from '../../client/reservations.ts';
import { DEFAULT_TENANT_ID } from '../../contract/ids.ts';
import { runDoctor, type DoctorReport } from '../../doctor/index.ts';
import type { TenantLookup } from '../../doctor/tenant-checks.ts';
import { upstreamOnWorker } from '../../doctor/via-worker.ts';
import { callerAuth, callerOf, type Authenticate } from '../callers.ts';
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
    tenant: z
      .string()
      .optional()
      .meta({ description: "The caller's tenant, for a tenant's key; absent for ISPBOX_API_KEY (the environment's)" }),
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

/** `tenantId`: a tenant other than `default`, whose key called; absent for the environment's. */
export type DoctorRunner = (options: { ozmap: boolean; tenantId?: string }) => Promise<DoctorReport>;

/**
 * How long a report answers again: a monitor polling, or a flood, costs one doctor run per kind in this time, not one
 * per request (a run is a dozen OZmap calls, a geocoder call and Temporal connections).
 */
export const DOCTOR_CACHE_MS = 30_000;

export const doctorRoutes: FastifyPluginAsyncZod<{
  reservations: Pick<ReservationsClient, 'client'>;
  /** Who a key speaks for (api/callers.ts): ISPBOX_API_KEY the environment, a tenant's key its tenant. */
  authenticate: Authenticate;
  /** Where a tenant's entry is read (its settings, webhook, keys); absent, there are no tenants but `default`. */
  registry?: TenantLookup;
  run?: DoctorRunner;
}> = (app, { reservations, authenticate, registry, run }) => {
  app.addHook('onRequest', callerAuth(authenticate));
  // OZmap and the geocoder are checked by a worker, which holds their keys (this process needs neither).
  const doctor = cachedRunner(
    run ??
      ((options) =>
        runDoctor({
          env: process.env,
          role: 'api',
          ozmap: options.ozmap,
          upstream: upstreamOnWorker(reservations.client),
          ...(options.tenantId === undefined ? {} : { tenant: options.tenantId, registry }),
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
          "geocoder are checked by a worker (which holds their keys); a report is reused for 30 s. A tenant's key " +
          "gets its own tenant's report (as `ozres doctor --tenant <id>`): its OZmap, settings, webhook and keys.",
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
      const { tenantId } = callerOf(request);
      const report = await doctor({
        ozmap: request.query.ozmap === 'true',
        ...(tenantId === DEFAULT_TENANT_ID ? {} : { tenantId }),
      });
      return reply.code(report.ok ? 200 : 503).send(report);
    },
  );
  return Promise.resolve();
};

/**
 * One run per kind and tenant at a time, its report (whatever it says) kept DOCTOR_CACHE_MS from when it came. The
 * tenants are those of authenticated keys, so the entries are bounded by the registry.
 */
export function cachedRunner(run: DoctorRunner, now: () => number = Date.now): DoctorRunner {
  const kept = new Map<string, { at: number; report: Promise<DoctorReport> }>();
  return (options) => {
    const key = `${options.tenantId ?? DEFAULT_TENANT_ID}:${options.ozmap}`;
    const entry = kept.get(key);
    if (entry && now() - entry.at < DOCTOR_CACHE_MS) return entry.report;
    const fresh = { at: Infinity, report: run(options) };
    fresh.report.then(
      () => (fresh.at = now()),
      () => kept.delete(key), // a run that threw is not kept: the next request tries again
    );
    kept.set(key, fresh);
    return fresh.report;
  };
}
