/**
 * The physical layer (DESIGN §2.5): a network built through the official @ozmap/ozmap-sdk against the simulator
 * (project with a drop limit, pole types, poles and their adjacencies, a box on a pole, a drop splitter in it), read
 * back with the SDK, poles `near` a point, and properties created with `drop_poles`. Answers parse with the SDK's zod
 * schemas, as in sdk-compat.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { distanceMeters } from '../../simulator/geo.ts';
import type {
  BoxRecord,
  DropRecord,
  NetworkState,
  PoleRecord,
  PoleTypeRecord,
  ProjectRecord,
  PropertyView,
  SplitterRecord,
} from '../../simulator/model.ts';
import { DEFAULT_DROP_MAX_SIZE } from '../../simulator/model.ts';
import { RIVER_DEMO_POINT } from '../../simulator/network.ts';
import {
  type ErrorBody,
  type Reply,
  type TestSimulator,
  assertParses,
  filterParam,
  isolatedBox,
  refusal,
  startTestSimulator,
} from './support.ts';
import { OZMapSDK, sdk, type OzmapSdkClient as Client } from '../support/ozmap-sdk.ts';

interface ListPage {
  rows: unknown[];
  start: number;
  count: number;
  nextUrl?: string;
}

/**
 * OZmap answers poles with `kind: "Pole"` (the CONF "adjacencies" example); the SDK's PoleSchema says "POLE". A pole
 * must parse once its kind is spelled the SDK's way, and fail, if at all, only on `kind`.
 */
function assertPoleParses(value: unknown, what: string): void {
  const row = value as PoleRecord;
  assert.equal(row.kind, 'Pole', `${what}: kind`);
  assertParses(sdk.PoleSchema, { ...row, kind: 'POLE' }, what);
  const raw = sdk.PoleSchema.safeParse(row);
  if (!raw.success) {
    assert.deepEqual(
      raw.error.issues.map((i) => i.path.join('.')),
      ['kind'],
    );
  }
}

const OTHER_ID = '0123456789abcdef01234567';

