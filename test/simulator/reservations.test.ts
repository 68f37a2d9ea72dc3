/** The write side: reserving a port (POST /properties), its atomicity under concurrency, confirming and releasing. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  freePortsOf,
  type BoxRecord,
  type ClientRecord,
  type PropertyView,
  type SplitterRecord,
} from '../../simulator/model.ts';
import { ISOLATED_BOX } from '../../simulator/server.ts';
import { type ErrorBody, type TestSimulator, isolatedBox, reservationBody, startTestSimulator } from './support.ts';

describe('OZmap simulator API (reservations)', () => {
  let sim: TestSimulator;
  let box: BoxRecord;
  let drop: SplitterRecord;
  let network: SplitterRecord;
  const state = () => JSON.stringify(sim.store.snapshot());

  before(async () => {
    sim = await startTestSimulator({ stateFile: undefined });
  });
  beforeEach(() => {
    sim.reset();
    ({ box, drop, network } = isolatedBox(sim));
  });
  after(async () => {
    await sim.stop();
    assert.deepEqual(sim.logs, [], 'no unexpected server errors');
  });

  it('creates a property with its client on the chosen port: 201, client populated, port taken by the new fiber', async () => {
    const reply = await sim.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 3, 'C-77'));
    assert.equal(reply.status, 201);
    const property = reply.body;
    assert.equal(property.kind, 'Property');
    assert.equal(property.box, box.id);
    assert.equal(property.project, box.project);
    assert.deepEqual(property.coords, [box.lng, box.lat]);
    assert.equal(property.external_id, 'ispbox2:C-77');
    assert.equal(property.client?.code, 'C-77');
    assert.equal(property.client?.implanted, false);
    assert.equal(property.client?.kind, 'FTTHClient');
    assert.deepEqual(property.connections, [
      {
        id: drop.id,
        kind: 'Splitter',
        port: 3,
        name: 'Splitter 2',
        implanted: false,
        fiber: property.connections[0]?.fiber,
      },
    ]);
    const splitter = (await sim.get<SplitterRecord>(`/api/v2/splitters/${drop.id}`)).body;
    assert.equal(splitter.connectables.output[2], property.connections[0]?.fiber);
    assert.deepEqual((await sim.get(`/api/v2/properties/${property.id}`)).body, property);
    assert.deepEqual(sim.summary().isolatedBox?.freePorts, [6, 8]);
    assert.equal((await sim.get<BoxRecord>(`/api/v2/boxes/${box.id}`)).body.cables.includes(property.drop ?? ''), true);
  });

  it('refuses a second property on the same port with 422 and changes nothing', async () => {
    assert.equal((await sim.post('/api/v2/properties', reservationBody(box, drop, 3, 'C-1'))).status, 201);
    const before = state();
    const reply = await sim.post<ErrorBody>('/api/v2/properties', {
      ...reservationBody(box, drop, 3, 'C-2'),
      force: true,
    });
    assert.equal(reply.status, 422);
    assert.match(reply.body.message, /^Port 3 of splitter 'Splitter 2' .* is already occupied$/);
    assert.equal(state(), before, 'no client, property or drop was left behind');
    assert.deepEqual((await sim.get<PropertyView[]>('/api/v2/properties/client/C-2')).body, []);
  });

  it('refuses blocked, out-of-range and pre-occupied ports, network splitters, and foreign splitters with 422', async () => {
    const otherBox = sim.store
      .list('boxes')
      .find((b) => (b as BoxRecord).id !== box.id && !(b as BoxRecord).draft) as BoxRecord;
    const otherDrop = sim.store.splittersOf(otherBox.id).find((s) => s.isDrop) as SplitterRecord;
    const before = state();
    const cases: [Record<string, unknown>, RegExp][] = [
      [reservationBody(box, drop, 5, 'X'), /Port 5 of splitter .* is blocked/],
      [reservationBody(box, drop, 1, 'X'), /Port 1 .* already occupied/],
      [reservationBody(box, drop, 9, 'X'), /Port 9 is out of range .* ports are 1-8/],
      [reservationBody(box, network, 1, 'X'), /network splitter \(isDrop: false\)/],
      [reservationBody(box, otherDrop, 1, 'X'), /does not belong to box CTO-9001/],
      [
        { ...reservationBody(box, drop, 3, 'X'), box: '0123456789abcdef01234567' },
        /Box 0123456789abcdef01234567 not found/,
      ],
      [
        { ...reservationBody(box, drop, 3, 'X'), connector: '0123456789abcdef01234567' },
        /Splitter 0123456789abcdef01234567 not found/,
      ],
      [{ ...reservationBody(box, drop, 3, 'X'), project: '0123456789abcdef01234567' }, /belongs to project/],
      [{ ...reservationBody(box, drop, 3, 'X'), client: '0123456789abcdef01234567' }, /FTTH client .* not found/],
    ];
    for (const [body, message] of cases) {
      const reply = await sim.post<ErrorBody>('/api/v2/properties', body);
      assert.equal(reply.status, 422, JSON.stringify(body));
      assert.match(reply.body.message, message);
    }
    assert.equal(state(), before);
  });

  it('validates the body: 400 {message, errors:[{field, message}]} listing every bad field', async () => {
    const reply = await sim.post<ErrorBody>('/api/v2/properties', {
      box: 'nope',
      port: 0,
      coords: [-48.5, -127],
      client: { code: 42, implanted: 'no' },
    });
    assert.equal(reply.status, 400);
    assert.deepEqual(reply.body.errors?.map((e) => e.field).sort(), ['box', 'client', 'coords.1', 'port']);
    assert.match(reply.body.message, /^Invalid property: /);
    assert.equal((await sim.post<ErrorBody>('/api/v2/properties', { coords: [1, 2] })).body.errors?.[0]?.field, 'box');
    assert.equal((await sim.call('POST', '/api/v2/properties')).status, 400, 'no body');
    const noPort = await sim.post<ErrorBody>('/api/v2/properties', { ...reservationBody(box, drop, undefined, 'X') });
    assert.equal(noPort.status, 400);
    assert.match(noPort.body.message, /port is required with connector/);
    const swapped = await sim.post<ErrorBody>('/api/v2/properties', {
      ...reservationBody(box, drop, 3, 'X'),
      lat: box.lng,
      lng: box.lat,
    });
    assert.equal(swapped.status, 400, 'lat/lng that disagree with coords');
  });

  it('accepts lat/lng instead of coords, an existing client id, and auto_connect without a port', async () => {
    const created = await sim.post<ClientRecord>('/api/v2/ftth-clients', {
      code: 'C-500',
      name: 'Ana Souza',
      implanted: false,
    });
    assert.equal(created.status, 201);
    const { coords: _coords, ...body } = reservationBody(box, drop, 6, 'unused');
    const reply = await sim.post<PropertyView>('/api/v2/properties', {
      ...body,
      lat: String(box.lat),
      lng: box.lng,
      client: created.body.id,
    });
    assert.equal(reply.status, 201);
    assert.equal(reply.body.client?.id, created.body.id);
    assert.deepEqual(reply.body.coords, [box.lng, box.lat]);
    const again = await sim.post<ErrorBody>('/api/v2/properties', {
      ...reservationBody(box, drop, 8, 'x'),
      client: created.body.id,
    });
    assert.equal(again.status, 422, 'a client belongs to one property');

    const auto = await sim.post<PropertyView>('/api/v2/properties', {
      box: box.id,
      auto_connect: true,
      client: { code: 'C-501' },
    });
    assert.equal(auto.status, 201);
    assert.deepEqual(
      auto.body.connections.map((c) => [c.id, c.port]),
      [[drop.id, 3]],
      'first free port of the first drop splitter',
    );
    const full = await sim.post<ErrorBody>('/api/v2/properties', {
      box: box.id,
      auto_connect: true,
      client: { code: 'C-502' },
    });
    assert.equal(full.status, 201);
    assert.equal(
      (await sim.post<ErrorBody>('/api/v2/properties', { box: box.id, auto_connect: true, client: { code: 'C-503' } }))
        .status,
      422,
    );
  });

  for (const mode of ['explicit ports', 'auto_connect'] as const) {
    it(`lets exactly 3 of 30 simultaneous reservations through on a box with 3 free ports (${mode})`, async () => {
      const bodies = Array.from({ length: 30 }, (_, i) =>
        mode === 'auto_connect'
          ? { box: box.id, auto_connect: true, client: { code: `RACE-${i}`, implanted: false } }
          : reservationBody(box, drop, ISOLATED_BOX.freePorts[i % 3], `RACE-${i}`),
      );
      const replies = await Promise.all(
        bodies.map((body) => sim.post<PropertyView & ErrorBody>('/api/v2/properties', body)),
      );
      const won = replies.filter((r) => r.status === 201);
      const lost = replies.filter((r) => r.status !== 201);
      assert.equal(won.length, 3);
      assert.ok(lost.every((r) => r.status === 422 && /occupied|no free port/.test(r.body.message)));
      const ports = won.map((r) => r.body.connections[0]?.port).sort();
      assert.deepEqual(ports, [...ISOLATED_BOX.freePorts]);
      const splitter = (await sim.get<SplitterRecord>(`/api/v2/splitters/${drop.id}`)).body;
      for (const r of won)
        assert.equal(
          splitter.connectables.output[(r.body.connections[0]?.port ?? 0) - 1],
          r.body.connections[0]?.fiber,
        );
      assert.deepEqual(sim.summary().isolatedBox?.freePorts, []);
      const properties = sim.store.list('properties') as PropertyView[];
      assert.equal(
        properties.filter((p) => p.client?.code.startsWith('RACE-')).length,
        3,
        'losers left nothing behind',
      );
    });
  }

  it('lets exactly one of 30 simultaneous reservations of the same port through', async () => {
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => sim.post('/api/v2/properties', reservationBody(box, drop, 6, `SAME-${i}`))),
    );
    assert.deepEqual(replies.map((r) => r.status).sort(), [201, ...Array.from({ length: 29 }, () => 422)]);
  });

  it('DELETE /properties/:id removes the property, its client and drop, and frees the port; 404 after', async () => {
    const property = (await sim.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 8, 'C-DEL'))).body;
    const clientId = property.client?.id ?? '';
    const removed = await sim.call<PropertyView>('DELETE', `/api/v2/properties/${property.id}`);
    assert.equal(removed.status, 200);
    assert.equal(removed.body.id, property.id);
    assert.equal((await sim.get(`/api/v2/properties/${property.id}`)).status, 404);
    assert.equal((await sim.get(`/api/v2/ftth-clients/${clientId}`)).status, 404);
    assert.equal((await sim.get<SplitterRecord>(`/api/v2/splitters/${drop.id}`)).body.connectables.output[7], null);
    assert.equal(
      (await sim.get<BoxRecord>(`/api/v2/boxes/${box.id}`)).body.cables.includes(property.drop ?? ''),
      false,
    );
    assert.deepEqual(sim.summary().isolatedBox?.freePorts, [3, 6, 8]);
    assert.equal((await sim.call('DELETE', `/api/v2/properties/${property.id}`)).status, 404);
    assert.equal(
      (await sim.post('/api/v2/properties', reservationBody(box, drop, 8, 'C-AGAIN'))).status,
      201,
      'the port can be sold again',
    );
  });

  it('PATCH /ftth-clients/:id {implanted: true} confirms the sale: client and connection are implanted', async () => {
    const property = (await sim.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 3, 'C-OK'))).body;
    const reply = await sim.call<ClientRecord>('PATCH', `/api/v2/ftth-clients/${property.client?.id}`, {
      body: { implanted: true },
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.implanted, true);
    assert.equal(reply.body.code, 'C-OK');
    const [after] = (await sim.get<PropertyView[]>('/api/v2/properties/client/C-OK')).body;
    assert.equal(after?.client?.implanted, true);
    assert.equal(after?.connections[0]?.implanted, true);
    assert.equal(
      (await sim.call('PATCH', '/api/v2/ftth-clients/0123456789abcdef01234567', { body: { implanted: true } })).status,
      404,
    );
    const bad = await sim.call<ErrorBody>('PATCH', `/api/v2/ftth-clients/${property.client?.id}`, {
      body: { implanted: 'yes', status: 7 },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors?.map((e) => e.field).sort(), ['implanted', 'status']);
  });

  it('DELETE /ftth-clients/:id removes only the client: the property keeps the port with client null', async () => {
    const property = (await sim.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 3, 'C-ORPHAN')))
      .body;
    assert.equal((await sim.call('DELETE', `/api/v2/ftth-clients/${property.client?.id}`)).status, 200);
    const after = (await sim.get<PropertyView>(`/api/v2/properties/${property.id}`)).body;
    assert.equal(after.client, null);
    assert.deepEqual(after.connections, property.connections);
    assert.equal(
      (await sim.post('/api/v2/properties', reservationBody(box, drop, 3, 'C-NEXT'))).status,
      422,
      'a property without client still occupies its port',
    );
    assert.equal((await sim.call('DELETE', `/api/v2/ftth-clients/${property.client?.id}`)).status, 404);
  });

  it('GET /properties/client/:code finds codes with special characters', async () => {
    const code = '123|123 / ç';
    assert.equal((await sim.post('/api/v2/properties', reservationBody(box, drop, 3, code))).status, 201);
    const found = (await sim.get<PropertyView[]>(`/api/v2/properties/client/${encodeURIComponent(code)}`)).body;
    assert.deepEqual(
      found.map((p) => p.client?.code),
      [code],
    );
  });

  it('PATCH /properties/:id moves a reservation to another port atomically, and can disconnect it', async () => {
    const property = (await sim.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 3, 'C-MOVE'))).body;
    const taken = await sim.call<ErrorBody>('PATCH', `/api/v2/properties/${property.id}`, {
      body: { connector: drop.id, port: 1 },
    });
    assert.equal(taken.status, 422);
    const moved = await sim.call<PropertyView>('PATCH', `/api/v2/properties/${property.id}`, {
      body: { connector: drop.id, port: 6, observation: 'moved' },
    });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.connections[0]?.port, 6);
    assert.equal(moved.body.observation, 'moved');
    assert.deepEqual(sim.summary().isolatedBox?.freePorts, [3, 8]);
    const off = await sim.call<PropertyView>('PATCH', `/api/v2/properties/${property.id}`, {
      body: { connector: null },
    });
    assert.deepEqual(off.body.connections, []);
    assert.deepEqual(sim.summary().isolatedBox?.freePorts, [3, 6, 8]);
  });
  it('PATCH /properties/:id with box, connector and port moves property and client to another box in one step', async () => {
    const property = (await sim.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 3, 'C-BOX'))).body;
    const other = sim.store
      .boxesNear({ lat: box.lat, lng: box.lng }, 3000)
      .map((near) => near.box)
      .filter((b) => b.id !== box.id && !b.draft)
      .map((b) => ({ b, s: sim.store.splittersOf(b.id).find((s) => s.isDrop && freePortsOf(s).length > 1) }))
      .find((x) => x.s !== undefined)!;
    const target = other.s!;
    const [takenPort, freePort] = freePortsOf(target) as [number, number];
    const move = (port: number) =>
      sim.call<PropertyView & ErrorBody>('PATCH', `/api/v2/properties/${property.id}`, {
        body: { box: other.b.id, connector: target.id, port, auto_connect: false, force: false },
      });
    // Someone else takes a port first: the move there is refused as a create would be, and nothing changes.
    assert.equal(
      (await sim.post('/api/v2/properties', reservationBody(other.b, target, takenPort, 'C-X'))).status,
      201,
    );
    const refused = await move(takenPort);
    assert.equal(refused.status, 422);
    assert.match(refused.body.message, /already occupied/);
    assert.equal(sim.store.splittersOf(box.id).find((s) => s.id === drop.id)!.connectables.output[2] !== null, true);

    const moved = await move(freePort);
    assert.equal(moved.status, 200);
    assert.equal(moved.body.id, property.id);
    assert.equal((moved.body.client as { id: string }).id, (property.client as { id: string }).id);
    assert.equal(moved.body.box, other.b.id);
    assert.deepEqual(
      moved.body.connections.map((c) => [c.id, c.port]),
      [[target.id, freePort]],
    );
    assert.equal(freePortsOf(sim.store.splittersOf(box.id).find((s) => s.id === drop.id)!).includes(3), true);
    assert.equal(
      freePortsOf(sim.store.splittersOf(other.b.id).find((s) => s.id === target.id)!).includes(freePort),
      false,
    );
  });
});
