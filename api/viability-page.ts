/**
 * The viability map page (what Ispbox opens for the salesperson, as it opens OZloc today) and its JSON endpoints.
 *
 *   GET  /viability                  the page (static HTML; its script reads the signed query from its own URL)
 *   GET  /viability/assets/:file     the page's CSS and JS (api/web/)
 *   GET  /viability/vendor/leaflet/… Leaflet from node_modules: no CDN, works without internet
 *   POST /viability/api/start?<link> starts (or finds) the viability's reservation in manual mode → state
 *   GET  /viability/api/state?<link> the state as it stands
 *   POST /viability/api/select?<link> { boxId, splitterId?, port? } → state
 * Errors are `{ error, message, details?: [{ field, message }] }`, as in the rest of the HTTP API.
 *
 * Every API call carries the signed link's query (signed as client/viability-link.ts says, checked by
 * api/link-verifier.ts) and acts only on the viability it names: the browser never holds the Ispbox API key, and
 * a changed or expired link is refused (401/403).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyError, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { ReservationState } from '../contract/schemas.ts';
import type { ReservationsClient } from '../client/reservations.ts';
import { libraryProblem } from './errors.ts';
import { linkSigningKey, type ViabilityLinkInput } from '../client/viability-link.ts';
import { verifyViabilityLink, type LinkRefusalReason } from './link-verifier.ts';

export interface MapSettings {
  /** A tile URL template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png; none: a plain background. */
  tileUrl?: string;
  tileAttribution?: string;
}

export interface ViabilityPageOptions {
  reservations: ReservationsClient;
  config: { http: { ispboxApiKey?: string; linkSecret?: string }; map?: MapSettings };
  /** How long an API call waits for the workflow before answering the state as it stands (the page then polls). */
  waitSeconds?: number;
}

const WEB_DIR = path.join(import.meta.dirname, 'web');
const LEAFLET_DIR = path.dirname(createRequire(import.meta.url).resolve('leaflet/dist/leaflet.js'));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
}

/** Files read once at start, by name: nothing outside these lists can be asked for (no path traversal to guard). */
function loadAssets(dir: string, names: string[]): Map<string, Asset> {
  return new Map(
    names.map((name) => [
      name,
      { body: readFileSync(path.join(dir, name)), type: TYPES[path.extname(name)] ?? 'application/octet-stream' },
    ]),
  );
}

const escapeAttribute = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The origin(s) tiles come from, for the Content-Security-Policy; `{s}` subdomains become a wildcard. */
export function tileOrigin(tileUrl: string): string | undefined {
  const match = /^(https?):\/\/([^/]+)/.exec(tileUrl);
  if (!match) return undefined;
  const host = match[2]!.replace(/^\{s\}\./, '*.');
  return /[{}]/.test(host) ? `${match[1]}:` : `${match[1]}://${host}`;
}

/**
 * How a refused link is answered: without a signature the caller must authenticate (401); a signature that does
 * not match, or has run out, is refused outright (403); signed data the page cannot use is the link's fault (400).
 */
export const LINK_REFUSALS: Record<LinkRefusalReason, { status: 400 | 401 | 403; error: string }> = {
  unsigned: { status: 401, error: 'unsigned-link' },
  tampered: { status: 403, error: 'bad-signature' },
  expired: { status: 403, error: 'link-expired' },
  invalid: { status: 400, error: 'invalid-input' },
};

