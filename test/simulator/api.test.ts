/** The read side of the OZmap API: auth, shapes, list queries (filters, near, select, sort, pagination), errors. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_LIMIT } from '../../simulator/filters.ts';
import { distanceMeters } from '../../simulator/geo.ts';
import type { BoxRecord, ClientRecord, PropertyView, SplitterRecord } from '../../simulator/model.ts';
import { DEFAULT_SIM_API_KEY, NO_COVERAGE_POINT } from '../../simulator/server.ts';
import type { Page } from '../../simulator/filters.ts';
import {
  type ErrorBody,
  type TestSimulator,
  filterParam,
  getWithBody,
  isolatedBox,
  startTestSimulator,
} from './support.ts';

const BOCAIUVA = { lat: -27.5874, lng: -48.5516 };

describe('OZmap simulator API (reads)', () => {
  let sim: TestSimulator;
  before(async () => {
    sim = await startTestSimulator({ stateFile: undefined });
  });
  after(async () => {
    await sim.stop();
    assert.deepEqual(sim.logs, [], 'no unexpected server errors');
  });

  describe('authentication', () => {
    it('accepts the raw key and "Bearer <key>", and the default demo key is documented', async () => {
      assert.equal(sim.apiKey, DEFAULT_SIM_API_KEY);
      assert.equal(DEFAULT_SIM_API_KEY, 'demo-ozmap-key');
      assert.equal((await sim.call('GET', '/api/v2/authenticated')).status, 200);
      assert.equal(
        (await sim.call('GET', '/api/v2/authenticated', { headers: { authorization: `Bearer ${sim.apiKey}` } })).status,
        200,
      );
    });

    it('answers 401 {message} without a key or with a wrong one, on OZmap and admin routes alike', async () => {
      for (const headers of [
        { authorization: '' },
        { authorization: 'wrong-key' },
        { authorization: 'Bearer wrong-key' },
      ]) {
        const reply = await sim.call<ErrorBody>('GET', '/api/v2/boxes', { headers });
        assert.equal(reply.status, 401);
        assert.match(reply.body.message, /Unauthorized/);
        assert.match(reply.headers.get('content-type') ?? '', /application\/json/);
      }
      assert.equal((await sim.call('GET', '/__sim/summary', { headers: { authorization: 'nope' } })).status, 401);
      assert.equal(
        (await sim.call('GET', '/api/v2/no-such-route', { headers: { authorization: 'nope' } })).status,
        401,
      );
    });

    it('logs in with {apiKey} (what the SDK posts) or {login, password}, with or without ?type=API', async () => {
      for (const route of ['/api/v2/users/login?type=API', '/api/v2/users/login']) {
        const reply = await sim.call<{ authorization: string }>('POST', route, {
          body: { apiKey: sim.apiKey },
          headers: { authorization: 'true' },
        });
        assert.equal(reply.status, 200);
        assert.equal(reply.body.authorization, sim.apiKey);
      }
      const byPassword = await sim.call('POST', '/api/v2/users/login', {
        body: { login: 'integracao.api', password: sim.apiKey },
        headers: { authorization: '' },
      });
      assert.equal(byPassword.status, 200);
      const wrong = await sim.call<ErrorBody>('POST', '/api/v2/users/login', {
        body: { apiKey: 'nope' },
        headers: { authorization: '' },
      });
      assert.equal(wrong.status, 401);
    });
  });

  describe('errors', () => {
    it('answers unknown routes 404, wrong methods 405, bad JSON 400, always with JSON {message}', async () => {
      const unknown = await sim.get<ErrorBody>('/api/v2/no-such-route');
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.message, /No route/);
      assert.equal((await sim.get<ErrorBody>('/elsewhere')).status, 404);
      const wrongMethod = await sim.call<ErrorBody>('PUT', '/api/v2/boxes');
      assert.equal(wrongMethod.status, 405);
      assert.match(wrongMethod.body.message, /allowed: GET/);
      const badJson = await sim.call<ErrorBody>('POST', '/api/v2/properties', { body: '{"box": ' });
      assert.equal(badJson.status, 400);
      assert.match(badJson.body.message, /not valid JSON/);
    });

    it('survives hostile queries: prototype paths, deep nesting, pathological like patterns, odd paths', async () => {
      const polluting = [
        'select=__proto__.polluted,constructor.prototype.polluted,name',
        filterParam([{ property: '__proto__.polluted', operator: 'exists', value: false }]),
        'sort=__proto__',
      ];
      for (const query of polluting) assert.equal((await sim.get(`/api/v2/boxes?${query}`)).status, 200, query);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      let nested: unknown = [{ property: 'name', operator: '=', value: 'x' }];
      for (let i = 0; i < 50; i++) nested = [nested];
      const deep = await sim.get<ErrorBody>(`/api/v2/boxes?${filterParam(nested)}`);
      assert.equal(deep.status, 400);
      assert.match(deep.body.message, /nested more than/);
      const started = performance.now();
      const slow = await sim.get(
        `/api/v2/properties?limit=1&${filterParam([{ property: 'address', operator: 'like', value: `${'%a'.repeat(40)}%b` }])}`,
      );
      assert.equal(slow.status, 200);
      assert.ok(performance.now() - started < 2000, 'no catastrophic backtracking');
      for (const route of [
        '/api/v2/boxes/%zz',
        '/api/v2//boxes',
        '/api/v2',
        '/__sim/',
        '/search.php?format=json&q=%E0',
      ]) {
        const reply = await sim.get<ErrorBody>(route);
        assert.ok(reply.status >= 200 && reply.status < 500, `${route}: ${reply.status}`);
      }
    });

    it('answers 404 {message} for an unknown id, ObjectId-shaped or not', async () => {
      for (const route of ['boxes', 'splitters', 'properties', 'ftth-clients']) {
        for (const id of ['0123456789abcdef01234567', 'not-an-id', '%E0%A4%A']) {
          const reply = await sim.get<ErrorBody>(`/api/v2/${route}/${id}`);
          assert.ok([400, 404].includes(reply.status), `${route}/${id}: ${reply.status}`);
          assert.equal(typeof reply.body.message, 'string');
        }
      }
      assert.equal((await sim.get('/api/v2/boxes/0123456789abcdef01234567')).status, 404);
    });
  });

  describe('models', () => {
    it('serves boxes as OZmap documents them', async () => {
      const { body } = await sim.get<Page<BoxRecord>>('/api/v2/boxes?limit=5');
      const box = body.rows[0];
      assert.ok(box);
      assert.match(box.id, /^[0-9a-f]{24}$/);
      assert.equal(box._id, box.id);
      assert.equal(box.kind, 'Box');
      assert.match(box.name, /^C(TO-\d{4}|EO-\d{3})$/);
      assert.deepEqual(box.coords, [box.lng, box.lat]);
      for (const field of ['project', 'pole', 'boxType', 'createdAt', 'updatedAt'] as const)
        assert.equal(typeof box[field], 'string');
      for (const field of ['implanted', 'draft', 'certified', 'shared', 'underground'] as const)
        assert.equal(typeof box[field], 'boolean');
      assert.equal(typeof box.hierarchyLevel, 'number');
      assert.deepEqual(Object.keys(box.creatorData).sort(), ['id', 'name', 'username']);
      assert.deepEqual((await sim.get<BoxRecord>(`/api/v2/boxes/${box.id}`)).body, box);
    });

    it('serves splitters with connectables.output (null = free) and one port entry per output', async () => {
      const { box, drop, network } = isolatedBox(sim);
      const { body } = await sim.get<Page<SplitterRecord>>(
        `/api/v2/splitters?${filterParam([{ property: 'parent', operator: '=', value: box.id }])}`,
      );
      assert.deepEqual(
        body.rows.map((s) => [s.name, s.isDrop]),
        [
          ['Splitter 1', false],
          ['Splitter 2', true],
        ],
      );
      const splitter = body.rows.find((s) => s.id === drop.id);
      assert.ok(splitter);
      assert.equal(splitter.kind, 'Splitter');
      assert.equal(splitter.parent, box.id);
      assert.equal(splitter.project, box.project);
      assert.deepEqual(splitter.ratio, { input: 1, output: 8 });
      assert.equal(splitter.connectables.output.length, 8);
      assert.deepEqual(
        splitter.connectables.output.map((fiber, i) =>
          fiber === null ? (splitter.ports[i]?.blocked ? 'blocked' : 'free') : 'taken',
        ),
        ['taken', 'taken', 'free', 'taken', 'blocked', 'free', 'taken', 'free'],
      );
      assert.deepEqual(
        splitter.ports.map((p) => p.index),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
      assert.equal(
        network.connectables.output.every((fiber) => fiber === null),
        true,
        'the trap: a network splitter with free outputs',
      );
    });

    it('serves properties with the client populated and connections[], and the ftth-clients on their own', async () => {
      const { drop } = isolatedBox(sim);
      const fiber = drop.connectables.output[0];
      const { body } = await sim.get<Page<PropertyView>>(
        `/api/v2/properties?${filterParam([{ property: 'connections.fiber', operator: '=', value: fiber }])}`,
      );
      assert.equal(body.total, 1);
      const property = body.rows[0];
      assert.ok(property?.client);
      assert.equal(property.kind, 'Property');
      assert.deepEqual(property.connections, [
        { id: drop.id, kind: 'Splitter', port: 1, name: 'Splitter 2', implanted: property.client.implanted, fiber },
      ]);
      assert.equal(typeof property.drop, 'string');
      assert.equal(property.client.kind, 'FTTHClient');
      assert.equal(property.client.status, 0);
      const client = await sim.get<ClientRecord>(`/api/v2/ftth-clients/${property.client.id}`);
      assert.deepEqual(client.body, property.client);
    });
  });

  describe('filters', () => {
    const boxes = (query: string) => sim.get<Page<BoxRecord>>(`/api/v2/boxes?${query}&limit=1000`);

    it('supports =, eq, !=, in, notin, like, exists, <, <=, >, >= with MongoDB semantics', async () => {
      const all = (await boxes('')).body.rows;
      const drafts = all.filter((b) => b.draft);
      const f = async (filter: unknown) => (await boxes(filterParam(filter))).body.rows.map((b) => b.id);
      assert.deepEqual(
        await f([{ property: 'draft', operator: '=', value: true }]),
        drafts.map((b) => b.id),
      );
      assert.deepEqual(
        await f([{ property: 'draft', operator: 'eq', value: 'true' }]),
        drafts.map((b) => b.id),
        'eq alias, string "true"',
      );
      assert.equal((await f([{ property: 'draft', operator: '!=', value: true }])).length, all.length - drafts.length);
      const two = all.slice(0, 2).map((b) => b.name);
      assert.deepEqual(
        await f([{ property: 'name', operator: 'in', value: two }]),
        all.slice(0, 2).map((b) => b.id),
      );
      assert.equal((await f([{ property: 'name', operator: 'notin', value: two }])).length, all.length - 2);
      // Each item of an `in` list is compared as `=` compares it: "true" for true, and strings only to strings.
      assert.deepEqual(
        await f([{ property: 'draft', operator: 'in', value: ['true', 'nothing'] }]),
        drafts.map((b) => b.id),
      );
      assert.deepEqual(await f([{ property: 'name', operator: 'in', value: [two[0], 7, null, { id: two[1] }] }]), [
        all[0]!.id,
      ]);
      assert.deepEqual(
        await f([{ property: 'address', operator: 'like', value: 'bocaiúva' }]),
        all.filter((b) => b.address.includes('Bocaiúva')).map((b) => b.id),
      );
      assert.deepEqual(
        await f([{ property: 'name', operator: 'like', value: 'CEO-%' }]),
        all.filter((b) => b.name.startsWith('CEO-')).map((b) => b.id),
      );
      assert.deepEqual(
        await f([{ property: 'observation', operator: 'exists', value: true }]),
        all.filter((b) => b.observation !== undefined).map((b) => b.id),
      );
      const lat = -27.59;
      assert.deepEqual(
        await f([{ property: 'lat', operator: '<', value: lat }]),
        all.filter((b) => b.lat < lat).map((b) => b.id),
      );
      assert.deepEqual(
        await f([{ property: 'lat', operator: '>=', value: String(lat) }]),
        all.filter((b) => b.lat >= lat).map((b) => b.id),
      );
      const cutoff = all[100]?.createdAt ?? '';
      assert.deepEqual(
        await f([{ property: 'createdAt', operator: '<=', value: cutoff }]),
        all.filter((b) => b.createdAt <= cutoff).map((b) => b.id),
      );
      assert.deepEqual(
        await f([{ property: 'createdAt', operator: '>', value: cutoff }]),
        all.filter((b) => b.createdAt > cutoff).map((b) => b.id),
      );
    });

    it('ANDs top-level items and nested groups', async () => {
      const filter = [
        { property: 'draft', operator: '=', value: false },
        [
          { property: 'implanted', operator: '=', value: false },
          { property: 'name', operator: 'like', value: 'CTO' },
        ],
      ];
      const { body } = await boxes(filterParam(filter));
      assert.ok(body.total > 0);
      assert.ok(body.rows.every((b) => !b.draft && !b.implanted && b.name.startsWith('CTO')));
    });

    it('filters on a dotted path through a populated client or an array (client.code, connections.id)', async () => {
      const { drop } = isolatedBox(sim);
      const byConnection = await sim.get<Page<PropertyView>>(
        `/api/v2/properties?${filterParam([{ property: 'connections.id', operator: '=', value: drop.id }])}`,
      );
      assert.equal(byConnection.body.total, 4);
      const code = byConnection.body.rows[0]?.client?.code ?? '';
      const byCode = await sim.get<Page<PropertyView>>(
        `/api/v2/properties?${filterParam([{ property: 'client.code', operator: '=', value: code }])}`,
      );
      assert.deepEqual(byCode.body.rows, [byConnection.body.rows[0]]);
      const clientId = byConnection.body.rows[0]?.client?.id;
      const byClientId = await sim.get<Page<PropertyView>>(
        `/api/v2/properties?${filterParam([{ property: 'client', operator: '=', value: clientId }])}`,
      );
      assert.equal(byClientId.body.total, 1, 'a populated reference compares by id');
    });

    it('near: only boxes within the radius, nearest first, whatever the point shape', async () => {
      const radius = 200;
      const expected = sim.store
        .list('boxes')
        .map((b) => b as BoxRecord)
        .filter((b) => distanceMeters(BOCAIUVA, b) <= radius).length;
      const shapes = [
        { lat: BOCAIUVA.lat, lng: BOCAIUVA.lng, radius },
        { lat: String(BOCAIUVA.lat), lng: String(BOCAIUVA.lng), radius: String(radius) },
        { latitude: BOCAIUVA.lat, longitude: BOCAIUVA.lng, radius },
        { coords: [BOCAIUVA.lng, BOCAIUVA.lat], radius },
      ];
      for (const value of shapes) {
        const { status, body } = await boxes(filterParam([{ property: 'coords', operator: 'near', value }]));
        assert.equal(status, 200);
        assert.equal(body.total, expected, JSON.stringify(value));
        const distances = body.rows.map((b) => distanceMeters(BOCAIUVA, b));
        assert.ok(distances.every((d) => d <= radius));
        assert.deepEqual(
          distances,
          [...distances].sort((a, b) => a - b),
          'sorted by distance',
        );
      }
      assert.ok(expected >= 5, 'the demo street is well covered');
    });

    it('near the no-coverage point east of the demo area finds no box within 1 km', async () => {
      const { body } = await boxes(
        filterParam([{ property: 'coords', operator: 'near', value: { ...NO_COVERAGE_POINT, radius: 1000 } }]),
      );
      assert.equal(body.total, 0);
      assert.deepEqual(body.rows, []);
    });

    it('takes the filter from a GET body too (as the official SDK sends it)', async () => {
      const reply = await getWithBody<Page<BoxRecord>>(sim, '/api/v2/boxes?limit=1000', {
        filter: [{ property: 'draft', operator: '=', value: true }],
        sort: null,
      });
      assert.equal(reply.status, 200);
      assert.equal(reply.body.total, sim.summary().boxes.draft);
      const bad = await getWithBody<ErrorBody>(sim, '/api/v2/boxes', {
        filter: [{ property: 'draft', operator: 'approx', value: 1 }],
      });
      assert.equal(bad.status, 400);
    });

    it('refuses unknown operators and malformed filters with 400 {message} naming the problem', async () => {
      const cases: [string, RegExp][] = [
        [filterParam([{ property: 'name', operator: 'contains', value: 'x' }]), /unknown filter operator "contains"/],
        [filterParam([{ property: 'coords', operator: 'within', value: {} }]), /"within" is not supported/],
        ['filter=' + encodeURIComponent('[{"property":'), /filter is not valid JSON/],
        [filterParam([{ operator: '=', value: 1 }]), /filter\[0\]\.property/],
        [
          filterParam([[{ property: 'name', operator: 'in', value: 'x' }]]),
          /filter\[0\]\[0\]: operator "in" needs an array/,
        ],
        [filterParam([{ property: 'coords', operator: 'near', value: { lat: 'x', lng: 1 } }]), /near needs a point/],
        [filterParam([42]), /filter\[0\] must be a filter object/],
        ['limit=0', /limit must be a whole number/],
        ['page=-1', /page must be/],
        ['limit=5000', /at most 1000/],
        ['sort=' + encodeURIComponent('[{"property":"name","direction":2}]'), /direction/],
      ];
      for (const [query, message] of cases) {
        const reply = await sim.get<ErrorBody>(`/api/v2/boxes?${query}`);
        assert.equal(reply.status, 400, query);
        assert.match(reply.body.message, message);
      }
    });
  });

  describe('select, sort and pagination', () => {
    it('select keeps id and kind, and nulls lat/lng unless coords is selected (as OZmap does)', async () => {
      const { body } = await sim.get<Page<Record<string, unknown>>>('/api/v2/boxes?select=name&limit=2');
      assert.deepEqual(Object.keys(body.rows[0] ?? {}).sort(), ['id', 'kind', 'lat', 'lng', 'name']);
      assert.equal(body.rows[0]?.lat, null);
      const withCoords = await sim.get<Page<BoxRecord>>('/api/v2/boxes?select=name,coords&limit=1');
      assert.equal(typeof withCoords.body.rows[0]?.lat, 'number');
      const excluded = await sim.get<Page<Record<string, unknown>>>(
        '/api/v2/boxes?select=-cables,-creatorData&limit=1',
      );
      assert.equal('cables' in (excluded.body.rows[0] ?? {}), false);
      assert.equal('name' in (excluded.body.rows[0] ?? {}), true);
      const one = await sim.get<Record<string, unknown>>(`/api/v2/boxes/${isolatedBox(sim).box.id}?select=name`);
      assert.equal(one.body.name, 'CTO-9001');
      assert.equal('draft' in one.body, false);
    });

    it('sorts by JSON [{property, direction}] or "field,-field", and that overrides near ordering', async () => {
      const byName = await sim.get<Page<BoxRecord>>(
        `/api/v2/boxes?limit=1000&sort=${encodeURIComponent('[{"property":"name","direction":-1}]')}`,
      );
      const names = byName.body.rows.map((b) => b.name);
      assert.deepEqual(names, [...names].sort().reverse());
      const short = await sim.get<Page<BoxRecord>>('/api/v2/boxes?limit=1000&sort=draft,-name');
      assert.equal(short.body.rows[0]?.draft, false);
      const near = filterParam([{ property: 'coords', operator: 'near', value: { ...BOCAIUVA, radius: 300 } }]);
      const nearByName = await sim.get<Page<BoxRecord>>(`/api/v2/boxes?${near}&sort=name`);
      const nearNames = nearByName.body.rows.map((b) => b.name);
      assert.deepEqual(nearNames, [...nearNames].sort());
    });

    it(`pages with {total, count, start, limit, rows, hasNextPage, nextUrl} (default limit ${DEFAULT_LIMIT})`, async () => {
      const first = await sim.get<Page<BoxRecord>>('/api/v2/boxes');
      assert.equal(first.body.limit, DEFAULT_LIMIT);
      assert.equal(first.body.start, 0);
      assert.equal(first.body.count, DEFAULT_LIMIT);
      assert.equal(first.body.total, sim.summary().boxes.total);
      assert.equal(first.body.hasNextPage, true);
      const third = await sim.get<Page<BoxRecord>>('/api/v2/boxes?page=3&limit=100');
      assert.equal(third.body.start, 200);
      assert.equal(third.body.count, first.body.total - 200);
      assert.equal(third.body.hasNextPage, false);
      assert.equal('nextUrl' in third.body, false);
      const beyond = await sim.get<Page<BoxRecord>>('/api/v2/boxes?page=99');
      assert.deepEqual([beyond.body.count, beyond.body.rows.length, beyond.body.hasNextPage], [0, 0, false]);
    });

    it('nextUrl is a server-relative /api/v2 path that keeps the filter and select, and reaches every match once', async () => {
      const filter = [{ property: 'draft', operator: '=', value: false }];
      let route: string | undefined = `/api/v2/boxes?${filterParam(filter)}&limit=40&select=name,draft`;
      const seen: string[] = [];
      let pages = 0;
      while (route) {
        const page: Page<BoxRecord> = (await sim.get<Page<BoxRecord>>(route)).body;
        pages++;
        seen.push(...page.rows.map((b) => b.id));
        assert.ok(page.rows.every((b) => b.draft === false && Object.keys(b).length === 6));
        if (page.nextUrl) {
          assert.match(page.nextUrl, /^\/api\/v2\/boxes\?/);
          const params = new URL(page.nextUrl, 'http://x').searchParams;
          assert.equal(params.get('page'), String(pages + 1));
          assert.deepEqual(JSON.parse(params.get('filter') ?? 'null'), filter);
        }
        route = page.nextUrl;
      }
      const { boxes } = sim.summary();
      assert.equal(seen.length, boxes.total - boxes.draft);
      assert.equal(new Set(seen).size, seen.length);
      assert.equal(pages, Math.ceil(seen.length / 40));
    });
  });

  describe('properties by client code and feasibility by radius', () => {
    it('GET /properties/client/:code answers a bare array and decodes the code', async () => {
      const { drop } = isolatedBox(sim);
      const property = (
        await sim.get<Page<PropertyView>>(
          `/api/v2/properties?${filterParam([{ property: 'connections.id', operator: '=', value: drop.id }])}`,
        )
      ).body.rows[0];
      const code = property?.client?.code ?? '';
      const reply = await sim.get<PropertyView[]>(`/api/v2/properties/client/${encodeURIComponent(code)}`);
      assert.ok(Array.isArray(reply.body));
      assert.deepEqual(reply.body, [property]);
      assert.deepEqual((await sim.get<PropertyView[]>('/api/v2/properties/client/NO-SUCH-CODE')).body, []);
    });

    it('GET /ftth-viability/radius (invented shape): viable boxes with free drop ports, nearest first', async () => {
      const { box } = isolatedBox(sim);
      const reply = await sim.get<{
        viable: boolean;
        radius: number;
        viables: {
          id: string;
          name: string;
          distance: number;
          freePorts: number;
          splitters: { name: string; freePorts: number[] }[];
        }[];
        notViables: { draft: boolean; freePorts: number }[];
      }>(`/api/v2/ftth-viability/radius?lat=${box.lat}&lng=${box.lng}&radius=100`);
      assert.equal(reply.status, 200);
      assert.equal(reply.body.viable, true);
      assert.deepEqual(
        reply.body.viables.map((v) => [v.name, v.freePorts, v.splitters]),
        [['CTO-9001', 3, [{ id: isolatedBox(sim).drop.id, name: 'Splitter 2', freePorts: [3, 6, 8] }]]],
      );
      const wide = await sim.get<typeof reply.body>(
        `/api/v2/ftth-viability/radius?lat=${BOCAIUVA.lat}&lng=${BOCAIUVA.lng}`,
      );
      assert.equal(wide.body.radius, 250);
      const distances = wide.body.viables.map((v) => v.distance);
      assert.deepEqual(
        distances,
        [...distances].sort((a, b) => a - b),
      );
      assert.ok(wide.body.notViables.every((b) => b.draft || b.freePorts === 0));
      const sea = await sim.get<typeof reply.body>(
        `/api/v2/ftth-viability/radius?lat=${NO_COVERAGE_POINT.lat}&lng=${NO_COVERAGE_POINT.lng}&radius=1000`,
      );
      assert.deepEqual([sea.body.viable, sea.body.viables.length, sea.body.notViables.length], [false, 0, 0]);
      const bad = await sim.get<ErrorBody>('/api/v2/ftth-viability/radius?lat=abc');
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.errors?.map((e) => e.field).sort(), ['lat', 'lng']);
    });
  });
});
