/**
 * The viability map page (what Ispbox opens for the salesperson, as it opens OZloc today) and its JSON endpoints.
 *
 *   GET  /viability                  the page (static HTML; its script reads the signed query from its own URL)
 *   GET  /viability/assets/:file     the page's CSS and JS (api/web/)
 *   GET  /viability/vendor/leaflet/… Leaflet from node_modules: no CDN, works without internet
 *   POST /viability/api/start?<link> starts (or finds) the viability's reservation in manual mode → state
 *   GET  /viability/api/state?<link> the state as it stands
 *   POST /viability/api/select?<link> { boxId, splitterId?, port? } → state
 *   GET  /viability/api/candidates?<link> RESERVED only: the boxes within the radius as OZmap shows them now
 *                                    → { candidates, unavailableBoxes, radiusMeters, surveyedAt } ("Trocar caixa")
 *   POST /viability/api/box?<link>   { boxId, splitterId?, port?, reason? } → state after changeBox (the move)
 * Errors are `{ error, message, details?: [{ field, message }] }`, as in the rest of the HTTP API.
 *
 * Every API call carries the signed link's query (signed as client/viability-link.ts says, checked by
 * api/link-verifier.ts) and acts only on the viability it names: the browser never holds the Ispbox API key, and
 * a changed or expired link is refused (401/403).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic, { type FastifyStaticOptions } from '@fastify/static';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ChangeBoxInput, SelectBoxInput, type BriefState } from '../contract/schemas.ts';
import { InvalidInputError } from '../client/errors.ts';
import type { CandidateSurvey, ReservationsClient } from '../client/reservations.ts';
import { HttpProblem, libraryProblem, RETRY_AFTER_SECONDS } from './errors.ts';
import { perViability, type LimitedAction } from './rate-limits.ts';
import { linkSigningKey, type ViabilityLinkInput } from '../client/viability-link.ts';
import { verifyViabilityLink, type LinkRefusalReason, type LinkVerdict } from './link-verifier.ts';
import { assertEnabled, callerOf, type Caller, type Callers } from './callers.ts';
import { DEFAULT_TENANT_ID, TENANT_KEY_ID_PATTERN, scopedViabilityId } from '../contract/ids.ts';

export interface MapSettings {
  /** A tile URL template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png; none: a plain background. */
  tileUrl?: string;
  tileAttribution?: string;
  /** CSP frame-ancestors: who may embed the page (MAP_FRAME_ANCESTORS); default 'none'. */
  frameAncestors?: string;
}

export interface ViabilityPageOptions {
  /** The `default` tenant's client: links without a `key` act through it. */
  reservations: ReservationsClient;
  /** Links a tenant key signed (their `key` names it) act for that tenant (docs/tenants.md, "Links"). */
  callers?: Callers;
  config: { http: { ispboxApiKey?: string; linkSecret?: string }; map?: MapSettings };
  /** How long an API call waits for the workflow before answering the state as it stands (the page then polls). */
  waitSeconds?: number;
  /** How many calls may wait for the workflow at once (default WAITING_LIMITS). */
  limits?: Partial<WaitingLimits>;
}

export interface WaitingLimits {
  /** Distinct calls into the client library for one viability (identical ones share a call and do not count). */
  perViability: number;
  /** Requests waiting on start or select, all viabilities together. */
  overall: number;
}

/**
 * Each waiting request holds a socket for up to waitSeconds: a salesperson needs one or two at a time, a flood
 * of them must not hold the server (docs/architecture.md, "api/").
 */
export const WAITING_LIMITS: WaitingLimits = { perViability: 4, overall: 200 };

const WEB_DIR = path.join(import.meta.dirname, 'web');
const LEAFLET_DIR = path.dirname(createRequire(import.meta.url).resolve('leaflet/dist/leaflet.js'));

/** The types of what the page serves: JavaScript as text/javascript (RFC 9239), not the older application/. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * A folder's files served under `prefix` (@fastify/static: ETag, Last-Modified, 304s, ranges), only those `allowed`
 * names: the rest of the folder (viability.html, Leaflet's sources and maps) answers 404 like any unknown path.
 */
