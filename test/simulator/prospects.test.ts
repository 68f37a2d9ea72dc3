/**
 * Prospects (would-be customers, e.g. recorded where there was no coverage): created, found by `external_id`, read
 * back and marked viable through the official @ozmap/ozmap-sdk against the simulator, listed like the other
 * collections over HTTP, and kept in the state file. Answers parse with the SDK's ProspectSchema as they are: unlike a
 * pole's `kind`, no field differs from a documented answer (OZmap documents no prospect answer; the top-level
 * `lat`/`lng`, which ProspectSchema does not list and passes over, are in the SDK's ReportProspectSchema).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NetworkState, ProspectRecord } from '../../simulator/model.ts';
import { pristineNetwork } from '../../simulator/network.ts';
import { startSimulator } from '../../simulator/server.ts';
import type { StatsSnapshot } from '../../simulator/stats.ts';
import {
  type ErrorBody,
  type TestSimulator,
  assertParses,
  filterParam,
  refusal,
  startTestSimulator,
} from './support.ts';
import { OZMapSDK, sdk, type OzmapSdkClient as Client } from '../support/ozmap-sdk.ts';

interface Page<T> {
  total: number;
  count: number;
  start: number;
  rows: T[];
  hasNextPage: boolean;
  nextUrl?: string;
}

const OTHER_ID = '0123456789abcdef01234567';
const TAG_ID = '65a4f0c2e1d3b4a5c6d7e8f9';
/** Beyond the seeded town (NO_COVERAGE_POINT's neighbourhood): where a prospect is typically recorded. */
const LEAD = { lat: -27.6, lng: -48.5 };
/** About `metres` east of LEAD. */
const eastOfLead = (metres: number): [number, number] => [
  LEAD.lng + metres / (111_195 * Math.cos((LEAD.lat * Math.PI) / 180)),
  LEAD.lat,
];

describe('prospects through the official SDK', () => {
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

  it('creates a prospect, finds it by external_id, reads it back, marks it viable and deletes it', async () => {
    sim.reset();
    const created = (await client.prospect.create({
      name: 'Maria da Silva',
      code: 'LEAD-42',
      phone: '+55 48 99999-0042',
      address: 'Rua das Acácias, 100 - Centro, Florianópolis - SC',
      coords: [LEAD.lng, LEAD.lat],
      observation: 'Sem cobertura em 250 m',
      tags: [TAG_ID],
      external_id: 'isp-lead-42',
    })) as unknown as ProspectRecord;
    assertParses(sdk.ProspectSchema, created, 'created prospect');
    assert.deepEqual(
      [created.coords, created.lat, created.lng, created.viable, created.tags, created.external_id],
      [[LEAD.lng, LEAD.lat], LEAD.lat, LEAD.lng, null, [TAG_ID], 'isp-lead-42'],
      'viable is null until judged',
    );
    assert.equal(created.creatorData.id, sim.store.apiUser.id);

    const found = await client.prospect.find({
      filter: [{ property: 'external_id', operator: '=', value: 'isp-lead-42' }],
    });
    assert.deepEqual(
      found.rows.map((p) => p.id),
      [created.id],
    );
    found.rows.forEach((row, i) => assertParses(sdk.ProspectSchema, row, `found row ${i}`));
    const none = await client.prospect.findOne({
      filter: [{ property: 'external_id', operator: '=', value: 'isp-lead-43' }],
    });
    assert.equal(none, null);

    const read = await client.prospect.findById(created.id);
    assertParses(sdk.ProspectSchema, read, 'prospect by id');
    assert.deepEqual(read, created);
    assert.equal(await client.prospect.findById(OTHER_ID), null);

    // UpdateProspectDTO; the SDK blanks external_id on every update, so it is never sent and is kept.
    await client.prospect.updateById(created.id, { viable: true, observation: 'Coberto pela CTO-9001' });
    const viable = (await client.prospect.findById(created.id)) as unknown as ProspectRecord;
    assertParses(sdk.ProspectSchema, viable, 'updated prospect');
    assert.deepEqual(
      [viable.viable, viable.observation, viable.name, viable.tags, viable.external_id],
      [true, 'Coberto pela CTO-9001', 'Maria da Silva', [TAG_ID], 'isp-lead-42'],
      "only what was sent changed (the update DTO does not send the create DTO's default tags)",
    );
    assert.ok(viable.updatedAt >= created.updatedAt);
    assert.equal(viable.createdAt, created.createdAt);

    const near = await client.prospect.find({
      filter: [{ property: 'coords', operator: 'near', value: { lat: LEAD.lat, lng: LEAD.lng, radius: 50 } }],
    });
    assert.deepEqual(
      near.rows.map((p) => p.id),
      [created.id],
    );

    await client.prospect.deleteById(created.id);
    assert.equal(await client.prospect.findById(created.id), null);
  });

  it('refuses a body the SDK lets through but the simulator does not take, naming the field, and changes nothing', async () => {
    sim.reset();
    // CreateProspectDTO makes coords optional; the simulator wants a position [SIM].
    const before = JSON.stringify(sim.store.snapshot());
    const noPosition = await refusal(
      client.prospect.create({ name: 'Sem posição', tags: [], external_id: 'isp-lead-0' }),
    );
    assert.equal(noPosition.status, 400);
    assert.match(noPosition.data.message, /coords: give coords or lat and lng/);
    const cleared = await refusal(client.prospect.updateById(OTHER_ID, { coords: null }));
    assert.equal(cleared.status, 400);
    assert.match(cleared.data.message, /coords: cannot be cleared/);
    const missing = await refusal(client.prospect.updateById(OTHER_ID, { viable: false }));
    assert.deepEqual([missing.status, missing.data.message], [404, `Prospect ${OTHER_ID} not found`]);
    assert.equal(JSON.stringify(sim.store.snapshot()), before, 'a refused request changes nothing');
  });
});

