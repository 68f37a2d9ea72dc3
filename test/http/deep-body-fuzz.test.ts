/**
 * Property-based: over ten thousand bodies nested up to 20,000 deep (arrays, objects, both; alone or inside bodies
 * that otherwise look valid) sent to every route of the HTTP server (the API's, the map page's with and without a
 * signed link, /healthz, /v1/doctor, the documents, unknown paths and methods a path does not have), with and
 * without the key. Never a 5xx, never an answer slower than 200 ms (twice in a row: a busy machine may delay one),
 * nothing started; a body nested past the limit is refused naming its depth, and a request no route takes is
 * answered without its body being read.
 * On the whole server through inject, with a recording stand-in for the client library; a share over loopback HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { request } from 'undici';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/env.ts';
import { BODY_LIMIT_BYTES, buildHttpServer } from '../../api/server.ts';
import { MAX_BODY_DEPTH } from '../../api/json-body.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import { viabilityPageUrl } from '../../client/viability-link.ts';
import { stateOf } from '../support/fake-reservations.ts';
import { ReservationInput } from '../../contract/schemas.ts';

const KEY = 'deep-body-fuzz-key-0123456789';
const DEEPEST = 20_000;
const SLOWEST_MS = 200;

/** The client library's calls that start or change a reservation: none may happen. */
const ACTS = new Set(['submit', 'reserve', 'select', 'changeBox', 'extendHold', 'confirm', 'cancel']);

/** Every call into the client library, by name; reads answer as a healthy, empty service would. */
function recordingReservations() {
  const calls: string[] = [];
  const answers: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    get: (id) => Promise.resolve(stateOf(id as string)),
    pollers: () => Promise.resolve([{ identity: 'worker-1' }]),
    list: () => Promise.resolve({ reservations: [] }),
    moveCandidates: (id) =>
      Promise.resolve({ viabilityId: id, radiusMeters: 250, candidates: [], unavailableBoxes: [], surveyedAt: '' }),
  };
  const reservations = new Proxy(
    {},
    {
      get(_target, name) {
        if (name === 'inputSchema') return ReservationInput;
        if (name === 'within') return <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn();
        if (name === 'client') return { withAbortSignal: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn() };
        if (typeof name !== 'string' || name === 'then') return undefined;
        return (...args: unknown[]) => {
          calls.push(name);
          return answers[name]?.(...args) ?? Promise.resolve(stateOf(String(args[0])));
        };
      },
    },
  );
  return { reservations: reservations as unknown as ReservationsClient, calls };
}

const LINK = new URL(
  viabilityPageUrl({
    baseUrl: 'http://x',
    apiKey: KEY,
    input: { viabilityId: 'V-DEEP', customer: { code: 'C-1', name: 'Deep' }, address: 'Rua Bocaiúva, 2125' },
  }),
).search;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
/** What a route is, for judging its answer. */
interface Target {
  method: Method;
  url: string;
  /** keyed: behind the API key; link: behind the map page's signed link; open: neither. */
  guard: 'keyed' | 'link' | 'open';
  /** Reads its JSON body (and so must refuse one nested past the limit). */
  body: boolean;
  /** No route takes this method on this path: 404 unknown path, 405 a method the path does not have. */
  unrouted?: 404 | 405;
  /** A shallow body is of no concern to it (a start with a valid link ignores its body): send it only deep ones. */
  deepOnly?: boolean;
}

const keyed = (method: Method, url: string): Target => ({ method, url, guard: 'keyed', body: method === 'POST' });
const page = (method: Method, name: string, link: string): Target => ({
  method,
  url: `/viability/api/${name}${link}`,
  guard: link ? 'link' : 'open',
  body: method === 'POST' && link !== '',
  deepOnly: name === 'start' && link !== '',
});

const TARGETS: Target[] = [
  keyed('POST', '/v1/reservations'),
  keyed('GET', '/v1/reservations?status=RESERVED'),
  keyed('GET', '/v1/reservations/F-1'),
  keyed('POST', '/v1/reservations/F-1/selection'),
  keyed('POST', '/v1/reservations/F-1/box'),
  keyed('POST', '/v1/reservations/F-1/extension'),
  keyed('POST', '/v1/reservations/F-1/confirm'),
  keyed('POST', '/v1/reservations/F-1/cancel'),
  keyed('GET', '/v1/doctor'),
  ...['', LINK].flatMap((link) => [
    page('POST', 'start', link),
    page('GET', 'state', link),
    page('POST', 'select', link),
    page('GET', 'candidates', link),
    page('POST', 'box', link),
  ]),
  { method: 'GET', url: '/healthz', guard: 'open', body: false },
  { method: 'GET', url: '/openapi.json', guard: 'open', body: false },
  { method: 'GET', url: '/viability', guard: 'open', body: false },
  { method: 'GET', url: '/docs', guard: 'open', body: false },
  // Unknown paths (and /metrics, off by default), and methods the path does not have.
  { method: 'GET', url: '/metrics', guard: 'open', body: false, unrouted: 404 },
  { method: 'POST', url: '/x', guard: 'open', body: false, unrouted: 404 },
  { method: 'PUT', url: '/v1/nope/F-1', guard: 'open', body: false, unrouted: 404 },
  { method: 'POST', url: '/v1/reservations/F-1/unknown', guard: 'open', body: false, unrouted: 404 },
  { method: 'POST', url: '/healthz', guard: 'open', body: false, unrouted: 405 },
  { method: 'PUT', url: '/v1/reservations', guard: 'open', body: false, unrouted: 405 },
  { method: 'DELETE', url: '/v1/reservations/F-1', guard: 'open', body: false, unrouted: 405 },
  { method: 'PATCH', url: '/v1/reservations/F-1/confirm', guard: 'open', body: false, unrouted: 405 },
  { method: 'POST', url: `/viability/api/state${LINK}`, guard: 'open', body: false, unrouted: 405 },
  { method: 'PUT', url: `/viability/api/select${LINK}`, guard: 'open', body: false, unrouted: 405 },
];