function staticFiles(
  root: string,
  prefix: string,
  allowed: (name: string) => boolean,
  cacheControl: string,
): FastifyStaticOptions {
  return {
    root,
    prefix,
    allowedPath: (pathName: string) => allowed(pathName.replace(/^\//, '')),
    // Not the library's mime table (application/javascript); ours, and our caching, set before the file is sent.
    contentType: false,
    cacheControl: false,
    setHeaders: (res, file) => {
      res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
      res.setHeader('cache-control', cacheControl);
    },
    index: false,
    decorateReply: false,
    logLevel: 'warn',
  };
}

const UNKNOWN_KEY =
  "The link names a key that is not valid here (revoked, or another deployment's): open the page from Ispbox again";

const escapeAttribute = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The origin(s) tiles come from, for the Content-Security-Policy; `{s}` subdomains become a wildcard. */
export function tileOrigin(tileUrl: string): string | undefined {
  const match = /^(https?):\/\/([^/]+)/.exec(tileUrl);
  if (!match) return undefined;
  const host = match[2]!.replace(/^\{s\}\./, '*.');
  return /[{}]/.test(host) ? `${match[1]}:` : `${match[1]}://${host}`;
}

/**
 * The headers of every answer of a map page's routes (this page's and the batch map's). The link carries the
 * customer's name and address: no Referer to tile servers or anywhere else. No inline styles or scripts: OZmap and
 * geocoder text is data, and a page's own styles are all in its CSS (Leaflet positions its elements through
 * element.style, which CSP allows). Who may frame the page is frame-ancestors' to say (X-Frame-Options cannot name a
 * list); HSTS is the TLS terminator's to send.
 */
export function mapPageHelmet(map: MapSettings) {
  const tiles = map.tileUrl ? tileOrigin(map.tileUrl) : undefined;
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...(tiles ? [tiles] : [])],
        styleSrc: ["'self'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        objectSrc: ["'none'"],
        frameAncestors: (map.frameAncestors ?? "'none'").split(' '),
      },
    },
    referrerPolicy: { policy: 'no-referrer' as const },
    xFrameOptions: false,
    strictTransportSecurity: false,
  };
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

