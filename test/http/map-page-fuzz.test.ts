/**
 * Property-based: over ten thousand malformed query strings (changed, partial or made-up signed links), bodies and
 * headers thrown at the map page's endpoints through fastify.inject, on the whole HTTP server with a recording
 * stand-in for the client library. Never a 5xx, always an answer in the API's error shape, and nothing reaches the
 * client library: no reservation is started, selected or even read.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../config/env.ts';
import { buildHttpServer } from '../../api/server.ts';
import { viabilityPageUrl } from '../../client/viability-link.ts';
import { SelectBoxInput } from '../../contract/schemas.ts';
import { fakeReservations } from '../support/fake-reservations.ts';

const KEY = 'map-page-fuzz-key-0123456789';
const ENDPOINTS = [
  ['POST', '/viability/api/start'],
  ['GET', '/viability/api/state'],
  ['POST', '/viability/api/select'],
] as const;

const VALID = new URL(
  viabilityPageUrl({
    baseUrl: 'http://x',
    apiKey: KEY,
    input: {
      viabilityId: 'V-FUZZ',
      customer: { code: 'C-1', name: 'Fuzz' },
      address: 'Rua Bocaiúva, 2125',
      radiusMeters: 300,
    },
  }),
).searchParams;
const VALID_QUERY = `?${VALID.toString()}`;
/** The same link's data, every parameter (`__proto__` included: the verifier reads them on a null prototype). */
const sameParams = (a: URLSearchParams, b: URLSearchParams) => {
  const entries = (p: URLSearchParams) => [...p];
  return (
    entries(a).length === entries(b).length && entries(a).every(([k, v]) => b.getAll(k).length === 1 && b.get(k) === v)
  );
};

const text = fc.string({ maxLength: 40 });
const anyText = fc.oneof(text, fc.string({ unit: 'binary', maxLength: 40 }), fc.stringMatching(/^[0-9a-f]{64}$/));
const paramName = fc.oneof(
  fc.constantFrom(...VALID.keys(), 'sig', 'exp', 'lat', 'lng', 'radius', '__proto__', 'constructor'),
  fc.string({ maxLength: 12 }),
);

/** The valid link with one or more changes: a value changed, a parameter dropped, added or repeated. */
const changedLink = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constant('set'), paramName, anyText),
      fc.tuple(fc.constant('delete'), paramName, fc.constant('')),
      fc.tuple(fc.constant('append'), paramName, anyText),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((changes) => {
    const params = new URLSearchParams(VALID);
    for (const [op, name, value] of changes) {
      if (op === 'set') params.set(name, value);
      else if (op === 'delete') params.delete(name);
      else params.append(name, value);
    }
    return params;
  })
  .filter((params) => !sameParams(params, VALID))
  .map((params) => `?${params.toString()}`);

/** Query strings as anyone may type them: printable bytes, percent escapes good and bad, no link at all. */
const rawQuery = fc.oneof(
  fc.stringMatching(/^[\x21-\x22\x24-\x7e]{0,200}$/).map((q) => `?${q}`),
  fc.constant(''),
  fc.dictionary(paramName, text, { maxKeys: 8 }).map((d) => `?${new URLSearchParams(d).toString()}`),
);
const badQuery = fc.oneof(changedLink, rawQuery).filter((q) => {
  const params = new URLSearchParams(q);
  return !sameParams(params, VALID);
});

/** Bodies that are not a selection: any JSON that SelectBoxInput refuses, text, bytes. */
const badSelection = fc
  .oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc
      .record(
        { boxId: fc.oneof(text, fc.jsonValue()), splitterId: fc.jsonValue(), port: fc.jsonValue() },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
  )
  .filter((s) => {
    try {
      return !SelectBoxInput.safeParse(JSON.parse(s)).success;
    } catch {
      return true;
    }
  });
/** Not JSON at all (a start with a valid link and such a body is refused by the parser, before the handler). */
const notJson = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })).filter((s) => {
  try {
    JSON.parse(s);
    return false;
  } catch {
    return true;
  }
});

