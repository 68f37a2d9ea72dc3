/**
 * The batch map (docs/demand.md, "For the expansion team"): every row of a feasibility batch on a map, viable and
 * not, clustered when dense, opened through a signed link (the progress answer's `links.map`, which `ozres batch`
 * prints), as the viability page is: the browser never holds the API key.
 *
 *   GET /batch-map?batch&key&exp&sig                the page (static HTML; its script reads the link from its URL)
 *   GET /batch-map/assets/:file                     its CSS and JS (api/web/); Leaflet from the viability page's
 *   GET /batch-map/api/progress?<link>              the batch's counts
 *   GET /batch-map/api/rows/{from}?<link>           rows from `from` on with coordinates and a result (a page),
 *                                                   `next` the index to ask for next, or null at the end
 * The link is signed as client/viability-link.ts says (data: `batch`), checked by api/link-verifier.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BatchId } from '../contract/demand.ts';
import { DEFAULT_TENANT_ID, TENANT_KEY_ID_PATTERN } from '../contract/ids.ts';
import { BatchNotFoundError, type BatchesClient } from '../client/batches.ts';
import { linkSigningKey } from '../client/viability-link.ts';
import type { Callers } from './callers.ts';
import { verifySignedLink } from './link-verifier.ts';
import { LINK_REFUSALS, mapPageHelmet, type MapSettings } from './viability-page.ts';
import { BATCH_MAP_PATH } from './routes/batches.ts';

const WEB_DIR = path.join(import.meta.dirname, 'web');
/** Rows a page of the map's data reads from the store (those without coordinates are left out of the answer). */
export const MAP_PAGE_ROWS = 2000;
/** Calls per batch and minute: a page load reads the whole batch a page at a time, then polls the counts. */
const MAP_CALLS_PER_MINUTE = 300;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const escapeAttribute = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const LinkData = z.strictObject({ batch: BatchId });
const FromParams = z.strictObject({ from: z.string().regex(/^\d{1,6}$/, 'must be a row index') });

