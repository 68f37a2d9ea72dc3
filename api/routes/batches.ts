/**
 * /v1/feasibility/batches: batch feasibility for the expansion team (docs/demand.md), one tenant's at a time (the key
 * names it; another tenant's batch is a 404, as an unknown one is).
 *
 *   POST   /v1/feasibility/batches?radiusMeters&prospects   text/csv → 202 { batchId, status, total, … }
 *   GET    /v1/feasibility/batches?limit&before              200 the tenant's batches, newest first
 *   GET    /v1/feasibility/batches/{batchId}                  200 progress, etaSeconds, links (the map: signed)
 *   GET    /v1/feasibility/batches/{batchId}/results.csv      200 one row per input row, in input order; 409 running
 *   GET    /v1/feasibility/batches/{batchId}/results.geojson  200 a Point per row with coordinates; 409 running
 *   DELETE /v1/feasibility/batches/{batchId}                  200 CANCELLED; 409 when it already ended
 * The CSV is read as it arrives (api/batch-csv.ts) into the store, in one transaction: a refused file leaves nothing.
 */
import { Readable } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/env.ts';
import {
  BATCH_RESULT_COLUMNS,
  BatchAccepted,
  BatchId,
  BatchProgress,
  MAX_BATCH_ROWS,
  RowOutcome,
  type BatchInputRow,
  type BatchResult,
  type BatchStatus,
} from '../../contract/demand.ts';
import { BatchEndedError, BatchNotFoundError, TooManyBatchesError, type BatchesClient } from '../../client/batches.ts';
import { signLinkParams, MAX_LINK_TTL_SECONDS } from '../../client/viability-link.ts';
import { bearerToken } from '../../net/bearer.ts';
import { readBatchCsv, MAX_BATCH_BYTES } from '../batch-csv.ts';
import { assertEnabled, callerAuth, callerOf, type Authenticate } from '../callers.ts';
import { HttpProblem } from '../errors.ts';
import { ErrorBody, json } from '../schemas.ts';

const security = [{ bearer: [] }];
const tags = ['feasibility batches'];
const base = (batchId: string) => `/v1/feasibility/batches/${batchId}`;
/** Where the batch map page answers (api/batch-map-page.ts), relative to the API's base URL. */
export const BATCH_MAP_PATH = '/batch-map';

/** Per tenant and minute: uploads are a transaction of up to 50,000 rows each; reads are a few queries. */
export const BATCH_RATE_LIMITS = { create: 10, read: 600 } as const;

const BatchLinks = z
  .object({
    map: z.string().meta({
      description:
        "The batch's map (viable and not, per row), a signed link good for 7 days: relative to the API's base URL",
    }),
    resultsCsv: z.string(),
    resultsGeojson: z.string(),
  })
  .meta({ description: "Where the batch's results are, relative to the API's base URL" });

export const BatchProgressBody = BatchProgress.extend({ links: BatchLinks }).meta({
  id: 'BatchProgress',
  description:
    "A batch's progress: `done` counts every row handled (invalid ones included); etaSeconds is the rows waiting " +
    'for the geocoder at its pace plus the rest at the rate so far, null once ended or before it can be told.',
});
const BatchAcceptedBody = BatchAccepted.extend({
  ignoredColumns: z.array(z.string()).meta({ description: 'Header columns the batch does not use, as spelt' }),
  links: BatchLinks,
}).meta({ id: 'BatchAccepted' });
const BatchListBody = z.object({ batches: z.array(BatchProgressBody) }).meta({ id: 'BatchPage' });

const Params = z.strictObject({ batchId: BatchId });

/** results.geojson: what resultFeature writes, a feature per row that has coordinates. */
const FeatureCollectionBody = z
  .object({
    type: z.literal('FeatureCollection'),
    features: z.array(
      z.object({
        type: z.literal('Feature'),
        geometry: z.object({ type: z.literal('Point'), coordinates: z.array(z.number()).length(2) }),
        properties: z.object({
          id: z.string(),
          outcome: RowOutcome,
          viable: z.boolean(),
          boxId: z.string().nullable(),
          boxName: z.string().nullable(),
          distanceMeters: z.number().nullable(),
          freePorts: z.number().int().nullable(),
          reason: z.string().nullable(),
        }),
      }),
    ),
  })
  .meta({ id: 'BatchFeatureCollection', description: 'GeoJSON (RFC 7946): [lng, lat] per point' });