describe('prospects over HTTP', () => {
  let sim: TestSimulator;
  before(async () => {
    sim = await startTestSimulator({ stateFile: undefined });
  });
  after(async () => {
    await sim.stop();
    assert.deepEqual(sim.logs, [], 'no unexpected server errors');
  });

  it('refuses a bad body with 400 naming the field', async () => {
    sim.reset();
    for (const [body, field] of [
      [{ coords: [-48.5, 97] }, /coords/],
      [{ lat: -27.6 }, /lng: lat and lng go together/],
      [{ coords: eastOfLead(0), viable: 'sim' }, /viable/],
      [{ coords: eastOfLead(0), tags: ['urgente'] }, /tags\.0: must be a 24-character hexadecimal ObjectId/],
      [{ coords: eastOfLead(0), name: 'x'.repeat(201) }, /name: must be at most 200 characters/],
      [{ coords: eastOfLead(0), phone: 48999990042 }, /phone/],
    ] as const) {
      const res = await sim.post<ErrorBody>('/api/v2/prospects', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, field);
    }
    const noBody = await sim.call<ErrorBody>('POST', '/api/v2/prospects');
    assert.deepEqual([noBody.status, noBody.body.message], [400, 'A JSON body is required (prospect)']);
    assert.deepEqual(sim.store.snapshot().prospects, []);
  });

  it('creates from lat/lng, keeps a repeated external_id (no uniqueness), and lists with filters, select and pages', async () => {
    sim.reset();
    sim.stats.reset();
    const first = await sim.post<ProspectRecord>('/api/v2/prospects', {
      lat: String(LEAD.lat),
      lng: String(LEAD.lng),
      external_id: 42,
      code: 'A',
    });
    assert.equal(first.status, 201);
    assert.deepEqual(
      [first.body.coords, first.body.external_id, first.body.name, first.body.phone, first.body.observation],
      [[LEAD.lng, LEAD.lat], '42', null, null, null],
      'numeric strings and a numeric external_id are taken; unset text is null',
    );
    // [SIM] OZmap's behaviour on a repeated external_id is unknown: the simulator keeps both.
    const again = await sim.post<ProspectRecord>('/api/v2/prospects', {
      coords: eastOfLead(100),
      external_id: '42',
      code: 'B',
    });
    assert.equal(again.status, 201);
    const far = (
      await sim.post<ProspectRecord>('/api/v2/prospects', { coords: eastOfLead(900), external_id: '43', code: 'C' })
    ).body;

    const byExternalId = (
      await sim.get<Page<ProspectRecord>>(
        `/api/v2/prospects?${filterParam([{ property: 'external_id', operator: '=', value: '42' }])}`,
      )
    ).body;
    assert.deepEqual(
      byExternalId.rows.map((p) => p.code),
      ['A', 'B'],
    );
    const near = (
      await sim.get<Page<ProspectRecord>>(
        `/api/v2/prospects?${filterParam([{ property: 'coords', operator: 'near', value: { ...LEAD, radius: 500 } }])}`,
      )
    ).body;
    assert.deepEqual(
      near.rows.map((p) => p.code),
      ['A', 'B'],
      'within 500 m, nearest first',
    );
    const inIds = (
      await sim.get<Page<ProspectRecord>>(
        `/api/v2/prospects?${filterParam([{ property: 'id', operator: 'in', value: [far.id, first.body.id] }])}`,
      )
    ).body;
    assert.deepEqual(
      inIds.rows.map((p) => p.code),
      ['A', 'C'],
    );
    const selected = (await sim.get<Page<object>>(`/api/v2/prospects?limit=1&select=code`)).body;
    assert.deepEqual(selected.rows, [{ code: 'A', id: first.body.id, lng: null, lat: null }]);
    const paged = (await sim.get<Page<ProspectRecord>>('/api/v2/prospects?limit=2')).body;
    assert.deepEqual([paged.total, paged.count, paged.hasNextPage], [3, 2, true]);
    const next = (await sim.get<Page<ProspectRecord>>(paged.nextUrl ?? '')).body;
    assert.deepEqual(
      [...paged.rows, ...next.rows].map((p) => p.code),
      ['A', 'B', 'C'],
    );

    const patched = await sim.call<ProspectRecord>('PATCH', `/api/v2/prospects/${again.body.id}`, {
      body: { viable: false, coords: eastOfLead(120), code: null, external_id: 'isp-b' },
    });
    assert.equal(patched.status, 200);
    assert.deepEqual(
      [patched.body.viable, patched.body.coords, patched.body.lng, patched.body.code, patched.body.external_id],
      [false, eastOfLead(120), eastOfLead(120)[0], null, 'isp-b'],
    );
    const gone = await sim.call<ProspectRecord>('DELETE', `/api/v2/prospects/${far.id}`);
    assert.deepEqual([gone.status, gone.body.id], [200, far.id]);
    const missing = await sim.get<ErrorBody>(`/api/v2/prospects/${far.id}`);
    assert.deepEqual([missing.status, missing.body.message], [404, `Prospect ${far.id} not found`]);
    assert.equal((await sim.call('DELETE', `/api/v2/prospects/${far.id}`)).status, 404);

    const state = (await sim.get<NetworkState>('/__sim/state')).body;
    assert.deepEqual(
      state.prospects.map((p) => p.code),
      ['A', null],
    );
    const { requests } = (await sim.get<StatsSnapshot>('/__sim/stats')).body;
    assert.deepEqual(
      [
        requests['POST /api/v2/prospects'],
        requests['GET /api/v2/prospects'],
        requests['GET /api/v2/prospects/:id'],
        requests['PATCH /api/v2/prospects/:id'],
        requests['DELETE /api/v2/prospects/:id'],
      ],
      [3, 6, 1, 1, 2],
      'counted by route like the other collections',
    );
  });
});

