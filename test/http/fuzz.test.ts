/**
 * Property-based: thousands of malformed bodies, viability ids and headers thrown at the HTTP API, on a stack of its
 * own (dev server, worker process, simulator). Never a 5xx, never a started workflow, always an answer that names
 * what is wrong, and every answer matches the OpenAPI document. Invalid input is refused before Temporal, so the bulk
 * runs through fastify.inject; a share of every property runs over real loopback HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startStack, type Stack } from '../support/stack.ts';
import { startApi, TEST_API_KEY, type ApiUnderTest } from '../support/http-api.ts';

type ErrorBody = { error: string; message: string; details: Array<{ field: string; message: string }> };
type Answer = { status: number; body: ErrorBody; headers: Record<string, unknown> };
const ONE = '/v1/reservations/{viabilityId}';
const VALID_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const VALID_BODY = {
  viabilityId: 'F-1',
  customer: { code: 'C-1', name: 'Fuzz' },
  address: 'Rua Bocaiúva, 2125',
  coordinates: { lat: -27.5935, lng: -48.5515 },
  radiusMeters: 250,
  selection: 'auto',
  holdDays: 30,
  selectionTimeoutHours: 24,
} as const;

/** One mutation that makes the valid body invalid, with the field an answer must name. */
interface Mutation {
  path: string[];
  /** undefined: delete the field. */
  value?: unknown;
  expectField: string;
  /** A word the answer's details or message must contain (e.g. an unknown key's name). */
  expectWord?: string;
}

const notString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.double(),
);
const notNumber = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);
const notObject = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 10 }),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const invalidId = fc.string({ maxLength: 100 }).filter((s) => !VALID_ID.test(s));

const at = (path: string[], value: fc.Arbitrary<unknown>, expectField = path.join('.')) =>
  value.map((v): Mutation => ({ path, value: v, expectField }));
const KNOWN_KEYS = new Set([
  'viabilityId',
  'customer',
  'address',
  'coordinates',
  'radiusMeters',
  'selection',
  'holdDays',
  'selectionTimeoutHours',
  'code',
  'name',
  'lat',
  'lng',
  '__proto__',
  'constructor',
]);
/** Whether a JSON value holds a `__proto__` key anywhere (the body is then refused for that key: see below). */
const holdsProtoKey = (v: unknown): boolean =>
  typeof v === 'object' && v !== null && Object.entries(v).some(([k, c]) => k === '__proto__' || holdsProtoKey(c));
const unknownKey = (parent: string[]) =>
  fc
    .tuple(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/).filter((k) => !KNOWN_KEYS.has(k)),
      fc.jsonValue().filter((v) => !holdsProtoKey(v)),
    )
    .map(([key, value]): Mutation => ({
      path: [...parent, key],
      value,
      expectField: parent.join('.') || '(body)',
      expectWord: key,
    }));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  at(['viabilityId'], fc.oneof(invalidId, notString)),
  at(['customer'], notObject),
  at(['customer', 'code'], fc.oneof(notString, fc.constantFrom('', '   ', 'x'.repeat(65)))),
  at(['customer', 'name'], fc.oneof(notString, fc.constantFrom('', ' \t ', 'n'.repeat(201)))),
  at(
    ['address'],
    fc.oneof(
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.constantFrom('', '  ', 'a'.repeat(301)),
    ),
  ),
  at(['coordinates'], notObject),
  at(
    ['coordinates', 'lat'],
    fc.oneof(
      notNumber,
      fc.double({ min: 90.000001, max: 1e9, noNaN: true }),
      fc.double({ min: -1e9, max: -90.000001, noNaN: true }),
    ),
  ),
  at(['coordinates', 'lng'], fc.oneof(notNumber, fc.double({ min: 180.000001, max: 1e9, noNaN: true }))),
  at(
    ['radiusMeters'],
    fc.oneof(
      notNumber,
      fc.integer({ max: 0 }),
      fc.integer({ min: 5001 }),
      fc.double({ min: 1.01, max: 4999.99, noInteger: true }),
    ),
  ),
  at(
    ['selection'],
    fc.oneof(
      notNumber.filter((v) => v !== 'auto' && v !== 'manual'),
      fc.constantFrom('AUTO', 'Manual', ''),
    ),
  ),
  at(
    ['holdDays'],
    fc.oneof(notNumber, fc.double({ max: 0, noNaN: true }), fc.double({ min: 365.0001, max: 1e6, noNaN: true })),
  ),
  at(['selectionTimeoutHours'], fc.oneof(notNumber, fc.integer({ max: 0 }), fc.integer({ min: 721 }))),
  fc.constantFrom<Mutation>(
    { path: ['viabilityId'], expectField: 'viabilityId' },
    { path: ['customer'], expectField: 'customer' },
    { path: ['customer', 'code'], expectField: 'customer.code' },
    { path: ['customer', 'name'], expectField: 'customer.name' },
  ),
  unknownKey([]),
  unknownKey(['customer']),
  unknownKey(['coordinates']),
  // A key that could alter prototypes, at the top or in an object: refused by its path.
  fc
    .tuple(
      fc.constantFrom<string[]>([], ['customer'], ['coordinates']),
      fc.constantFrom<[string, unknown]>(
        ['__proto__', {}],
        ['__proto__', { x: 1 }],
        ['constructor', { prototype: {} }],
      ),
    )
    .map(([parent, [key, value]]): Mutation => ({
      path: [...parent, key],
      value,
      expectField: [...parent, key, ...(key === 'constructor' ? ['prototype'] : [])].join('.'),
      expectWord: 'refused',
    })),
);