/** OpenAPI links from an answer naming a batch to what can be done with it (a client or a stateful fuzzer follows). */
const BATCH_OPERATIONS = {
  GetBatch: ['getFeasibilityBatch', "Read the batch's progress"],
  GetBatchResultsCsv: ['getFeasibilityBatchResultsCsv', 'Its results as CSV, once ended'],
  GetBatchResultsGeojson: ['getFeasibilityBatchResultsGeojson', 'Its results as GeoJSON, once ended'],
  CancelBatch: ['cancelFeasibilityBatch', 'Cancel it'],
} as const;
const batchLinks = Object.fromEntries(
  Object.entries(BATCH_OPERATIONS).map(([name, [operationId, description]]) => [
    name,
    { operationId, description, parameters: { batchId: '$response.body#/batchId' } },
  ]),
);
const CreateQuery = z.strictObject({
  // Coerced as the reservations' listing coerces pageSize, so that the document shows the bounds it checks.
  radiusMeters: z.coerce
    .number()
    .int('must be a whole number of metres')
    .min(1, 'must be at least 1 metre')
    .max(5000, 'must be at most 5000 metres')
    .optional()
    .meta({ description: "The search radius per row (default: the tenant's radius)" }),
  prospects: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .meta({ description: 'true: every row without coverage becomes an OZmap prospect, on the waitlist' }),
});
const ListQuery = z.strictObject({
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(50, 'must be at most 50')
    .optional(),
  before: z.iso.datetime({ message: 'must be an ISO 8601 date-time (a batch createdAt)' }).optional(),
});

const errors = {
  400: json(ErrorBody, 'Invalid input (a bad header, query or path parameter): details name it and the fix.'),
  401: json(ErrorBody, 'Missing or wrong `Authorization: Bearer <key>`.'),
  403: json(ErrorBody, "The key's tenant is disabled: it starts no new batch."),
  404: json(ErrorBody, "No batch by this id for this key's tenant (or its retention ran out)."),
  409: json(ErrorBody, 'The batch is still running (results), or already ended (cancel): the message says which.'),
  413: json(ErrorBody, `More than ${MAX_BATCH_ROWS} rows or ${MAX_BATCH_BYTES / 1024 / 1024} MiB: nothing stored.`),
  415: json(ErrorBody, 'The body is not text/csv (UTF-8).'),
  429: json(ErrorBody, 'Too many calls for this tenant in the last minute, or too many batches running.'),
  503: json(ErrorBody, 'Temporal is unreachable or did not answer in time (Retry-After says when to try again).'),
};
const pick = <K extends keyof typeof errors>(...statuses: K[]) =>
  Object.fromEntries(statuses.map((s) => [s, errors[s]])) as Pick<typeof errors, K>;

/** The client's batch errors as answers; anything else goes on to the API's error handler. */
function batchProblem(err: unknown): unknown {
  if (err instanceof BatchNotFoundError)
    return new HttpProblem(404, 'not-found', err.message, [{ field: 'batchId', message: 'has no batch' }]);
  if (err instanceof BatchEndedError)
    return new HttpProblem(409, 'already-ended', err.message, [
      { field: 'batchId', message: `batch ended as ${err.status}` },
    ]);
  if (err instanceof TooManyBatchesError)
    return new HttpProblem(429, 'too-many-batches', err.message, [{ field: '(body)', message: err.message }], {
      'retry-after': '60',
    });
  return err;
}
const mapped = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (err) {
    throw batchProblem(err);
  }
};

