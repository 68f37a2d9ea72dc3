/**
 * A waitlist page (activities/waitlist.ts) against the real simulator and the store on SQLite: prospects grouped by
 * area, one search per area serving all of them (far fewer OZmap calls than prospects), each prospect's candidates
 * exactly those a reservation's own search finds there, pages by external_id, and a prospect past its window closed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { surveyBoxes } from '../../activities/survey.ts';
import { checkWaitlistPage, WAITLIST_CANDIDATES_KEPT } from '../../activities/waitlist.ts';
import { ensureProspect } from '../../activities/prospects.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { LazyRegistryDb } from '../../registry/database.ts';
import { ProspectStore } from '../../registry/prospects.ts';
import { prospectsOf } from '../support/demand.ts';
import { CENTRE, startWorld, type World } from '../support/world.ts';

describe('a waitlist page', () => {
  let world: World;
  let store: ProspectStore;
  let db: LazyRegistryDb | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'waitlist-activity-'));
  before(async () => {
    world = await startWorld();
    db = new LazyRegistryDb({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') });
    store = new ProspectStore(db);
  });
  after(async () => {
    await db?.close();
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // Six customers in the seeded town (about 40 m apart), four south of it where there is no box at all.
  const town = Array.from({ length: 6 }, (_, i) => ({ lat: CENTRE.lat + i * 0.0004, lng: CENTRE.lng }));
  const south = Array.from({ length: 4 }, (_, i) => ({ lat: -27.66 - i * 0.0004, lng: -48.53 }));

  const record = async (tenantId: string, id: string, point: { lat: number; lng: number }, openUntil: string) => {
    const externalId = externalIdFor(id, tenantId);
    const made = await world.ozmap.createProspect({
      name: id,
      code: `C-${id}`,
      address: '',
      coords: [point.lng, point.lat],
      viable: false,
      observation: 'Sem cobertura',
      tags: [],
      external_id: externalId,
    });
    await store.record({
      tenantId,
      externalId,
      prospectId: made.id,
      source: 'reservation',
      viabilityId: id,
      customer: { code: `C-${id}`, name: id },
      ...point,
      radiusMeters: 150,
      createdAt: '2026-12-01T00:00:00.000Z',
      openUntil,
    });
    return externalId;
  };

  it('searches each area once for all its prospects, with the candidates a reservation would find', async () => {
    for (const [i, p] of town.entries()) await record('acme', `T-${i}`, p, '2027-06-01T00:00:00.000Z');
    for (const [i, p] of south.entries()) await record('acme', `S-${i}`, p, '2027-06-01T00:00:00.000Z');
    const ozmap = world.clients.ozmap;
    const page = await checkWaitlistPage(ozmap, store, {
      tenantId: 'acme',
      limit: 50,
      roundAt: '2026-12-08T00:00:00.000Z',
    });
    assert.equal(page.next, undefined);
    assert.equal(page.counts.checked, 10);
    assert.equal(page.counts.areasSearched, 2, 'the town and the south are two areas');
    const viable = page.viable.map((v) => v.viabilityId).sort();
    assert.ok(viable.length > 0 && viable.every((id) => id.startsWith('T-')), viable.join());
    // Searches: at most two per area, however many prospects; then one PATCH per prospect that became viable.
    assert.ok(page.counts.ozmapCalls - page.counts.becameViable <= 2 * page.counts.areasSearched, JSON.stringify(page));
    for (const v of page.viable) {
      const alone = await surveyBoxes(world.ozmap, { ...v.coordinates, radiusMeters: v.radiusMeters });
      assert.deepEqual(v.candidates, alone.candidates.slice(0, WAITLIST_CANDIDATES_KEPT), v.viabilityId);
      assert.equal((await prospectsOf(world, v.externalId))[0]?.viable, true);
    }
    for (const i of south.keys())
      assert.equal((await prospectsOf(world, externalIdFor(`S-${i}`, 'acme')))[0]?.viable, false);
  });

  it('ensureProspect takes the oldest of two prospects a late create left under one marker, and records it', async () => {
    const point = south[3]!;
    const externalId = externalIdFor('DUP-1', 'gamma');
    const make = () =>
      world.ozmap.createProspect({
        name: 'Dup',
        code: 'C-dup',
        coords: [point.lng, point.lat],
        viable: false,
        observation: 'Sem cobertura',
        tags: [],
        external_id: externalId,
      });
    const first = await make();
    await new Promise((r) => setTimeout(r, 5));
    await make();
    const input = {
      tenantId: 'gamma',
      viabilityId: 'DUP-1',
      customer: { code: 'C-dup', name: 'Dup' },
      address: '',
      coordinates: point,
      radiusMeters: 150,
      reason: 'No box with a free port within 150 m',
      tags: [],
      forDays: 180,
    };
    const ref = await ensureProspect(world.clients.ozmap, store, input);
    assert.equal(ref.id, first.id);
    assert.deepEqual(
      (await prospectsOf(world, externalId)).map((p) => p.id),
      [first.id],
    );
    const calls = world.clients.ozmap.calls;
    assert.deepEqual(await ensureProspect(world.clients.ozmap, store, input), ref, 'recorded: answered from the store');
    assert.equal(world.clients.ozmap.calls, calls, 'without an OZmap call');
  });

  it('pages by external_id, and closes what is past its window without deleting it', async () => {
    const old = await record('beta', 'OLD-1', south[0]!, '2026-12-01T00:00:00.000Z');
    for (const i of [2, 3, 4]) await record('beta', `NEW-${i}`, south[1]!, '2027-06-01T00:00:00.000Z');
    const input = { tenantId: 'beta', limit: 2, roundAt: '2026-12-08T00:00:00.000Z' };
    const first = await checkWaitlistPage(world.clients.ozmap, store, input);
    assert.equal(first.counts.checked, 2);
    assert.ok(first.next);
    const second = await checkWaitlistPage(world.clients.ozmap, store, { ...input, after: first.next });
    assert.equal(second.counts.checked, 2);
    assert.equal(first.counts.closed + second.counts.closed, 1);
    const last = await checkWaitlistPage(world.clients.ozmap, store, { ...input, after: second.next });
    assert.deepEqual([last.counts.checked, last.next], [0, undefined]);
    assert.equal((await store.get('beta', old))?.status, 'closed');
    const [kept] = await prospectsOf(world, old);
    assert.match(kept?.observation ?? '', /^Sem cobertura\nLista de espera encerrada em 2026-12-08/);
  });
});