describe('the physical layer through the official SDK', () => {
  let sim: TestSimulator;
  let client: Client;
  before(async () => {
    sim = await startTestSimulator({ stateFile: undefined });
    client = new OZMapSDK(sim.url, { apiKey: sim.apiKey });
  });
  after(async () => {
    await sim.stop();
    assert.deepEqual(sim.logs, [], 'no unexpected server errors');
  });

  it('builds a network: project, pole types, poles with adjacents, a box on a pole, a drop splitter, a drop along the poles', async () => {
    sim.reset();
    const cableType = sim.store.snapshot().projects[0]?.drop.type.cableType ?? OTHER_ID;
    // A project of its own, 4 km south-east of the seeded town; its area is what puts new poles in it.
    const start = { lat: -27.63, lng: -48.49 };
    const project = (await client.project.create({
      name: 'Rede de teste - postes',
      drop: { type: { cableType }, maxSize: 150 },
      lat: start.lat,
      lng: start.lng,
      area: {
        type: 'Polygon',
        coordinates: [
          [
            [-48.5, -27.64],
            [-48.48, -27.64],
            [-48.48, -27.62],
            [-48.5, -27.62],
            [-48.5, -27.64],
          ],
        ],
      },
    })) as unknown as ProjectRecord;
    assertParses(sdk.ProjectSchema, project, 'created project');
    assert.equal(project.drop.maxSize, 150);

    const usable = (await client.poleType.create({
      name: 'Poste de teste',
      description: 'Poste de concreto (teste)',
      viabilityAllowed: true,
    } as Parameters<Client['poleType']['create']>[0])) as unknown as PoleTypeRecord;
    assertParses(sdk.PoleTypeSchema, usable, 'created pole type');
    assert.deepEqual([usable.prefix, usable.viabilityAllowed], ['P_', true], "the SDK's defaults");
    const foreign = (await client.poleType.create({
      name: 'Poste alheio',
      description: 'Sem viabilidade',
      prefix: 'PA_',
      viabilityAllowed: false,
    } as Parameters<Client['poleType']['create']>[0])) as unknown as PoleTypeRecord;
    assert.equal(foreign.viabilityAllowed, false);

    // Three poles 35 m apart eastwards; each created adjacent to the one before.
    const step = 35 / (111_195 * Math.cos((start.lat * Math.PI) / 180));
    const poles: PoleRecord[] = [];
    for (let i = 0; i < 3; i++) {
      const previous = poles[i - 1];
      const created = (await client.pole.create({
        coords: [start.lng + i * step, start.lat],
        poleType: usable.id,
        ...(previous ? { adjacents: [previous.id] } : {}),
      })) as unknown as PoleRecord;
      assertPoleParses(created, `created pole ${i}`);
      assert.equal(created.project, project.id, 'a pole belongs to the project whose area holds it');
      poles.push(created);
    }
    const [p1, p2, p3] = poles as [PoleRecord, PoleRecord, PoleRecord];
    assert.deepEqual(p2.adjacents, [p1.id], 'stored as given: not mirrored onto the other pole');
    assert.deepEqual(p1.adjacents, []);
    assert.match(p1.name, /^P_\d+$/, "named after its type's prefix");
    // The SDK's update (UpdatePoleDTO) sets adjacents; the answer is ignored by the SDK, so read it back.
    await client.pole.updateById(p1.id, { adjacents: [p2.id] });
    const p1Again = (await client.pole.findById(p1.id)) as unknown as PoleRecord;
    assertPoleParses(p1Again, 'updated pole');
    assert.deepEqual(p1Again.adjacents, [p2.id]);

    const seededBox = (await client.box.findOne({
      filter: [{ property: 'name', operator: '=', value: 'CTO-9001' }],
    })) as unknown as BoxRecord;
    const box = (await client.box.create({
      project: project.id,
      pole: p3.id,
      name: 'CTO-T001',
      boxType: seededBox.boxType,
      hierarchyLevel: 3,
      coords: p3.coords,
      implanted: true,
    })) as unknown as BoxRecord;
    assertParses(sdk.BoxSchema, box, 'created box');
    assert.deepEqual([box.pole, box.project, box.draft, box.cables], [p3.id, project.id, false, []]);

    const { drop: seededDrop } = isolatedBox(sim);
    const splitter = (await client.splitter.create({
      parent: box.id,
      splitterType: seededDrop.splitterType,
      isDrop: true,
      implanted: true,
    })) as unknown as SplitterRecord;
    assertParses(sdk.SplitterSchema, splitter, 'created splitter');
    assert.deepEqual(
      splitter.connectables.output,
      Array.from({ length: 8 }, () => null),
      'every port free',
    );
    assert.deepEqual(
      splitter.ports.map((p) => [p.index, p.blocked]),
      Array.from({ length: 8 }, (_, i) => [i, false]),
    );
    assert.deepEqual([splitter.name, splitter.project, splitter.parent], ['Splitter 1', project.id, box.id]);

    // Read back with the SDK.
    assertParses(sdk.ProjectSchema, await client.project.findById(project.id), 'project by id');
    assertParses(sdk.PoleTypeSchema, await client.poleType.findById(usable.id), 'pole type by id');
    assertParses(sdk.BoxSchema, await client.box.findById(box.id), 'box by id');
    assertParses(sdk.SplitterSchema, await client.splitter.findById(splitter.id), 'splitter by id');
    const splitters = await client.splitter.find({ filter: [{ property: 'parent', operator: '=', value: box.id }] });
    assert.deepEqual(
      splitters.rows.map((s) => s.id),
      [splitter.id],
    );
    assert.equal(await client.pole.findById(OTHER_ID), null);

    // Poles near a point, nearest first: the customer stands 10 m west of p1.
    const customer = { lat: start.lat, lng: start.lng - 10 / 111_195 / Math.cos((start.lat * Math.PI) / 180) };
    const near = await client.pole.find({
      filter: [{ property: 'coords', operator: 'near', value: { ...customer, radius: 100 } }],
    });
    assert.deepEqual(
      near.rows.map((p) => p.id),
      [p1.id, p2.id, p3.id],
    );
    near.rows.forEach((row, i) => assertPoleParses(row, `near row ${i}`));

    // A property whose drop hangs on the three poles, the customer's end first.
    const code = 'POLES-1';
    const created = (await client.property.create({
      project: project.id,
      box: box.id,
      connector: splitter.id,
      port: 1,
      auto_connect: false,
      force: false,
      coords: [customer.lng, customer.lat],
      address: 'Rua de Teste, 10 - Florianópolis - SC',
      observation: `Reserva ${code}`,
      pole: p1.id,
      drop_poles: [p1.id, p2.id, p3.id],
      client: { code, name: 'Cliente dos Postes', implanted: false },
    })) as unknown as PropertyView;
    assertParses(sdk.PropertySchema, created, 'created property');
    const route = [p1.id, p2.id, p3.id];
    assert.deepEqual([created.pole, created.drop_poles], [p1.id, route]);
    const viaSdk = (await client.property.findById(created.id)) as unknown as PropertyView;
    assert.deepEqual(viaSdk.drop_poles, route, 'read back with the SDK');
    const viaHttp = (await sim.get<PropertyView>(`/api/v2/properties/${created.id}`)).body;
    assert.deepEqual([viaHttp.pole, viaHttp.drop_poles], [p1.id, route], 'read back over plain HTTP');
    const listed = (await sim.get<PropertyView[]>(`/api/v2/properties/client/${code}`)).body;
    assert.deepEqual(listed[0]?.drop_poles, route);
    const state = (await sim.get<NetworkState>('/__sim/state')).body;
    const drop = state.drops.find((d: DropRecord) => d.id === created.drop);
    assert.deepEqual(drop?.poles, [
      { id: p1.id, reserve: 0 },
      { id: p2.id, reserve: 0 },
      { id: p3.id, reserve: 0 },
    ]);

    // A pole that does not exist is refused, naming it, and nothing changes.
    const before = JSON.stringify(sim.store.snapshot());
    const refused = await refusal(
      client.property.create({
        project: project.id,
        box: box.id,
        connector: splitter.id,
        port: 2,
        auto_connect: false,
        force: false,
        address: 'Rua de Teste, 12 - Florianópolis - SC',
        observation: 'Reserva POLES-2',
        drop_poles: [p1.id, OTHER_ID, p3.id],
        client: { code: 'POLES-2', implanted: false },
      }),
    );
    assert.equal(refused.status, 422);
    assert.match(refused.data.message, new RegExp(`Pole ${OTHER_ID} not found \\(drop_poles\\[1\\]\\)`));
    assert.equal(JSON.stringify(sim.store.snapshot()), before, 'a refused create changes nothing');
  });
});