/** RFC 4180: quoted when it holds `"`, `,` or a line break; a text a spreadsheet would run as a formula is defused. */
export function csvField(value: string | number | boolean | null | undefined, text = false): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (text && /^[=+@\t\r-]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const NOT_CHECKED: Partial<Record<BatchStatus, string>> = {
  CANCELLED: 'not checked: the batch was cancelled',
  FAILED: 'not checked: the batch failed',
};

/** One results.csv line (BATCH_RESULT_COLUMNS), for a row handled or not. */
export function resultLine(input: BatchInputRow, result: BatchResult | null, status: BatchStatus): string {
  const fields = result
    ? [
        csvField(input.id, true),
        csvField(result.lat),
        csvField(result.lng),
        result.outcome === 'viable' ? 'true' : 'false',
        csvField(result.boxId, true),
        csvField(result.boxName, true),
        csvField(result.distanceMeters),
        csvField(result.freePorts),
        csvField(result.reason, true),
      ]
    : [csvField(input.id, true), '', '', '', '', '', '', '', csvField(NOT_CHECKED[status] ?? '', true)];
  return `${fields.join(',')}\r\n`;
}

/** One GeoJSON feature, or undefined when the row has no coordinates. */
export function resultFeature(input: BatchInputRow, result: BatchResult | null) {
  if (!result || result.lat === null || result.lng === null) return undefined;
  return {
    type: 'Feature' as const,
    geometry: { type: 'Point' as const, coordinates: [result.lng, result.lat] },
    properties: {
      id: input.id,
      outcome: result.outcome,
      viable: result.outcome === 'viable',
      boxId: result.boxId,
      boxName: result.boxName,
      distanceMeters: result.distanceMeters,
      freePorts: result.freePorts,
      reason: result.reason,
    },
  };
}

export const batchRoutes: FastifyPluginAsyncZod<{
  batches: BatchesClient;
  authenticate: Authenticate;
  config: Pick<Config, 'http'>;
}> = async (app, { batches, authenticate, config }) => {
  await app.register(rateLimit, { global: false });
  app.addHook('onRequest', callerAuth(authenticate));
  // The body is read by the route, as it arrives: never buffered whole (up to MAX_BATCH_BYTES).
  app.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) => done(null, payload));
  const waitMs = config.http.waitSeconds * 1000;

  const limited = (what: keyof typeof BATCH_RATE_LIMITS) => ({
    rateLimit: {
      max: BATCH_RATE_LIMITS[what],
      timeWindow: 60_000,
      hook: 'preHandler' as const,
      keyGenerator: (request: FastifyRequest) => `batch-${what} ${request.caller?.tenantId ?? ''}`,
      errorResponseBuilder: (_request: FastifyRequest, context: { after: string }) =>
        new HttpProblem(
          429,
          'too-many-requests',
          `Too many batch ${what === 'create' ? 'uploads' : 'reads'} for this tenant: at most ` +
            `${BATCH_RATE_LIMITS[what]} a minute; retry in ${context.after}`,
          [{ field: 'authorization', message: `at most ${BATCH_RATE_LIMITS[what]} a minute per tenant` }],
        ),
    },
  });

  /** The batch's links; the map's is signed with the caller's own key, as `ozres link` signs (7 days). */
  const linksOf = (request: FastifyRequest, batchId: string) => {
    const params = signLinkParams({
      apiKey: bearerToken(request.headers.authorization) ?? '',
      linkSecret: config.http.linkSecret,
      data: { batch: batchId },
      ttlSeconds: MAX_LINK_TTL_SECONDS,
    });
    return {
      map: `${BATCH_MAP_PATH}?${new URLSearchParams(params).toString()}`,
      resultsCsv: `${base(batchId)}/results.csv`,
      resultsGeojson: `${base(batchId)}/results.geojson`,
    };
  };

  app.post(
    '/v1/feasibility/batches',
    {
      config: limited('create'),
      schema: {
        operationId: 'createFeasibilityBatch',
        summary: 'Check many addresses or points for coverage at once (no reservation)',
        description:
          'A CSV body (`text/csv`, UTF-8, with or without BOM; `,` or `;`, detected from the header): a header row ' +
          'with `id`, then `address` or `lat` and `lng` (or both), optionally `name` and `code`; other columns are ' +
          `ignored (listed in ignoredColumns). At most ${MAX_BATCH_ROWS} rows. A header problem refuses the file ` +
          '(400, naming the column); a bad line becomes an `invalid` result of its own and never stops the batch. ' +
          'Poll the Location for progress.',
        tags,
        security,
        consumes: ['text/csv'],
        querystring: CreateQuery,
        body: z
          .unknown()
          .refine((body) => body !== undefined && body !== null, 'is missing: send the CSV file as the body (text/csv)')
          .meta({
            type: 'string',
            description: 'The CSV file (docs/demand.md, "The CSV format")',
            examples: [
              'id;address;name\nL-1;"Rua Bocaiúva, 2125 - Centro, Florianópolis - SC";Maria\n',
              'id,lat,lng\nP-1,-27.5935,-48.5515\nP-2,-27.5969,-48.5495\n',
            ],
          }),
        response: {
          202: json(BatchAcceptedBody, 'Stored and started: GET the Location for progress'),
          ...pick(400, 401, 403, 413, 415, 429, 503),
        },
      },
      links: { 202: batchLinks },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      assertEnabled(caller);
      // Only the CSV parser above hands a stream: any other type fastify knows (JSON) is not a batch.
      if (!(request.body instanceof Readable))
        throw new HttpProblem(415, 'unsupported-media-type', 'The body must be a CSV file: send it as text/csv', [
          { field: 'content-type', message: 'must be text/csv' },
        ]);
      const charset = /;\s*charset="?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
      if (charset && !/^utf-?8$/i.test(charset))
        throw new HttpProblem(
          415,
          'unsupported-media-type',
          `The CSV must be UTF-8, not ${charset}: save it as UTF-8`,
          [{ field: 'content-type', message: 'charset must be utf-8' }],
        );
      const csv = await readBatchCsv(request.body);
      const options = {
        radiusMeters: request.query.radiusMeters ?? caller.reservations.defaults.radiusMeters,
        prospects: request.query.prospects === 'true',
      };
      const accepted = await mapped(() =>
        batches.create(caller.tenantId, csv.rows, options, AbortSignal.timeout(waitMs)),
      );
      return reply
        .code(202)
        .header('location', base(accepted.batchId))
        .send({ ...accepted, ignoredColumns: csv.ignored, links: linksOf(request, accepted.batchId) });
    },
  );

  app.get(
    '/v1/feasibility/batches',
    {
      config: limited('read'),
      schema: {
        operationId: 'listFeasibilityBatches',
        summary: "The tenant's batches, newest first (kept 30 days after they are made)",
        description: 'Pass the last createdAt back as `before` for the next page.',
        tags,
        security,
        querystring: ListQuery,
        response: { 200: json(BatchListBody, 'A page of batches'), ...pick(400, 401, 429) },
      },
    },
    async (request) => {
      const { tenantId } = callerOf(request);
      const page = await batches.list(tenantId, request.query.limit ?? 20, request.query.before);
      return { batches: page.map((b) => ({ ...b, links: linksOf(request, b.batchId) })) };
    },
  );

  app.get(
    '/v1/feasibility/batches/:batchId',
    {
      config: limited('read'),
      schema: {
        operationId: 'getFeasibilityBatch',
        summary: "A batch's progress, the time left, and where its results and map are",
        tags,
        security,
        params: Params,
        response: { 200: json(BatchProgressBody, 'The progress'), ...pick(400, 401, 404, 429) },
      },
      links: { 200: batchLinks },
    },
    async (request) => {
      const { batchId } = request.params;
      const progress = await mapped(() => batches.progress(callerOf(request).tenantId, batchId));
      return { ...progress, links: linksOf(request, batchId) };
    },
  );

  /** The rows of an ended batch (409 while it runs), page by page, as `line`s around a head and a tail. */
  const exportOf = async (
    request: FastifyRequest,
    batchId: string,
    line: (row: { input: BatchInputRow; result: BatchResult | null }, status: BatchStatus) => string | undefined,
    head: string,
    tail: string,
  ) => {
    const { tenantId } = callerOf(request);
    const stored = await mapped(() => batches.stored(tenantId, batchId));
    if (stored.status === 'RUNNING')
      throw new HttpProblem(
        409,
        'still-running',
        `Batch ${batchId} is still running (${stored.done} of ${stored.total} rows done): ` +
          'GET it until its status is no longer RUNNING, then ask again',
        [{ field: 'batchId', message: 'is still running' }],
      );
    async function* lines() {
      yield head;
      for await (const row of batches.rows(tenantId, batchId)) {
        const text = line(row, stored.status);
        if (text !== undefined) yield text;
      }
      yield tail;
    }
    return Readable.from(lines());
  };
  const downloadName = (batchId: string, extension: string) => `attachment; filename="${batchId}.${extension}"`;

  app.get(
    '/v1/feasibility/batches/:batchId/results.csv',
    {
      config: limited('read'),
      schema: {
        operationId: 'getFeasibilityBatchResultsCsv',
        summary: "An ended batch's results as CSV: one row per input row, in input order",
        description:
          `\`,\`-separated, CRLF, RFC 4180 quoting, header \`${BATCH_RESULT_COLUMNS.join(',')}\`; \`viable\` is ` +
          '`true` or `false`; `reason` says why not (or why invalid, naming the column). In a cancelled or failed ' +
          'batch, rows never checked have only their id and the reason. 409 while the batch runs.',
        tags,
        security,
        params: Params,
        response: {
          200: { description: 'The results', content: { 'text/csv': { schema: z.string() } } },
          ...pick(400, 401, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const body = await exportOf(
        request,
        request.params.batchId,
        ({ input, result }, status) => resultLine(input, result, status),
        `${BATCH_RESULT_COLUMNS.join(',')}\r\n`,
        '',
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', downloadName(request.params.batchId, 'csv'))
        .header('cache-control', 'no-store')
        .send(body as never); // a stream: the documented schema says what it carries
    },
  );

  app.get(
    '/v1/feasibility/batches/:batchId/results.geojson',
    {
      config: limited('read'),
      schema: {
        operationId: 'getFeasibilityBatchResultsGeojson',
        summary: "An ended batch's results as GeoJSON: a Point per row that has coordinates, in input order",
        description:
          'Properties: id, outcome, viable, boxId, boxName, distanceMeters, freePorts, reason. 409 while it runs.',
        tags,
        security,
        params: Params,
        response: {
          200: {
            description: 'A FeatureCollection',
            content: { 'application/geo+json': { schema: FeatureCollectionBody } },
          },
          ...pick(400, 401, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      let first = true;
      const body = await exportOf(
        request,
        request.params.batchId,
        ({ input, result }) => {
          const feature = resultFeature(input, result);
          if (!feature) return undefined;
          const text = `${first ? '' : ','}\n${JSON.stringify(feature)}`;
          first = false;
          return text;
        },
        '{"type":"FeatureCollection","features":[',
        '\n]}\n',
      );
      return reply
        .type('application/geo+json; charset=utf-8')
        .header('content-disposition', downloadName(request.params.batchId, 'geojson'))
        .header('cache-control', 'no-store')
        .send(body as never); // a stream: the documented schema says what it carries
    },
  );

  app.delete(
    '/v1/feasibility/batches/:batchId',
    {
      config: limited('read'),
      schema: {
        operationId: 'cancelFeasibilityBatch',
        summary: 'Cancel a running batch: rows already checked keep their results, the rest are never checked',
        tags,
        security,
        params: Params,
        response: {
          200: json(BatchProgressBody, 'Cancelled: the progress as it stands'),
          ...pick(400, 401, 404, 409, 429, 503),
        },
      },
    },
    async (request) => {
      const { batchId } = request.params;
      const progress = await mapped(() =>
        batches.cancel(callerOf(request).tenantId, batchId, AbortSignal.timeout(waitMs)),
      );
      return { ...progress, links: linksOf(request, batchId) };
    },
  );
};
