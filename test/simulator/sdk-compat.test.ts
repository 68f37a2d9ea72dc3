/**
 * The contract oracle (docs/architecture.md, "Testing", simulator layer): the simulator's responses parse with the
 * official @ozmap/ozmap-sdk zod schemas,
 * and the SDK's own client works against it unchanged (filter in a GET body, findAll following nextUrl, 404 → null).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pagination } from '@ozmap/ozmap-sdk';
import { z } from 'zod';
import type { PropertyView } from '../../simulator/model.ts';
import { type TestSimulator, assertParses, isolatedBox, reservationBody, startTestSimulator } from './support.ts';
import { OZMapSDK, sdk } from '../support/ozmap-sdk.ts';

/**
 * The SDK exports `Pagination<T>` only as a TypeScript interface, not as a zod schema. This mirror is checked
 * against that interface at compile time (both directions), and is strict so no unexpected field slips in.
 */
const PaginationEnvelope = z.strictObject({
  total: z.number().int().nonnegative(),
  count: z.number().int().nonnegative(),
  start: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
  rows: z.array(z.unknown()),
  hasNextPage: z.boolean(),
  nextUrl: z.string().optional(),
});
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const mirrorsSdkPagination: Same<z.infer<typeof PaginationEnvelope>, Pagination<unknown>> = true;

describe('compatibility with the official @ozmap/ozmap-sdk 1.1.8', () => {
  let sim: TestSimulator;
  before(async () => {
    sim = await startTestSimulator({ stateFile: undefined });
  });
  after(async () => {
    await sim.stop();
    assert.deepEqual(sim.logs, [], 'no unexpected server errors');
  });

  it('every box, splitter, property and FTTH client, on every list page, parses with the SDK schemas', async () => {
    assert.equal(mirrorsSdkPagination, true);
    const routes = [
      ['boxes', sdk.BoxSchema],
      ['splitters', sdk.SplitterSchema],
      ['properties', sdk.PropertySchema],
      ['ftth-clients', sdk.FTTHClientSchema],
    ] as const;
    for (const [route, schema] of routes) {
      let next: string | undefined = `/api/v2/${route}?limit=1000`;
      let rows = 0;
      while (next) {
        const page: z.infer<typeof PaginationEnvelope> = PaginationEnvelope.parse((await sim.get(next)).body);
        page.rows.forEach((row, i) => assertParses(schema, row, `${route} row ${page.start + i}`));
        rows += page.count;
        next = page.nextUrl;
      }
      assert.ok(rows > 0);
      assert.equal(rows, sim.store.list(route).length, `${route}: every document was checked`);
    }
  });

  it('single documents (GET by id) parse too: box, both splitter kinds, property, client', async () => {
    const { box, drop, network } = isolatedBox(sim);
    assertParses(sdk.BoxSchema, (await sim.get(`/api/v2/boxes/${box.id}`)).body, 'box');
    assertParses(sdk.SplitterSchema, (await sim.get(`/api/v2/splitters/${drop.id}`)).body, 'drop splitter');
    assertParses(sdk.SplitterSchema, (await sim.get(`/api/v2/splitters/${network.id}`)).body, 'network splitter');
    const page = (await sim.get<{ rows: PropertyView[] }>('/api/v2/properties?limit=1')).body;
    const first = page.rows[0];
    assertParses(sdk.PropertySchema, (await sim.get(`/api/v2/properties/${first?.id}`)).body, 'property');
    assertParses(sdk.FTTHClientSchema, (await sim.get(`/api/v2/ftth-clients/${first?.client?.id}`)).body, 'client');
  });

  it('the reservation body passes CreatePropertyDTOSchema; create, confirm and their answers parse', async () => {
    sim.reset();
    const { box, drop } = isolatedBox(sim);
    const body = reservationBody(box, drop, 3, 'SDK-1');
    assertParses(sdk.CreatePropertyDTOSchema, body, 'reservation body');
    const created = await sim.post<PropertyView>('/api/v2/properties', body);
    assert.equal(created.status, 201);
    assertParses(sdk.PropertySchema, created.body, 'created property');
    assertParses(sdk.UpdateFTTHClientDTOSchema, { implanted: true }, 'confirmation body');
    const confirmed = await sim.call('PATCH', `/api/v2/ftth-clients/${created.body.client?.id}`, {
      body: { implanted: true },
    });
    assertParses(sdk.FTTHClientSchema, confirmed.body, 'confirmed client');
    const standalone = { code: 'SDK-2', name: 'Pedro Koerich', implanted: false };
    assertParses(sdk.CreateFTTHClientDTOSchema, standalone, 'client body');
    assertParses(sdk.FTTHClientSchema, (await sim.post('/api/v2/ftth-clients', standalone)).body, 'created client');
  });

  it('known gap: a property whose client was deleted answers client: null, which the SDK PropertySchema rejects', async () => {
    sim.reset();
    const { box, drop } = isolatedBox(sim);
    const created = (await sim.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 3, 'SDK-NULL')))
      .body;
    await sim.call('DELETE', `/api/v2/ftth-clients/${created.client?.id}`);
    const orphan = (await sim.get<PropertyView>(`/api/v2/properties/${created.id}`)).body;
    assert.equal(orphan.client, null);
    // The SDK types `client` as a required populated FTTHClient; OZmap documents that deleting a client alone
    // keeps the property, so a real server must answer something else here. Callers should release with
    // DELETE /properties/:id, which never leaves such a property behind.
    assert.equal(sdk.PropertySchema.safeParse(orphan).success, false);
  });

  it("the SDK's OZMapSDK client lists, finds, pages, creates, confirms and deletes against the simulator", async () => {
    sim.reset();
    const client = new OZMapSDK(sim.url, { apiKey: sim.apiKey });
    const { box, drop } = isolatedBox(sim);

    const near = await client.box.find({
      filter: [{ property: 'coords', operator: 'near', value: { lat: box.lat, lng: box.lng, radius: 300 } }],
      limit: 10,
    });
    assert.deepEqual(
      near.rows.map((b) => b.name),
      ['CTO-9001'],
    );
    assertParses(sdk.BoxSchema, near.rows[0], 'SDK-found box');

    // findAll copies nextUrl's query into the next request but blanks `page`; the simulator's `start` keeps it going.
    const drafts = await client.box.findAll({
      filter: [{ property: 'draft', operator: '=', value: true }],
      batchSize: 7,
    });
    assert.equal(drafts.length, sim.summary().boxes.draft);
    assert.equal(new Set(drafts.map((b) => b.id)).size, drafts.length);

    const splitters = await client.splitter.find({
      filter: [
        { property: 'parent', operator: '=', value: box.id },
        { property: 'isDrop', operator: '=', value: true },
      ],
    });
    assert.deepEqual(
      splitters.rows.map((s) => s.id),
      [drop.id],
    );

    assert.equal((await client.box.findById(box.id))?.name, 'CTO-9001');
    assert.equal(await client.box.findById('0123456789abcdef01234567'), null);

    const created = (await client.property.create(
      reservationBody(box, drop, 8, 'SDK-CLIENT') as Parameters<typeof client.property.create>[0],
    )) as unknown as PropertyView;
    assert.equal(created.connections[0]?.port, 8);
    await client.ftthClient.updateById(created.client?.id ?? '', { implanted: true });
    assert.equal((await client.ftthClient.findById(created.client?.id ?? ''))?.implanted, true);
    await client.property.deleteById(created.id);
    assert.equal(await client.property.findById(created.id), null);
    assert.deepEqual(sim.summary().isolatedBox?.freePorts, [3, 6, 8]);
  });
});