export const viabilityPage: FastifyPluginAsync<ViabilityPageOptions> = async (app, options) => {
  const defaultCaller: Caller = { tenantId: DEFAULT_TENANT_ID, enabled: true, reservations: options.reservations };
  const apiKey = options.config.http.ispboxApiKey;
  if (!apiKey) throw new Error('viabilityPage: config.http.ispboxApiKey is required (it verifies the signed links)');
  const signingKey = linkSigningKey({ ispboxApiKey: apiKey, linkSecret: options.config.http.linkSecret });
  const map = options.config.map ?? {};
  const waitMs = (options.waitSeconds ?? 20) * 1000;
  const limits: WaitingLimits = { ...WAITING_LIMITS, ...options.limits };
  // For this plugin's routes only: those that opt in count per the link's viability (api/rate-limits.ts).
  await app.register(rateLimit, { global: false });

  const html = readFileSync(path.join(WEB_DIR, 'viability.html'), 'utf8')
    .replace('{{TILE_URL}}', escapeAttribute(map.tileUrl ?? ''))
    .replace('{{TILE_ATTRIBUTION}}', escapeAttribute(map.tileAttribution ?? ''));
  // Every answer of the page's routes: mapPageHelmet says why each header.
  await app.register(helmet, mapPageHelmet(map));

  // The page and its endpoints are not part of the integration API: kept out of its OpenAPI document. Their URLs
  // carry the customer's name and address: no per-request log lines (which print the URL), only warnings and errors.
  const hidden = { schema: { hide: true }, logLevel: 'warn' as const };
  app.get('/viability', hidden, async (_request, reply) =>
    reply.headers({ 'cache-control': 'no-store', 'content-type': TYPES['.html'] }).send(html),
  );
  const webFiles = new Set(['viability.js', 'viability.css']);
  await app.register(
    fastifyStatic,
    staticFiles(WEB_DIR, '/viability/assets/', (f) => webFiles.has(f), 'no-cache'),
  );
  const leafletFiles = (f: string) => f === 'leaflet.js' || f === 'leaflet.css' || /^images\/[\w-]+\.png$/.test(f);
  await app.register(
    fastifyStatic,
    staticFiles(LEAFLET_DIR, '/viability/vendor/leaflet/', leafletFiles, 'public, max-age=86400'),
  );

  /**
   * The signed link is checked in onRequest, before fastify reads any body: a refused caller is answered at once,
   * however slowly it sends (api/server.ts then closes its connection). The verified data waits here.
   */
  const links = new WeakMap<FastifyRequest, ViabilityLinkInput>();
  const checkLink = async (request: FastifyRequest, reply: FastifyReply) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const signer = await signerOf(query.key);
    const verdict: LinkVerdict = signer
      ? verifyViabilityLink(query, signer.signingKey)
      : { ok: false, reason: 'tampered', message: UNKNOWN_KEY };
    if (verdict.ok && signer) {
      links.set(request, verdict.input);
      request.caller = signer.caller;
      return;
    }
    if (verdict.ok) return;
    const refusal = LINK_REFUSALS[verdict.reason];
    return reply
      .code(refusal.status)
      .headers({ 'cache-control': 'no-store' })
      .send({
        error: refusal.error,
        message: verdict.message,
        ...(verdict.problems ? { details: verdict.problems } : {}),
      });
  };
  /** Whose link: the `default` tenant's without `key`, else the tenant whose live key it names. */
  const signerOf = async (keyId: unknown): Promise<{ caller: Caller; signingKey: Buffer } | undefined> => {
    if (keyId === undefined) return { caller: defaultCaller, signingKey };
    if (typeof keyId !== 'string' || !TENANT_KEY_ID_PATTERN.test(keyId)) return undefined;
    return options.callers?.byLinkKey(keyId);
  };
  const linkOf = (request: FastifyRequest): ViabilityLinkInput => links.get(request)!;
  /** The client acting for the link's tenant; for a start, a selection or a move, only an enabled tenant's. */
  const clientOf = (request: FastifyRequest, newWork = false): ReservationsClient => {
    const caller = callerOf(request);
    if (newWork) assertEnabled(caller);
    return caller.reservations;
  };
  /** A viability as this page tells them apart: two tenants may both have V-1. */
  const scopedOf = (request: FastifyRequest) =>
    scopedViabilityId(linkOf(request).viabilityId, callerOf(request).tenantId);
  const api = { ...hidden, onRequest: checkLink };

  /**
   * Waits for the workflow at most `waitMs`; then answers the state as it stands (the page polls), so that a slow
   * OZmap or a missing worker never hangs the salesperson's request.
   */
  const bounded = async (
    reservations: ReservationsClient,
    viabilityId: string,
    call: () => Promise<BriefState>,
  ): Promise<BriefState> => {
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

  /**
   * Identical concurrent calls (same viability, same call, same data) share one call into the client library:
   * a reload storm makes one reservation call, not hundreds. Distinct calls per viability and waiting requests
   * overall are bounded; beyond that the answer is 429, and the page asks the salesperson to wait.
   */
  const inFlight = new Map<string, Promise<BriefState>>();
  const distinctPerViability = new Map<string, number>();
  let waiting = 0;
  const waitFor = async (
    request: FastifyRequest,
    reply: FastifyReply,
    what: string,
    call: (reservations: ReservationsClient) => Promise<BriefState>,
  ): Promise<FastifyReply> => {
    let reservations: ReservationsClient;
    try {
      reservations = clientOf(request, true);
    } catch (err) {
      return sendError(reply, err);
    }
    const viabilityId = scopedOf(request);
    const key = `${viabilityId} ${what}`;
    let shared = inFlight.get(key);
    const distinct = distinctPerViability.get(viabilityId) ?? 0;
    if (!shared && distinct >= limits.perViability)
      return tooMany(reply, 'Too many requests are waiting for this viability; retry shortly');
    if (waiting >= limits.overall)
      return tooMany(reply, 'The server is answering too many waiting requests; retry shortly');
    if (!shared) {
      distinctPerViability.set(viabilityId, distinct + 1);
      shared = bounded(reservations, linkOf(request).viabilityId, () => call(reservations)).finally(() => {
        inFlight.delete(key);
        const left = (distinctPerViability.get(viabilityId) ?? 1) - 1;
        if (left > 0) distinctPerViability.set(viabilityId, left);
        else distinctPerViability.delete(viabilityId);
      });
      inFlight.set(key, shared);
    }
    waiting++;
    try {
      return await answer(reply, () => shared);
    } finally {
      waiting--;
    }
  };

  const answer = async (reply: FastifyReply, work: () => Promise<BriefState | CandidateSurvey>) => {
    try {
      return reply.headers({ 'cache-control': 'no-store' }).send(await work());
    } catch (err) {
      return sendError(reply, err);
    }
  };

  app.post('/viability/api/start', api, async (request, reply) => {
    const link = linkOf(request);
    // The page is the salesperson's choice: manual selection. A viability already started (by the API, or an
    // earlier visit) answers with its own state, RESERVED or final included.
    return waitFor(request, reply, `start ${JSON.stringify(link)}`, (reservations) =>
      reservations.reserve({ ...link, selection: 'manual' }),
    );
  });

  app.get('/viability/api/state', api, async (request, reply) => {
    const link = linkOf(request);
    return answer(reply, () => clientOf(request).get(link.viabilityId));
  });

  app.post('/viability/api/select', api, async (request, reply) => {
    const link = linkOf(request);
    // The body names a box (and optionally splitter and port) and nothing else: the viability is the link's.
    const parsed = SelectBoxInput.safeParse(request.body ?? {});
    if (!parsed.success) return sendError(reply, InvalidInputError.fromZod(parsed.error));
    const selection = parsed.data;
    return waitFor(request, reply, `select ${JSON.stringify(selection)}`, (reservations) =>
      reservations.select(link.viabilityId, selection),
    );
  });

  /** Counted per the link's viability once the link is checked, before any work (api/rate-limits.ts). */
  const limited = (action: LimitedAction) => ({
    ...api,
    config: perViability(action, (request) => linkOf(request).viabilityId),
  });

  app.get('/viability/api/candidates', limited('survey'), async (request, reply) => {
    const link = linkOf(request);
    // A fresh look (not the state's candidates from the first search): the move is chosen on OZmap as it is now.
    // No state to fall back on here: a survey that runs out of time is an error the page offers to retry.
    const reservations = clientOf(request);
    return answer(reply, () =>
      reservations.within(AbortSignal.timeout(waitMs), () => reservations.moveCandidates(link.viabilityId)),
    );
  });

  app.post('/viability/api/box', limited('move'), async (request, reply) => {
    const link = linkOf(request);
    // As with select: the body says where to, the viability is the link's.
    const parsed = ChangeBoxInput.safeParse(request.body ?? {});
    if (!parsed.success) return sendError(reply, InvalidInputError.fromZod(parsed.error));
    const change = parsed.data;
    // The page redraws its map from the answer: the whole state, whose candidates changeBox's answer leaves out.
    return waitFor(request, reply, `box ${JSON.stringify(change)}`, async (reservations) => {
      await reservations.changeBox(link.viabilityId, change);
      return reservations.get(link.viabilityId);
    });
  });

  // A malformed JSON body and the like: the framework's 4xx, in this API's shape.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof HttpProblem)
      return reply
        .code(error.statusCode)
        .headers({ 'cache-control': 'no-store', ...error.headers })
        .send(error.body);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.code(error.statusCode).send({ error: 'bad-request', message: error.message });
    }
    return sendError(reply, error, request);
  });
};

function tooMany(reply: FastifyReply, message: string): FastifyReply {
  return reply
    .code(429)
    .headers({ 'cache-control': 'no-store', 'retry-after': String(RETRY_AFTER_SECONDS) })
    .send({ error: 'too-many-requests', message });
}

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