/** A JSON text nested `depth` deep: arrays, objects, or both in turn; closed, or cut short (not JSON then). */
const nest = (depth: number, kind: 'array' | 'object' | 'mixed', closed = true) => {
  const [open, close] =
    kind === 'array'
      ? ['['.repeat(depth), ']'.repeat(depth)]
      : kind === 'object'
        ? ['{"":'.repeat(depth), '}'.repeat(depth)]
        : // Objects at even levels, arrays at odd ones.
          [
            `${'{"":['.repeat(depth >> 1)}${depth & 1 ? '{"":' : ''}`,
            `${depth & 1 ? '}' : ''}${']}'.repeat(depth >> 1)}`,
          ];
  return `${open}1${closed ? close : ''}`;
};

/** Depths from shallow to 20,000, most past the limit, the extremes often. */
const depth = fc.oneof(
  fc.integer({ min: 1, max: MAX_BODY_DEPTH + 2 }),
  fc.integer({ min: MAX_BODY_DEPTH + 1, max: DEEPEST }),
  fc.constantFrom(MAX_BODY_DEPTH, MAX_BODY_DEPTH + 1, 8_000, 16_000, DEEPEST),
);
const kind = fc.constantFrom('array' as const, 'object' as const, 'mixed' as const);

/** Bodies that look valid for some route, with one field (or an extra one) holding the nest. */
const LOOKS_VALID: Array<Record<string, unknown>> = [
  {
    viabilityId: 'F-1',
    customer: { code: 'C-1', name: 'Fuzz' },
    address: 'Rua Bocaiúva, 2125',
    coordinates: { lat: -27.5935, lng: -48.5515 },
  },
  { boxId: 'b-1', splitterId: 's-1', port: 3 },
  { boxId: 'b-1', reason: 'perto' },
  { days: 5, reason: 'prazo' },
  { note: 'instalado' },
  { reason: 'desistiu' },
];
const PLACES = [
  ['address'],
  ['customer', 'name'],
  ['customer', 'extra'],
  ['coordinates'],
  ['boxId'],
  ['port'],
  ['reason'],
  ['note'],
  ['extra'],
];

/** A body as fast-check shows it (the text is built from it: a counterexample stays readable). */
interface BodySpec {
  depth: number;
  kind: 'array' | 'object' | 'mixed';
  /** Cut short: not JSON. */
  cut?: boolean;
  /** Inside a body that otherwise looks valid, at this place. */
  inside?: { body: number; place: string[] };
}

interface Body {
  text: string;
  /** The nesting depth of the JSON text when it parses (0 when it does not). */
  depth: number;
}