export const batchMapPage: FastifyPluginAsync<{
  batches: BatchesClient;
  callers: Callers;
  config: { http: { ispboxApiKey?: string; linkSecret?: string }; map?: MapSettings };
}> = async (app, { batches, callers, config }) => {
  const apiKey = config.http.ispboxApiKey;
  if (!apiKey) throw new Error('batchMapPage: config.http.ispboxApiKey is required (it verifies the signed links)');
  const defaultKey = linkSigningKey({ ispboxApiKey: apiKey, linkSecret: config.http.linkSecret });
  const map = config.map ?? {};
  await app.register(rateLimit, { global: false });
  await app.register(helmet, mapPageHelmet(map));

  const html = readFileSync(path.join(WEB_DIR, 'batch-map.html'), 'utf8')
    .replace('{{TILE_URL}}', escapeAttribute(map.tileUrl ?? ''))
    .replace('{{TILE_ATTRIBUTION}}', escapeAttribute(map.tileAttribution ?? ''));
  const hidden = { schema: { hide: true }, logLevel: 'warn' as const };
  app.get(BATCH_MAP_PATH, hidden, async (_request, reply) =>
    reply.headers({ 'cache-control': 'no-store', 'content-type': TYPES['.html'] }).send(html),
  );
  const files = new Set(['batch-map.js', 'batch-map.css']);
  await app.register(fastifyStatic, {
    root: WEB_DIR,
    prefix: `${BATCH_MAP_PATH}/assets/`,
    allowedPath: (pathName: string) => files.has(pathName.replace(/^\//, '')),
    contentType: false,
    cacheControl: false,
    setHeaders: (res, file) => {
      res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
      res.setHeader('cache-control', 'no-cache');
    },
    index: false,
    decorateReply: false,
    logLevel: 'warn',
  });

  /** The verified link's tenant and batch, per request. */
  const links = new WeakMap<FastifyRequest, { tenantId: string; batchId: string }>();
  const refuse = (reply: FastifyReply, status: number, error: string, message: string, details?: unknown) =>
    reply
      .code(status)
      .headers({ 'cache-control': 'no-store' })
      .send({ error, message, ...(details ? { details } : {}) });
  const checkLink = async (request: FastifyRequest, reply: FastifyReply) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const keyId = query.key;
    const signer =
      keyId === undefined
        ? { tenantId: DEFAULT_TENANT_ID, signingKey: defaultKey }
        : typeof keyId === 'string' && TENANT_KEY_ID_PATTERN.test(keyId)
          ? await callers.byLinkKey(keyId).then((f) => f && { tenantId: f.caller.tenantId, signingKey: f.signingKey })
          : undefined;
    if (!signer)
      return refuse(reply, 403, 'bad-signature', 'The link names a key that is not valid here: ask for a new link');
    const verdict = verifySignedLink(query, signer.signingKey);
    if (!verdict.ok) {
      const refusal = LINK_REFUSALS[verdict.reason];
      return refuse(reply, refusal.status, refusal.error, verdict.message, verdict.problems);
    }
    const data = LinkData.safeParse(verdict.data);
    if (!data.success)
      return refuse(reply, 400, 'invalid-input', 'The link does not name a batch: ask for a new link', [
        { field: 'batch', message: 'must be a batch id' },
      ]);
    links.set(request, { tenantId: signer.tenantId, batchId: data.data.batch });
  };
  const api = {
    ...hidden,
    onRequest: checkLink,
    config: {
      rateLimit: {
        max: MAP_CALLS_PER_MINUTE,
        timeWindow: 60_000,
        hook: 'preHandler' as const,
        keyGenerator: (request: FastifyRequest) => {
          const link = links.get(request);
          return `batch-map ${link?.tenantId}/${link?.batchId}`;
        },
      },
    },
  };
  const answer = async (reply: FastifyReply, work: () => Promise<unknown>) => {
    try {
      return reply.headers({ 'cache-control': 'no-store' }).send(await work());
    } catch (err) {
      if (err instanceof BatchNotFoundError) return refuse(reply, 404, 'not-found', 'This batch no longer exists');
      reply.request.log.error({ err }, 'batch map: the store failed');
      return refuse(reply, 503, 'unavailable', 'The service is not answering; try again shortly');
    }
  };

  app.get(`${BATCH_MAP_PATH}/api/progress`, api, async (request, reply) => {
    const { tenantId, batchId } = links.get(request)!;
    return answer(reply, () => batches.progress(tenantId, batchId));
  });

  app.get(`${BATCH_MAP_PATH}/api/rows/:from`, api, async (request, reply) => {
    const { tenantId, batchId } = links.get(request)!;
    const params = FromParams.safeParse(request.params);
    if (!params.success) return refuse(reply, 400, 'invalid-input', 'from: must be a row index');
    const from = Number(params.data.from);
    return answer(reply, async () => {
      await batches.stored(tenantId, batchId);
      const page: Array<
        [number, number, string, string, string | null, number | null, number | null, string | null, number]
      > = [];
      let next: number | null = null;
      let pendingFrom: number | null = null;
      let read = 0;
      for await (const { idx, input, result } of batches.rows(tenantId, batchId, MAP_PAGE_ROWS, from)) {
        if (++read > MAP_PAGE_ROWS) {
          next = idx;
          break;
        }
        if (!result) pendingFrom ??= idx;
        if (!result || result.lat === null || result.lng === null) continue;
        page.push([
          result.lat,
          result.lng,
          result.outcome,
          input.id,
          result.boxName,
          result.distanceMeters,
          result.freePorts,
          result.reason,
          idx,
        ]);
      }
      // [lat, lng, outcome, id, boxName, distanceMeters, freePorts, reason, idx]: compact, the page names them.
      // pendingFrom: the first row of this page not handled yet, where a running batch's map reads again from.
      return { rows: page, next, pendingFrom };
    });
  });
};