const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,80}$/);
const oddHeaders = fc.record(
  {
    'content-type': fc.oneof(
      headerValue,
      fc.constantFrom('application/json', 'application/json; charset=latin1', 'text/plain', 'multipart/form-data'),
    ),
    authorization: headerValue,
    cookie: headerValue,
    'x-forwarded-for': headerValue,
    'content-encoding': fc.constantFrom('gzip', 'br', 'identity', 'x-nope'),
  },
  { requiredKeys: [] },
);

describe('map page endpoints under ten thousand malformed requests (fast-check)', () => {
  let app: FastifyInstance;
  const fake = fakeReservations();
  let sent = 0;
  let reached = 0;
  before(async () => {
    app = await buildHttpServer({
      reservations: fake.reservations,
      config: loadConfig({ ISPBOX_API_KEY: KEY, LOG_LEVEL: 'silent' }),
      logger: false,
    });
    await app.ready();
  });
  after(() => app?.close());

  const send = async (
    method: string,
    url: string,
    options: { payload?: string; headers?: Record<string, string> } = {},
  ) => {
    sent++;
    fake.calls.length = 0; // each request is judged on its own calls (a failure does not spill into the next)
    const res = await app.inject({
      method: method as 'GET' | 'POST',
      url,
      headers: options.headers,
      payload: options.payload,
    });
    assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${method} ${url} → ${res.statusCode} ${res.body}`);
    const body = res.json<{ error: unknown; message: unknown }>();
    assert.ok(typeof body.error === 'string' && typeof body.message === 'string', res.body);
    reached += fake.calls.length;
    assert.deepEqual(fake.calls, [], `${method} ${url} ${options.payload} reached the client library`);
    return res;
  };

  it('changed, partial and made-up links: 400/401/403 on every endpoint, before any body is looked at', async () => {
    await fc.assert(
      fc.asyncProperty(badQuery, fc.constantFrom(...ENDPOINTS), fc.option(badSelection), async (q, [m, path], b) => {
        const res = await send(m, `${path}${q}`, {
          payload: m === 'POST' && b !== null ? b : undefined,
          headers: m === 'POST' && b !== null ? { 'content-type': 'application/json' } : {},
        });
        assert.ok([400, 401, 403].includes(res.statusCode), `${path}${q} → ${res.statusCode}`);
      }),
      { numRuns: 5000 },
    );
  });

  it('a valid link with a body that is not a selection (or not JSON on start): 400/413/415, nothing started', async () => {
    await fc.assert(
      fc.asyncProperty(badSelection, fc.constantFrom('application/json', 'application/json; charset=utf-8'), (b, t) =>
        send('POST', `/viability/api/select${VALID_QUERY}`, { payload: b, headers: { 'content-type': t } }).then(
          () => {},
        ),
      ),
      { numRuns: 2500 },
    );
    await fc.assert(
      fc.asyncProperty(notJson, (b) =>
        send('POST', `/viability/api/start${VALID_QUERY}`, {
          payload: b,
          headers: { 'content-type': 'application/json' },
        }).then(() => {}),
      ),
      { numRuns: 1000 },
    );
  });

  it('odd headers with a bad link, or with a bad selection: 4xx, never a 5xx, nothing started', async () => {
    await fc.assert(
      fc.asyncProperty(
        oddHeaders,
        fc.constantFrom(...ENDPOINTS),
        fc.oneof(badQuery, fc.constant(VALID_QUERY)),
        badSelection,
        async (headers, [m, path], q, b) => {
          // With a valid link, only select is in play here (its body is bad); start and state would rightly act.
          const route = q === VALID_QUERY ? '/viability/api/select' : path;
          const method = q === VALID_QUERY ? 'POST' : m;
          await send(method, `${route}${q}`, {
            headers: headers,
            payload: method === 'POST' ? b : undefined,
          });
        },
      ),
      { numRuns: 2500 },
    );
  });

  it('sent over ten thousand requests, and the client library was never called', () => {
    console.log(`map page fuzz: ${sent} requests through inject`);
    assert.ok(sent >= 10_000, `${sent}`);
    assert.equal(reached, 0, 'calls into the client library');
  });
});