export const viabilityPage: FastifyPluginCallback<ViabilityPageOptions> = (app, options, done) => {
  const { reservations } = options;
  const apiKey = options.config.http.ispboxApiKey;
  if (!apiKey)
    return done(new Error('viabilityPage: config.http.ispboxApiKey is required (it verifies the signed links)'));
  const signingKey = linkSigningKey({ ispboxApiKey: apiKey, linkSecret: options.config.http.linkSecret });
  const map = options.config.map ?? {};
  const waitMs = (options.waitSeconds ?? 20) * 1000;

  const webAssets = loadAssets(WEB_DIR, ['viability.js', 'viability.css']);
  const leaflet = loadAssets(LEAFLET_DIR, [
    'leaflet.js',
    'leaflet.css',
    ...readdirSync(path.join(LEAFLET_DIR, 'images')).map((f) => `images/${f}`),
  ]);
  const html = readFileSync(path.join(WEB_DIR, 'viability.html'), 'utf8')
    .replace('{{TILE_URL}}', escapeAttribute(map.tileUrl ?? ''))
    .replace('{{TILE_ATTRIBUTION}}', escapeAttribute(map.tileAttribution ?? ''));
  const tiles = map.tileUrl ? tileOrigin(map.tileUrl) : undefined;
  // The link carries the customer's name and address: no Referer to tile servers or anywhere else.
  const pageHeaders = {
    'content-security-policy':
      `default-src 'self'; img-src 'self' data:${tiles ? ` ${tiles}` : ''}; style-src 'self' 'unsafe-inline'; ` +
      "script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  };

  // The page and its endpoints are not part of the integration API: kept out of its OpenAPI document. Their URLs
  // carry the customer's name and address: no per-request log lines (which print the URL), only warnings and errors.
  const hidden = { schema: { hide: true }, logLevel: 'warn' as const };
  app.get('/viability', hidden, async (_request, reply) =>
    reply.headers({ ...pageHeaders, 'cache-control': 'no-store', 'content-type': TYPES['.html'] }).send(html),
  );

  const serve =
    (assets: Map<string, Asset>, cacheControl: string) =>
    async (request: FastifyRequest<{ Params: { '*': string } }>, reply: FastifyReply) => {
      const asset = assets.get(request.params['*']);
      if (!asset) return reply.code(404).send({ error: 'not-found', message: `No such file: ${request.params['*']}` });
      return reply
        .headers({ 'content-type': asset.type, 'cache-control': cacheControl, 'x-content-type-options': 'nosniff' })
        .send(asset.body);
    };
  app.get('/viability/assets/*', hidden, serve(webAssets, 'no-cache'));
  app.get('/viability/vendor/leaflet/*', hidden, serve(leaflet, 'public, max-age=86400'));

  /** The signed link's data, or undefined after answering 400/401/403. */
  const linkOf = (request: FastifyRequest, reply: FastifyReply): ViabilityLinkInput | undefined => {
    const verdict = verifyViabilityLink((request.query ?? {}) as Record<string, unknown>, signingKey);
    if (verdict.ok) return verdict.input;
    const refusal = LINK_REFUSALS[verdict.reason];
    void reply
      .code(refusal.status)
      .headers({ 'cache-control': 'no-store' })
      .send({
        error: refusal.error,
        message: verdict.message,
        ...(verdict.problems ? { details: verdict.problems } : {}),
      });
    return undefined;
  };

  /**
   * Waits for the workflow at most `waitMs`; then answers the state as it stands (the page polls), so that a slow
   * OZmap or a missing worker never hangs the salesperson's request.
   */
  const bounded = async (viabilityId: string, call: () => Promise<ReservationState>): Promise<ReservationState> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), waitMs);
    try {
      return await reservations.client.withAbortSignal(controller.signal, call);
    } catch (err) {
      if (!controller.signal.aborted) throw err;
      return reservations.get(viabilityId);
    } finally {
      clearTimeout(timer);
    }
  };

  const answer = async (reply: FastifyReply, work: () => Promise<ReservationState>) => {
    try {
      return reply.headers({ 'cache-control': 'no-store' }).send(await work());
    } catch (err) {
      return sendError(reply, err);
    }
  };

  app.post('/viability/api/start', hidden, async (request, reply) => {
    const link = linkOf(request, reply);
    if (!link) return reply;
    // The page is the salesperson's choice: manual selection. A viability already started (by the API, or an
    // earlier visit) answers with its own state, RESERVED or final included.
    return answer(reply, () => bounded(link.viabilityId, () => reservations.reserve({ ...link, selection: 'manual' })));
  });

  app.get('/viability/api/state', hidden, async (request, reply) => {
    const link = linkOf(request, reply);
    if (!link) return reply;
    return answer(reply, () => reservations.get(link.viabilityId));
  });

  app.post('/viability/api/select', hidden, async (request, reply) => {
    const link = linkOf(request, reply);
    if (!link) return reply;
    // The body names a box (and optionally splitter and port) and nothing else: the viability is the link's.
    return answer(reply, () =>
      bounded(link.viabilityId, () => reservations.select(link.viabilityId, request.body ?? {})),
    );
  });

  // A malformed JSON body and the like: the framework's 4xx, in this API's shape.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: 'bad-request', message: error.message });
    }
    return sendError(reply, error, request);
  });
  done();
};

function sendError(reply: FastifyReply, err: unknown, request?: FastifyRequest): FastifyReply {
  const send = (status: number, body: Record<string, unknown>) =>
    reply.code(status).headers({ 'cache-control': 'no-store' }).send(body);
  // The client library's own errors answer as they do in the HTTP API; anything else stays generic for the browser.
  const problem = libraryProblem(err);
  if (problem) return send(problem.statusCode, { ...problem.body });
  (request ?? reply.request).log.error({ err }, 'viability page: the reservation service failed');
  return send(503, {
    error: 'unavailable',
    message: 'The reservation service is not answering (Temporal or the worker); try again shortly',
  });
}