function mutate(m: Mutation): Record<string, unknown> {
  const body = structuredClone(VALID_BODY) as Record<string, unknown>;
  let target = body;
  for (const key of m.path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = m.path.at(-1)!;
  if (m.value === undefined && !('value' in m)) delete target[last];
  // An own property even for `__proto__` (plain assignment would set the prototype, which JSON never shows).
  else Object.defineProperty(target, last, { value: m.value, enumerable: true, writable: true, configurable: true });
  // With both address and coordinates gone, the answer names `address` (give one or the other).
  if (m.path[0] === 'address' && m.value === undefined && !('coordinates' in body)) m.expectField = 'address';
  return body;
}

describe('HTTP API under thousands of malformed requests (fast-check)', () => {
  let stack: Stack;
  let api: ApiUnderTest;
  let overHttp = 0;
  let viaInject = 0;
  before(async () => {
    stack = await startStack({ taskQueue: 'fuzz' });
    api = await startApi(stack.reservations, stack.env);
  });
  after(async () => {
    await api?.close();
    await stack?.stop();
  });

  /** One request, over real HTTP or through inject; checked against the OpenAPI document either way. */
  const send = async (
    wire: boolean,
    method: 'GET' | 'POST',
    route: string,
    url: string,
    options: { payload?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    let answer: Answer;
    if (wire) {
      overHttp++;
      const res = await fetch(`${api.url}${url}`, { method, headers: options.headers, body: options.payload });
      answer = { status: res.status, body: (await res.json()) as ErrorBody, headers: Object.fromEntries(res.headers) };
    } else {
      viaInject++;
      const res = await api.app.inject({ method, url, headers: options.headers, payload: options.payload });
      answer = { status: res.statusCode, body: res.json<ErrorBody>(), headers: res.headers };
    }
    assert.ok(answer.status < 500, `${method} ${url} → ${answer.status} ${JSON.stringify(answer.body)}`);
    api.contract.check(method, route, answer.status, answer.body);
    return answer;
  };
  const auth = { authorization: `Bearer ${TEST_API_KEY}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const names = (answer: Answer, field: string) =>
    answer.body.details.some((d) => d.field === field || d.field.startsWith(`${field}.`)) ||
    answer.body.message.includes(field);

  it('a body with one thing wrong: 400 naming that field, never started', async () => {
    const property = (wire: boolean) =>
      fc.asyncProperty(mutation, async (m) => {
        const body = mutate(m);
        const answer = await send(wire, 'POST', '/v1/reservations', '/v1/reservations', {
          payload: JSON.stringify(body),
          headers: json,
        });
        assert.equal(answer.status, 400, JSON.stringify({ m, answer: answer.body }));
        assert.equal(answer.body.error, 'invalid-input');
        assert.ok(
          names(answer, m.expectField),
          `expected ${m.expectField} named in ${JSON.stringify(answer.body)} for ${JSON.stringify(m)}`,
        );
        if (m.expectWord)
          assert.ok(
            JSON.stringify(answer.body).includes(m.expectWord),
            `expected "${m.expectWord}" in ${JSON.stringify(answer.body)}`,
          );
      });
    await fc.assert(property(false), { numRuns: 2500 });
    await fc.assert(property(true), { numRuns: 250 });
  });

  it('arbitrary JSON and arbitrary text as the body: 4xx with details, never a 5xx', async () => {
    const jsonBodies = fc
      .oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 200 }),
        fc.string({ unit: 'binary', maxLength: 200 }),
      )
      .filter((s) => {
        // A body that happens to be a valid reservation would be right to start one: not malformed, so not here.
        try {
          const v = JSON.parse(s) as unknown;
          return !(typeof v === 'object' && v !== null && 'viabilityId' in v);
        } catch {
          return true;
        }
      });
    const property = (wire: boolean) =>
      fc.asyncProperty(
        jsonBodies,
        fc.constantFrom(
          '/v1/reservations',
          '/v1/reservations/F-1/selection',
          '/v1/reservations/F-1/confirm',
          '/v1/reservations/F-1/cancel',
        ),
        async (payload, url) => {
          const route = url === '/v1/reservations' ? url : url.replace('F-1', '{viabilityId}');
          const answer = await send(wire, 'POST', route, url, { payload, headers: json });
          // confirm/cancel of a viability that does not exist may get as far as 404, or, repeated for the same
          // viability, past its rate limit (429: api/rate-limits.ts).
          assert.ok(
            [400, 404, 413, 429].includes(answer.status),
            `${url} ${JSON.stringify(payload)} → ${answer.status}`,
          );
          assert.ok(answer.body.details.length > 0, JSON.stringify(answer.body));
        },
      );
    await fc.assert(property(false), { numRuns: 1500 });
    await fc.assert(property(true), { numRuns: 150 });
  });

  it('odd viability ids in the path: 400 naming viabilityId (404 when no route matches), never started', async () => {
    const property = (wire: boolean) =>
      fc.asyncProperty(invalidId, fc.constantFrom('GET', 'selection', 'confirm', 'cancel'), async (id, action) => {
        const url = `/v1/reservations/${encodeURIComponent(id)}${action === 'GET' ? '' : `/${action}`}`;
        const route = action === 'GET' ? ONE : `${ONE}/${action}`;
        const body = action === 'selection' ? JSON.stringify({ boxId: 'b-1' }) : action === 'GET' ? undefined : '{}';
        const answer = await send(
          wire,
          action === 'GET' ? 'GET' : 'POST',
          id === '' ? (action === 'GET' ? '/v1/reservations' : route) : route,
          url,
          {
            payload: body,
            headers: body ? json : auth,
          },
        ).catch((err: unknown) => {
          // An empty id on a sub-route matches no route: the 404 answer is not a route of the document.
          if (
            id === '' &&
            err instanceof assert.AssertionError &&
            /not in the OpenAPI document|does not list/.test(err.message)
          )
            return undefined;
          throw err;
        });
        if (!answer) return;
        if (id === '' && action === 'GET') return; // that is the listing itself
        assert.ok([400, 404].includes(answer.status), `${url} → ${answer.status}`);
        if (answer.status === 400) assert.ok(names(answer, 'viabilityId'), JSON.stringify(answer.body));
      });
    await fc.assert(property(false), { numRuns: 1500 });
    await fc.assert(property(true), { numRuns: 150 });
  });

  it('well-formed ids that were never reserved: 404 (these reach Temporal)', async () => {
    const property = fc.asyncProperty(
      fc.stringMatching(VALID_ID).filter((s) => s !== '.' && s !== '..'),
      fc.boolean(),
      async (id, wire) => {
        const answer = await send(wire, 'GET', ONE, `/v1/reservations/${encodeURIComponent(id)}`, { headers: auth });
        assert.equal(answer.status, 404, JSON.stringify(answer.body));
        assert.equal(answer.body.details[0]?.field, 'viabilityId');
      },
    );
    await fc.assert(property, { numRuns: 150 });
  });

  it('odd Authorization, Content-Type and extra headers: 401/415/4xx, never a 5xx, never started', async () => {
    const valid = JSON.stringify({ ...VALID_BODY, viabilityId: 'F-headers' });
    const authValues = fc
      .oneof(
        fc.stringMatching(/^[\x20-\x7e]{0,120}$/),
        fc.stringMatching(/^[\x21-\x7e]{1,80}$/).map((t) => `Bearer ${t}`),
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          `bearer  ${TEST_API_KEY.slice(1)}`,
          `Bearer ${TEST_API_KEY} extra`,
          `Basic ${TEST_API_KEY}`,
          TEST_API_KEY,
        ),
      )
      .map((s) => s.trim())
      .filter((s) => !/^bearer[ \t]+test-ispbox-key-0123456789$/i.test(s));
    const authProperty = (wire: boolean) =>
      fc.asyncProperty(authValues, async (value) => {
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          ...(value ? { authorization: value } : {}),
        };
        const answer = await send(wire, 'POST', '/v1/reservations', '/v1/reservations', { payload: valid, headers });
        assert.equal(answer.status, 401);
        assert.match(String(answer.headers['www-authenticate']), /^Bearer realm=/);
        assert.ok(names(answer, 'authorization'));
      });
    await fc.assert(authProperty(false), { numRuns: 600 });
    await fc.assert(authProperty(true), { numRuns: 60 });

    const contentTypes = fc
      .oneof(
        fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'text/json',
        ),
      )
      .filter((s) => !/json/i.test(s) || s === 'text/json');
    const typeProperty = (wire: boolean) =>
      fc.asyncProperty(contentTypes, async (type) => {
        const answer = await send(wire, 'POST', '/v1/reservations', '/v1/reservations', {
          payload: valid,
          headers: { ...auth, 'content-type': type },
        });
        assert.ok([400, 415].includes(answer.status), `content-type ${JSON.stringify(type)} → ${answer.status}`);
        assert.ok(answer.body.details.length > 0);
      });
    await fc.assert(typeProperty(false), { numRuns: 600 });
    await fc.assert(typeProperty(true), { numRuns: 60 });

    const extra = fc.dictionary(
      fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
      fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,150}$/),
      { maxKeys: 5 },
    );
    const extraProperty = (wire: boolean) =>
      fc.asyncProperty(extra, async (headers) => {
        const answer = await send(wire, 'GET', '/v1/reservations', '/v1/reservations?status=NOPE', {
          headers: { ...headers, ...auth },
        });
        assert.equal(answer.status, 400);
        assert.ok(names(answer, 'status'));
      });
    await fc.assert(extraProperty(false), { numRuns: 300 });
    await fc.assert(extraProperty(true), { numRuns: 30 });
  });

  it('odd query strings: 400 naming each bad key, an unknown one by its own name, never (body)', async () => {
    const LISTING_KEYS = ['status', 'customerCode', 'expiresBefore', 'pageSize', 'pageToken'];
    const unknownKeys = fc.uniqueArray(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,15}$/).filter((k) => !LISTING_KEYS.includes(k) && k !== 'ozmap'),
      { minLength: 1, maxLength: 3 },
    );
    const badValues = fc.record(
      {
        status: fc.constantFrom('SOLD', 'reserved', ''),
        customerCode: fc.constantFrom('', '   ', 'C\u0000-77', 'x'.repeat(65)),
        expiresBefore: fc.constantFrom('tomorrow', '2026-13-01T00:00:00Z', '1'),
        pageSize: fc.constantFrom('0', '101', 'ten', '1.5'),
        pageToken: fc.constantFrom('%%', '!', 'a'.repeat(4097)),
      },
      { requiredKeys: [] },
    );
    const property = (wire: boolean) =>
      fc.asyncProperty(
        unknownKeys,
        badValues,
        fc.constantFrom('/v1/reservations', '/v1/doctor'),
        async (unknown, bad, route) => {
          const query = new URLSearchParams([
            ...unknown.map((k): [string, string] => [k, 'x']),
            ...(route === '/v1/reservations' ? Object.entries(bad) : []),
          ]);
          const answer = await send(wire, 'GET', route, `${route}?${query.toString()}`, { headers: auth });
          assert.equal(answer.status, 400, JSON.stringify(answer.body));
          const fields = answer.body.details.map((d) => d.field);
          const expected = [...unknown, ...(route === '/v1/reservations' ? Object.keys(bad) : [])];
          for (const key of expected) assert.ok(fields.includes(key), `${key} not named in ${JSON.stringify(fields)}`);
          assert.ok(!fields.includes('(body)'), JSON.stringify(answer.body));
        },
      );
    await fc.assert(property(false), { numRuns: 500, includeErrorInReport: true });
    await fc.assert(property(true), { numRuns: 50, includeErrorInReport: true });
  });

  it('started no workflow at all', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500)); // visibility lags a moment behind a start
    const count = await stack.client.workflow.count();
    assert.equal(count.count, 0);
    console.log(`fast-check requests: ${viaInject} through inject, ${overHttp} over loopback HTTP`);
    assert.ok(viaInject > 5000 && overHttp > 500);
  });
});
