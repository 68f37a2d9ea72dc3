/**
 * The waitlist's store (registry/prospects.ts) on the embedded SQLite: a prospect recorded once per (tenant,
 * external_id) whatever the retries, pages of open ones by external_id, and open → viable / closed exactly once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, openRegistryDb } from '../../registry/database.ts';
import { ProspectStore } from '../../registry/prospects.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'prospect-store-'));
const db = openRegistryDb({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') });
after(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const entry = (tenantId: string, viabilityId: string, prospectId = `p-${viabilityId}`) => ({
  tenantId,
  externalId: `ispbox2:${tenantId === 'default' ? '' : `${tenantId}/`}${viabilityId}`,
  prospectId,
  source: 'reservation' as const,
  viabilityId,
  customer: { code: `C-${viabilityId}`, name: 'Maria <b>Souza</b>' },
  lat: -27.59,
  lng: -48.55,
  radiusMeters: 250,
  createdAt: '2026-12-01T00:00:00.000Z',
  openUntil: '2027-05-30T00:00:00.000Z',
});

describe('ProspectStore', () => {
  it('records once per tenant and marker: a second record keeps the first', async () => {
    await migrate(db);
    const store = new ProspectStore(db);
    const first = await store.record(entry('default', 'V-1'));
    const again = await store.record(entry('default', 'V-1', 'p-other'));
    assert.equal(first.prospectId, 'p-V-1');
    assert.equal(again.prospectId, 'p-V-1');
    assert.equal(again.status, 'open');
    assert.deepEqual(again.customer, { code: 'C-V-1', name: 'Maria <b>Souza</b>' });
    // Another tenant's V-1 is another prospect.
    assert.equal((await store.record(entry('acme', 'V-1', 'p-acme'))).prospectId, 'p-acme');
  });

  it('pages open prospects by external_id, per tenant; viable and closed ones leave the list once', async () => {
    const store = new ProspectStore(db);
    for (const v of ['V-2', 'V-3', 'V-4']) await store.record(entry('default', v));
    const first = await store.openPage('default', undefined, 2);
    assert.deepEqual(
      first.map((e) => e.viabilityId),
      ['V-1', 'V-2'],
    );
    const next = await store.openPage('default', first.at(-1)!.externalId, 2);
    assert.deepEqual(
      next.map((e) => e.viabilityId),
      ['V-3', 'V-4'],
    );
    assert.equal(await store.markViable('default', 'ispbox2:V-2', '2026-12-08T00:00:00.000Z'), true);
    assert.equal(await store.markViable('default', 'ispbox2:V-2', '2026-12-15T00:00:00.000Z'), false);
    assert.equal(await store.markClosed('default', 'ispbox2:V-3', '2026-12-08T00:00:00.000Z'), true);
    assert.equal(await store.markClosed('default', 'ispbox2:V-2', '2026-12-08T00:00:00.000Z'), false);
    await store.checked('default', ['ispbox2:V-1'], '2026-12-08T00:00:00.000Z');
    assert.deepEqual(
      (await store.openPage('default', undefined, 10)).map((e) => e.viabilityId),
      ['V-1', 'V-4'],
    );
    assert.equal((await store.get('default', 'ispbox2:V-2'))?.status, 'viable');
    assert.equal((await store.get('default', 'ispbox2:V-3'))?.status, 'closed');
    assert.deepEqual(
      (await store.openPage('acme', undefined, 10)).map((e) => e.viabilityId),
      ['V-1'],
    );
  });
});