describe('prospects in the state file', () => {
  it('survive a restart, and a state file from before prospects loads with none', async () => {
    const first = await startTestSimulator({ seed: 5 });
    const { dir } = first;
    try {
      const created = (
        await first.post<ProspectRecord>('/api/v2/prospects', {
          coords: [LEAD.lng, LEAD.lat],
          name: 'Persistido',
          tags: [OTHER_ID],
          external_id: 'isp-lead-7',
        })
      ).body;
      await first.call('PATCH', `/api/v2/prospects/${created.id}`, { body: { viable: true } });
      await first.close();

      const second = await startTestSimulator({ dir, seed: 5 });
      try {
        const read = await second.get<ProspectRecord>(`/api/v2/prospects/${created.id}`);
        assert.equal(read.status, 200);
        assert.deepEqual(read.body, { ...created, viable: true, updatedAt: read.body.updatedAt });
        assertParses(sdk.ProspectSchema, read.body, 'reloaded prospect');
      } finally {
        await second.close();
      }

      const file = path.join(dir, 'before-prospects.json');
      const { prospects, ...state } = pristineNetwork(5);
      assert.deepEqual(prospects, [], 'the seeded network has none');
      await writeFile(file, JSON.stringify({ format: 'ozmap-simulator-state', version: 1, savedAt: '', state }));
      const old = await startSimulator({ port: 0, stateFile: file, log: () => {} });
      try {
        assert.deepEqual(old.store.snapshot().prospects, []);
        const page = (await fetch(`${old.url}/api/v2/prospects`, { headers: { authorization: old.apiKey } }).then((r) =>
          r.json(),
        )) as Page<ProspectRecord>;
        assert.deepEqual([page.total, page.rows], [0, []]);
      } finally {
        await old.close();
      }
    } finally {
      await first.stop();
    }
  });
});