describe('the physical layer over HTTP', () => {
  let sim: TestSimulator;
  before(async () => {
    sim = await startTestSimulator({ stateFile: undefined });
  });
  after(async () => {
    await sim.stop();
    assert.deepEqual(sim.logs, [], 'no unexpected server errors');
  });

  const seededProject = () => sim.store.snapshot().projects[0] as ProjectRecord;
  const poleTypeId = (viabilityAllowed = true) =>
    sim.store.snapshot().poleTypes.find((t) => t.viabilityAllowed === viabilityAllowed)?.id ?? '';

  it('lists every seeded pole, pole type and project in pages that parse with the SDK schemas', async () => {
    for (const [route, check] of [
      ['poles', (row: unknown, what: string) => assertPoleParses(row, what)],
      ['pole-types', (row: unknown, what: string) => assertParses(sdk.PoleTypeSchema, row, what)],
      ['projects', (row: unknown, what: string) => assertParses(sdk.ProjectSchema, row, what)],
    ] as const) {
      let next: string | undefined = `/api/v2/${route}?limit=250`;
      let rows = 0;
      while (next) {
        const reply: Reply<ListPage> = await sim.get<ListPage>(next);
        const page = reply.body;
        page.rows.forEach((row, i) => check(row, `${route} row ${page.start + i}`));
        rows += page.count;
        next = page.nextUrl;
      }
      assert.equal(rows, sim.store.list(route).length, `${route}: every document was checked`);
    }
    const project = (await sim.get<ProjectRecord>(`/api/v2/projects/${seededProject().id}`)).body;
    assert.equal(project.drop.maxSize, DEFAULT_DROP_MAX_SIZE);
    const missing = await sim.get<ErrorBody>(`/api/v2/poles/${OTHER_ID}`);
    assert.deepEqual([missing.status, missing.body.message], [404, `Pole ${OTHER_ID} not found`]);
  });

  it('answers poles near a point nearest first, with filters, select and pages as for boxes', async () => {
    const near = (radius: number, extra: object[] = []) =>
      filterParam([{ property: 'coords', operator: 'near', value: { ...RIVER_DEMO_POINT, radius } }, ...extra]);
    const page = (await sim.get<{ total: number; rows: PoleRecord[] }>(`/api/v2/poles?limit=1000&${near(300)}`)).body;
    const distances = page.rows.map((p) => distanceMeters(RIVER_DEMO_POINT, p));
    assert.ok(page.total > 10 && page.total === page.rows.length);
    assert.deepEqual(
      distances,
      [...distances].sort((a, b) => a - b),
      'nearest first',
    );
    assert.ok(distances.every((d) => d <= 300));
    const [first, second] = page.rows as [PoleRecord, PoleRecord];
    const byIds = (
      await sim.get<{ rows: PoleRecord[] }>(
        `/api/v2/poles?${near(300, [{ property: 'id', operator: 'in', value: [second.id, first.id] }])}`,
      )
    ).body;
    assert.deepEqual(
      byIds.rows.map((p) => p.id),
      [first.id, second.id],
    );
    const selected = (await sim.get<{ rows: object[] }>(`/api/v2/poles?limit=1&select=name&${near(100)}`)).body;
    assert.deepEqual(selected.rows, [{ kind: 'Pole', name: first.name, id: first.id, lng: null, lat: null }]);
    const paged = (await sim.get<{ rows: PoleRecord[]; nextUrl?: string }>(`/api/v2/poles?limit=5&${near(300)}`)).body;
    const next = (await sim.get<{ rows: PoleRecord[] }>(paged.nextUrl ?? '')).body;
    assert.deepEqual(
      [...paged.rows, ...next.rows].map((p) => p.id),
      page.rows.slice(0, 10).map((p) => p.id),
    );
  });

  it('creates poles from lat/lng or coords, checks every id they name, and replaces adjacents on PATCH', async () => {
    sim.reset();
    const type = poleTypeId();
    const a = await sim.post<PoleRecord>('/api/v2/poles', { lat: -27.62, lng: -48.52, poleType: type, name: 'A' });
    assert.equal(a.status, 201);
    assert.deepEqual([a.body.coords, a.body.lat, a.body.lng], [[-48.52, -27.62], -27.62, -48.52]);
    assert.deepEqual(
      [a.body.usable, a.body.observation, a.body.tags, a.body.licensing],
      [true, '', [], { status: 0, protocol: null }],
    );
    for (const [body, status, message] of [
      [{ coords: [-48.52, -27.62] }, 400, /poleType: is required/],
      [{ poleType: type }, 400, /coords: give coords or lat and lng/],
      [{ coords: [-48.52, -27.62], poleType: OTHER_ID }, 422, new RegExp(`Pole type ${OTHER_ID} not found`)],
      [
        { coords: [-48.52, -27.62], poleType: type, adjacents: [a.body.id, OTHER_ID] },
        422,
        new RegExp(`Pole ${OTHER_ID} not found \\(adjacents\\[1\\]\\)`),
      ],
      [{ coords: [-48.52, -27.62], poleType: type, project: OTHER_ID }, 422, /Project .* not found \(project\)/],
      [{ coords: [-48.52, 97], poleType: type }, 400, /coords/],
    ] as const) {
      const res = await sim.post<ErrorBody>('/api/v2/poles', body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.body.message, message);
    }
    const b = (await sim.post<PoleRecord>('/api/v2/poles', { coords: [-48.5203, -27.62], poleType: type })).body;
    const patched = await sim.call<PoleRecord>('PATCH', `/api/v2/poles/${a.body.id}`, {
      body: { adjacents: [b.id], usable: false },
    });
    assert.deepEqual([patched.status, patched.body.adjacents, patched.body.usable], [200, [b.id], false]);
    const self = await sim.call<ErrorBody>('PATCH', `/api/v2/poles/${a.body.id}`, { body: { adjacents: [a.body.id] } });
    assert.equal(self.status, 422);
    assert.equal((await sim.call('PATCH', `/api/v2/poles/${OTHER_ID}`, { body: { usable: true } })).status, 404);
  });

  it('creates boxes on poles (or on a new pole), splitters of catalog types, and projects with a default drop limit', async () => {
    sim.reset();
    const project = seededProject();
    const { box: seeded, drop: seededDrop } = isolatedBox(sim);
    const pole = sim.store.getPole(seeded.pole) as PoleRecord;
    const base = { project: project.id, boxType: seeded.boxType, hierarchyLevel: 3, implanted: true };

    const onPole = await sim.post<BoxRecord>('/api/v2/boxes', { ...base, pole: pole.id, coords: pole.coords });
    assert.equal(onPole.status, 201);
    assert.equal(onPole.body.pole, pole.id);
    const snapped = (await sim.post<BoxRecord>('/api/v2/boxes', { ...base, coords: pole.coords, max_distance: 5 }))
      .body;
    assert.equal(snapped.pole, pole.id, 'the nearest pole within max_distance');
    const alone = (await sim.post<BoxRecord>('/api/v2/boxes', { ...base, coords: [-48.5, -27.65] })).body;
    const newPole = sim.store.getPole(alone.pole);
    assert.ok(newPole, 'a box without a pole gets one of its own');
    assert.deepEqual([newPole.coords, newPole.adjacents], [alone.coords, []]);
    for (const [body, message] of [
      [{ ...base, coords: pole.coords, pole: OTHER_ID }, new RegExp(`Pole ${OTHER_ID} not found \\(pole\\)`)],
      [{ ...base, coords: pole.coords, boxType: OTHER_ID }, new RegExp(`Box type ${OTHER_ID} not found`)],
      [{ ...base, coords: pole.coords, project: OTHER_ID }, new RegExp(`Project ${OTHER_ID} not found`)],
    ] as const) {
      const res = await sim.post<ErrorBody>('/api/v2/boxes', body);
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.match(res.body.message, message);
    }
    assert.equal((await sim.post<ErrorBody>('/api/v2/boxes', { project: project.id })).status, 400);

    const blocked = await sim.post<SplitterRecord>('/api/v2/splitters', {
      parent: onPole.body.id,
      splitterType: seededDrop.splitterType,
      ports: Array.from({ length: 8 }, (_, i) => ({ index: i, blocked: i === 7, tags: [] })),
    });
    assert.equal(blocked.status, 201);
    assert.deepEqual([blocked.body.isDrop, blocked.body.ports[7]?.blocked], [true, true], 'isDrop from an A- type');
    const second = (
      await sim.post<SplitterRecord>('/api/v2/splitters', {
        parent: onPole.body.id,
        splitterType: seededDrop.splitterType,
      })
    ).body;
    assert.deepEqual([second.index, second.name], [1, 'Splitter 2']);
    for (const [body, message] of [
      [{ parent: OTHER_ID, splitterType: seededDrop.splitterType }, /Box .* not found \(parent\)/],
      [{ parent: onPole.body.id, splitterType: OTHER_ID }, /Splitter type .* not found/],
      [{ parent: onPole.body.id, splitterType: seededDrop.splitterType, ports: [] }, /ports has 0 entries/],
    ] as const) {
      const res = await sim.post<ErrorBody>('/api/v2/splitters', body);
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.match(res.body.message, message);
    }
    // The new splitter takes reservations like a seeded one.
    const reserved = await sim.post<PropertyView>('/api/v2/properties', {
      box: onPole.body.id,
      connector: blocked.body.id,
      port: 8,
      client: { code: 'NEW-BOX-8' },
    });
    assert.equal(reserved.status, 422, 'port 8 was created blocked');

    const plain = await sim.post<ProjectRecord>('/api/v2/projects', { name: 'Sem limite dado' });
    assert.equal(plain.status, 201);
    assert.equal(plain.body.drop.maxSize, DEFAULT_DROP_MAX_SIZE);
    assertParses(sdk.ProjectSchema, plain.body, 'project with defaults');
    const bad = await sim.post<ErrorBody>('/api/v2/projects', { name: 'x', drop: { maxSize: -1 } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /drop\.maxSize/);
  });

  it('keeps drop_poles on a property: given on create, replaced by a PATCH that moves it, refused when unknown', async () => {
    sim.reset();
    const { box, drop } = isolatedBox(sim);
    const boxPole = sim.store.getPole(box.pole) as PoleRecord;
    const [neighbour] = boxPole.adjacents;
    assert.ok(neighbour, 'the isolated box hangs on its street pole line');
    const created = await sim.post<PropertyView>('/api/v2/properties', {
      project: box.project,
      box: box.id,
      connector: drop.id,
      port: 3,
      pole: neighbour,
      drop_poles: [neighbour, box.pole],
      client: { code: 'DROP-POLES' },
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.drop_poles, [neighbour, box.pole]);

    const unknown = await sim.call<ErrorBody>('PATCH', `/api/v2/properties/${created.body.id}`, {
      body: { connector: drop.id, port: 6, drop_poles: [OTHER_ID] },
    });
    assert.equal(unknown.status, 422);
    assert.match(unknown.body.message, new RegExp(OTHER_ID));
    const unchanged = (await sim.get<PropertyView>(`/api/v2/properties/${created.body.id}`)).body;
    assert.deepEqual([unchanged.connections[0]?.port, unchanged.drop_poles], [3, [neighbour, box.pole]]);

    const moved = await sim.call<PropertyView>('PATCH', `/api/v2/properties/${created.body.id}`, {
      body: { connector: drop.id, port: 6, drop_poles: [box.pole] },
    });
    assert.equal(moved.status, 200);
    assert.deepEqual([moved.body.connections[0]?.port, moved.body.drop_poles], [6, [box.pole]]);
    const state = sim.store.snapshot();
    assert.deepEqual(state.drops.find((d) => d.id === moved.body.drop)?.poles, [{ id: box.pole, reserve: 0 }]);

    const withoutPoles = await sim.post<PropertyView>('/api/v2/properties', {
      box: box.id,
      connector: drop.id,
      port: 8,
      client: { code: 'NO-POLES' },
    });
    assert.equal(withoutPoles.status, 201);
    assert.equal('drop_poles' in withoutPoles.body, false, 'absent when none was given');
    const badPole = await sim.post<ErrorBody>('/api/v2/properties', {
      box: box.id,
      connector: drop.id,
      port: 3,
      pole: OTHER_ID,
      client: { code: 'BAD-POLE' },
    });
    assert.equal(badPole.status, 422);
    assert.match(badPole.body.message, new RegExp(`Pole ${OTHER_ID} not found \\(pole\\)`));
  });
});
