/**
 * Two tenants on the cluster (docs/tenants.md): added through the cluster's admin API into the registry in its
 * PostgreSQL, each pointed at an OZmap of its own, both reserving the same viability ids through the cluster's HTTP
 * API and workers. A worker is killed with SIGKILL while both tenants' reservations are in flight (their OZmaps
 * slow): every reservation still ends RESERVED with one client, in its own tenant's OZmap and not the other's; each
 * tenant sees only its own; every cancel then releases its port in the right OZmap.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { externalIdFor } from '../../contract/ids.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import {
  doubleBookedPorts,
  eventually,
  propertiesOf,
  reservablePoints,
  setFaults,
  startWorld,
  type World,
} from '../support/world.ts';
import { SIM_API_KEY } from '../support/world.ts';
import { bounce, clusterInfo, persist } from './support.ts';

const TENANTS = ['isp-north', 'isp-south'] as const;
type Tenant = (typeof TENANTS)[number];
const PER_TENANT = 6;

interface Answer<T> {
  status: number;
  body: T;
}

describe('two tenants on the cluster, a worker killed mid-flight', () => {
  const info = clusterInfo();
  const worlds = {} as Record<Tenant, World>;
  const keys = {} as Record<Tenant, string>;

  /** One HTTP call; a 5xx or a refused connection throws, for `persist` to try again while a part restarts. */
  const call = async <T>(key: string, method: string, route: string, body?: unknown): Promise<Answer<T>> => {
    const res = await fetch(`${info.apiUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    if (res.status >= 500) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };

  before(async () => {
    for (const tenant of TENANTS) {
      worlds[tenant] = await startWorld();
      const put = await call(info.adminApiKey, 'PUT', `/v1/admin/tenants/${tenant}`, {
        name: `ISP ${tenant}`,
        ozmap: { url: worlds[tenant].simUrl, apiKey: SIM_API_KEY },
        radiusMeters: 250,
      });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const key = await call<{ key: string }>(info.adminApiKey, 'POST', `/v1/admin/tenants/${tenant}/keys`);
      assert.equal(key.status, 201, JSON.stringify(key.body));
      keys[tenant] = key.body.key;
    }
  });
  after(async () => {
    for (const tenant of TENANTS) await worlds[tenant]?.close();
  });

  it('finishes every reservation of both tenants, one client each, in the right OZmap', async () => {
    const ids = Array.from({ length: PER_TENANT }, (_, i) => `V-${i + 1}`);
    const points = {} as Record<Tenant, Array<{ lat: number; lng: number }>>;
    for (const t of TENANTS) points[t] = await reservablePoints(worlds[t].ozmap, PER_TENANT, 60);
    for (const t of TENANTS) await setFaults(worlds[t], { latencyMs: 300, latencyJitterMs: 300 });

    let answered = 0;
    const posts = TENANTS.flatMap((tenant) =>
      ids.map((viabilityId, i) =>
        persist(() =>
          call<ReservationState>(keys[tenant], 'POST', '/v1/reservations', {
            viabilityId,
            customer: { code: `C-${tenant}-${viabilityId}`, name: 'Cliente' },
            coordinates: { lat: points[tenant][i]!.lat, lng: points[tenant][i]!.lng },
          }),
        ).finally(() => answered++),
      ),
    );
    // Both tenants' reservations under way in both workers' hands, then one worker gone at once.
    await new Promise((r) => setTimeout(r, 1500));
    const victim = info.workers[0]!;
    const inFlight = posts.length - answered;
    assert.ok(inFlight > 0, 'every reservation was made before the kill: nothing was in flight');
    const killed = await bounce(victim.name, 'SIGKILL', victim.port);
    for (const answer of await Promise.all(posts))
      assert.ok([200, 201, 202].includes(answer.status), String(answer.status));
    for (const t of TENANTS) await setFaults(worlds[t], { latencyMs: 0, latencyJitterMs: 0 });

    for (const tenant of TENANTS) {
      const states = await eventually(async () => {
        const all = await Promise.all(
          ids.map((id) => persist(() => call<ReservationState>(keys[tenant], 'GET', `/v1/reservations/${id}`))),
        );
        assert.ok(
          all.every((a) => a.status === 200 && a.body.status === 'RESERVED'),
          `${tenant}: ${all.map((a) => a.body.status).join(',')}`,
        );
        return all.map((a) => a.body);
      }, 150_000);
      const other = TENANTS.find((t) => t !== tenant)!;
      for (const [i, id] of ids.entries()) {
        const mine = await propertiesOf(worlds[tenant], externalIdFor(id, tenant));
        assert.equal(mine.length, 1, `${tenant} ${id}: one client in its own OZmap`);
        assert.equal(mine[0]!.id, states[i]!.reservation!.propertyId, `${tenant} ${id}: the property it reports`);
        assert.deepEqual(await propertiesOf(worlds[other], externalIdFor(id, tenant)), [], `${id} not in ${other}'s`);
      }
      assert.deepEqual(await doubleBookedPorts(worlds[tenant]), [], `${tenant}: no port twice`);
      await eventually(async () => {
        const listing = await call<{ reservations: Array<{ viabilityId: string }> }>(
          keys[tenant],
          'GET',
          '/v1/reservations',
        );
        assert.equal(listing.status, 200);
        const seen = listing.body.reservations.map((s) => s.viabilityId).sort();
        assert.deepEqual(seen, [...ids].sort(), `${tenant}'s listing`);
      });
    }
    // The same ids, two reservations: each tenant's cancel releases its own port only.
    await Promise.all(
      TENANTS.flatMap((tenant) =>
        ids.map((id) => persist(() => call(keys[tenant], 'POST', `/v1/reservations/${id}/cancel`, {}))),
      ),
    );
    for (const tenant of TENANTS) {
      await eventually(async () => {
        for (const id of ids) assert.deepEqual(await propertiesOf(worlds[tenant], externalIdFor(id, tenant)), []);
      }, 60_000);
    }
    console.log(
      `# ${victim.name} killed (back in ${killed.downMs} ms) with ${inFlight} of ${posts.length} reservations ` +
        'in flight: all RESERVED, one client each in its own OZmap, then all cancelled and released',
    );
  });
});