function bodyOf(spec: BodySpec): Body {
  if (spec.cut) return { text: nest(spec.depth, spec.kind, false), depth: 0 };
  if (!spec.inside) return { text: nest(spec.depth, spec.kind), depth: spec.depth };
  const { body, place } = spec.inside;
  const outer = structuredClone(LOOKS_VALID[body]!);
  let target = outer;
  for (const key of place.slice(0, -1)) {
    if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  target[place.at(-1)!] = '\u0000NEST\u0000';
  // The body's own levels (1 for the outer object, one per step of the place) above the nest's.
  const text = JSON.stringify(outer).replace('"\\u0000NEST\\u0000"', nest(spec.depth, spec.kind));
  return { text, depth: place.length + spec.depth };
}

const bodySpec: fc.Arbitrary<BodySpec> = fc.oneof(
  fc.record({ depth, kind }),
  fc.record({ depth, kind, cut: fc.constant(true) }),
  fc.record({
    depth,
    kind,
    inside: fc.record({ body: fc.nat({ max: LOOKS_VALID.length - 1 }), place: fc.constantFrom(...PLACES) }),
  }),
);

describe('every route under ten thousand bodies nested up to 20,000 deep (fast-check)', () => {
  let app: FastifyInstance;
  let url: string;
  const recording = recordingReservations();
  let sent = 0;
  let slowest = { ms: 0, what: '' };
  let resent = 0;
  let deepest = 0;
  before(async () => {
    app = await buildHttpServer({
      reservations: recording.reservations,
      config: loadConfig({ ISPBOX_API_KEY: KEY, LOG_LEVEL: 'silent' }),
      logger: false,
      doctor: () => Promise.resolve({ ok: true, checks: [], summary: { pass: 0, fail: 0, warn: 0 } }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address && typeof address === 'object');
    url = `http://127.0.0.1:${address.port}`;
  });
  after(() => app?.close());

  const send = async (target: Target, b: Body, withKey: boolean, wire: boolean) => {
    sent++;
    deepest = Math.max(deepest, b.depth);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...(withKey ? { authorization: `Bearer ${KEY}` } : {}),
    };
    const once = async () => {
      const t0 = performance.now();
      if (wire) {
        // undici's request, not fetch: fetch never sends a body with GET.
        const res = await request(`${url}${target.url}`, { method: target.method, headers, body: b.text });
        const text = await res.body.text();
        return {
          status: res.statusCode,
          text,
          allow: res.headers.allow as string | undefined,
          ms: performance.now() - t0,
        };
      }
      const res = await app.inject({ method: target.method, url: target.url, headers, payload: b.text });
      return { status: res.statusCode, text: res.body, allow: res.headers.allow, ms: performance.now() - t0 };
    };
    let { status, text, allow, ms } = await once();
    // A busy machine (two cores, shared) delays one answer; a route that is slow for the body is slow again.
    if (ms >= SLOWEST_MS) {
      resent++;
      ({ status, text, allow, ms } = await once());
    }
    const what = `${target.method} ${target.url.split('?')[0]} (depth ${b.depth}, ${b.text.length} bytes${withKey ? ', key' : ''})`;
    if (ms > slowest.ms) slowest = { ms, what };
    assert.ok(status < 500, `${what} → ${status} ${text.slice(0, 300)}`);
    assert.ok(ms < SLOWEST_MS, `${what} took ${ms.toFixed(1)} ms`);
    assert.deepEqual(
      recording.calls.filter((c) => ACTS.has(c)),
      [],
      `${what} reached the client library: ${recording.calls.join(', ')}`,
    );
    recording.calls.length = 0;

    const answer = () => JSON.parse(text) as { error: string; message: string; details?: Array<{ field: string }> };
    if (target.unrouted) {
      assert.equal(status, target.unrouted, `${what} → ${status} ${text}`);
      if (status === 405) assert.ok(allow && !allow.includes(target.method), `${what}: Allow ${allow}`);
      return;
    }
    if (target.guard === 'keyed' && !withKey) return assert.equal(status, 401, `${what} → ${status} ${text}`);
    if (
      target.body &&
      Buffer.byteLength(b.text) > BODY_LIMIT_BYTES &&
      target.guard !== 'open' &&
      (withKey || target.guard === 'link')
    )
      return assert.equal(status, 413, `${what} → ${status} ${text}`);
    if (target.guard === 'link' && target.body && b.depth > MAX_BODY_DEPTH) {
      assert.equal(status, 400, `${what} → ${status} ${text}`);
      assert.match(answer().message, /nest/i, `${what}: ${text}`);
    }
    if (target.guard === 'keyed' && target.body && b.depth > MAX_BODY_DEPTH) {
      assert.equal(status, 400, `${what} → ${status} ${text}`);
      assert.deepEqual(answer().details?.[0]?.field, '(body)', `${what}: ${text}`);
      assert.match(answer().message, new RegExp(`maximum nesting depth is ${MAX_BODY_DEPTH}`), `${what}: ${text}`);
    }
  };

  const property = (wire: boolean) =>
    fc.asyncProperty(fc.constantFrom(...TARGETS), bodySpec, fc.boolean(), async (target, spec, withKey) => {
      const b = bodyOf(spec);
      if (target.deepOnly && b.depth <= MAX_BODY_DEPTH) return;
      await send(target, b, withKey, wire);
    });

  it('no 5xx, no answer slower than 200 ms, nothing started; too deep is 400, unrouted 404/405', async () => {
    await fc.assert(property(false), { numRuns: 10_000, includeErrorInReport: true });
    await fc.assert(property(true), { numRuns: 500, includeErrorInReport: true });
  });

  it('sent over ten thousand bodies, some 20,000 deep, to every route', () => {
    console.log(
      `deep-body fuzz: ${sent} requests, deepest ${deepest}, slowest ${slowest.ms.toFixed(1)} ms (${slowest.what}), ` +
        `${resent} sent again after a first answer past ${SLOWEST_MS} ms`,
    );
    assert.ok(sent >= 10_000, `${sent}`);
    assert.ok(deepest >= DEEPEST, `deepest ${deepest}`);
  });
});
