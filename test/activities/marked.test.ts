/**
 * The reconciler's OZmap paging (activities/ozmap/marked.ts) against the real simulator: only marked rows, in id
 * order, and no row skipped while rows already read are deleted (which page numbers would skip).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { CursorNotHonouredError, markedPropertiesPage } from '../../activities/ozmap/marked.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { CENTRE, SIM_API_KEY } from '../support/world.ts';

describe('marked properties, paged by id', () => {
  let sim: Simulator;
  let ozmap: OzmapClient;
  let boxId: string;
  before(async () => {
    sim = await startSimulator({ port: 0, apiKey: SIM_API_KEY });
    ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY, timeoutMs: 5000 });
    boxId = (await ozmap.findBoxesNear(CENTRE, 3000)).find((b) => !b.draft)!.id;
  });
  after(async () => {
    await ozmap.close();
    await sim.close();
  });

  const create = async (externalId?: string): Promise<string> => {
    const res = await fetch(new URL('/api/v2/properties', sim.url), {
      method: 'POST',
      headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        box: boxId,
        address: 'Rua de teste, 1',
        ...(externalId ? { external_id: externalId } : {}),
        client: { code: randomUUID().slice(0, 8), name: 'T', implanted: false },
      }),
    });
    assert.ok(res.ok, `POST /properties answered ${res.status}`);
    return ((await res.json()) as { id: string }).id;
  };

  it('reads every marked row once, in id order, while the rows already read are deleted; skips foreign ones', async () => {
    const marked = new Set<string>();
    for (let i = 0; i < 7; i++) marked.add(await create(externalIdFor(`M-${randomUUID().slice(0, 6)}`)));
    const foreign = await create('crm:1');
    await create();

    const seen: string[] = [];
    let afterId: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await markedPropertiesPage(ozmap, { afterId, limit: 3 });
      for (const row of page.rows) {
        assert.ok(row.viabilityId, `only marked rows: ${row.propertyId}`);
        seen.push(row.propertyId);
        await ozmap.deleteProperty(row.propertyId);
      }
      if (!page.next) break;
      afterId = page.next;
    }
    assert.deepEqual([...seen].sort(), [...marked].sort());
    assert.deepEqual(seen, [...seen].sort(), 'ascending ids');
    assert.ok(await ozmap.getProperty(foreign), 'the foreign property is untouched');
  });

  it('page numbers would skip rows under the same deletions (why the cursor is by id)', async () => {
    const marked = new Set<string>();
    for (let i = 0; i < 6; i++) marked.add(await create(externalIdFor(`P-${randomUUID().slice(0, 6)}`)));
    const seen: string[] = [];
    for (let pageNumber = 1; pageNumber < 10; pageNumber++) {
      const body = (await ozmap.rawPage(
        'properties',
        [{ property: 'external_id', operator: 'like', value: 'ispbox2:' }],
        {
          limit: 3,
          page: pageNumber,
          sort: [{ property: 'id', direction: 1 }],
        },
      )) as { rows: Array<{ id: string }>; hasNextPage: boolean };
      for (const row of body.rows) {
        seen.push(row.id);
        await ozmap.deleteProperty(row.id);
      }
      if (!body.hasNextPage) break;
    }
    assert.ok(seen.length < marked.size, `page numbers saw ${seen.length} of ${marked.size}`);
  });

  it('a server that ignores the cursor is refused, not paged forever', async () => {
    await create(externalIdFor('C-1'));
    await create(externalIdFor('C-2'));
    const ignoring = { rawPage: (route: string) => ozmap.rawPage(route, [], { limit: 10 }) };
    const first = await markedPropertiesPage(ozmap, { limit: 1 });
    await assert.rejects(
      markedPropertiesPage(ignoring, { afterId: first.next ?? first.rows[0]!.propertyId, limit: 10 }),
      CursorNotHonouredError,
    );
  });
});
