/**
 * Many ISPs in one deployment (docs/tenants.md), end to end on `npm start` (the real start script on random ports)
 * with ADMIN_API_KEY set: two tenants added through the admin API, each with its own OZmap (a simulator of its own)
 * and key, both reserve viability `V-1`, each in its own OZmap. One tenant's key answers 404 for the other's
 * reservation on every route, its listing shows only its own, a revoked key is refused (401), a disabled tenant's
 * start is refused (403) while its held reservation still cancels; a map-page link opens only its tenant's; each
 * tenant's webhooks go to its own receiver, verified with `standardwebhooks`; a radius change reaches the next
 * reservation and not the running one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { viabilityPageUrl } from '../../client/viability-link.ts';
import { externalIdFor } from '../../contract/ids.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { CACHE_MS } from '../../registry/registry.ts';
import { findFreePort } from '../../scripts/dev-server.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { startNpmStart, stopNpmStart } from '../support/npm-start.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { SIM_API_KEY, eventually, propertiesOf, reservablePoints } from '../support/world.ts';

const ADMIN_KEY = 'tenants-test-admin-key-0123456789';
const ISPBOX_KEY = 'tenants-test-default-key-0123456789';
const WEBHOOK_SECRETS = { acme: 'acme-webhook-secret-0001', beta: 'beta-webhook-secret-0002' };

interface Answer<T = unknown> {
  status: number;
  body: T;
}

describe('many tenants on npm start', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-tenants-'));
  let npmStart: ChildProcess | undefined;
  let api = '';
  let temporalAddress = '';
  const sims: Record<'acme' | 'beta', Simulator> = {} as never;
  const receivers: Record<'acme' | 'beta', WebhookReceiver> = {} as never;
  const keys: Record<'acme' | 'beta', string> = {} as never;

  const call = async <T = unknown>(key: string, method: string, route: string, body?: unknown): Promise<Answer<T>> => {
    const res = await fetch(`${api}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const admin = <T = unknown>(method: string, route: string, body?: unknown) =>
    call<T>(ADMIN_KEY, method, `/v1/admin${route}`, body);
  const pointIn = async (sim: Simulator, index = 0) => {
    const points = await reservablePoints(new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY }), index + 1);
    const point = points[index]!;
    return { lat: point.lat, lng: point.lng };
  };
  const reserve = async (tenant: 'acme' | 'beta', viabilityId: string, index = 0) =>
    call<ReservationState>(keys[tenant], 'POST', '/v1/reservations', {
      viabilityId,
      customer: { code: `C-${tenant}`, name: `Cliente ${tenant}` },
      coordinates: await pointIn(sims[tenant], index),
    });

  before(async () => {
    for (const tenant of ['acme', 'beta'] as const) {
      sims[tenant] = await startSimulator({ port: 0, apiKey: SIM_API_KEY, log: () => {} });
      receivers[tenant] = await startWebhookReceiver(WEBHOOK_SECRETS[tenant]);
    }
    // Free ports are picked before npm start binds them, and other test files start servers meanwhile: a start that
    // found one of its ports taken (and would reuse what answers there) is stopped and tried again on others.
    for (let attempt = 1; !npmStart; attempt++) {
      const httpPort = await findFreePort();
      temporalAddress = `127.0.0.1:${await findFreePort()}`;
      const env = {
        ...process.env,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_TASK_QUEUE: 'tenants-test',
        OZMAP_URL: `http://127.0.0.1:${await findFreePort()}`,
        OZMAP_API_KEY: SIM_API_KEY,
        ISPBOX_OZMAP_DATA_DIR: dataDir,
        ISPBOX_API_KEY: ISPBOX_KEY,
        ADMIN_API_KEY: ADMIN_KEY,
        HTTP_PORT: String(httpPort),
        LOG_LEVEL: 'info',
      };
      // A port taken between npm start's look and its bind makes it exit: tried again too.
      const started = await startNpmStart(env, 120_000).catch((err: unknown) => {
        assert.ok(attempt < 3, String(err));
        return undefined;
      });
      if (!started) continue;
      if (!/something already answers|reusing the server already/.test(started.output)) {
        npmStart = started.child;
        api = `http://127.0.0.1:${httpPort}`;
      } else {
        await stopNpmStart(started.child);
        assert.ok(attempt < 3, `npm start found its ports taken three times:\n${started.output}`);
      }
    }
    for (const tenant of ['acme', 'beta'] as const) {
      const put = await admin('PUT', `/tenants/${tenant}`, {
        name: `ISP ${tenant}`,
        ozmap: { url: sims[tenant].url, apiKey: SIM_API_KEY },
        radiusMeters: 250,
        webhook: { url: receivers[tenant].url, secret: WEBHOOK_SECRETS[tenant] },
      });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      const key = await admin<{ keyId: string; key: string }>('POST', `/tenants/${tenant}/keys`);
      assert.equal(key.status, 201);
      keys[tenant] = key.body.key;
    }
  });
  after(async () => {
    if (npmStart && npmStart.exitCode === null) await stopNpmStart(npmStart);
    for (const tenant of ['acme', 'beta'] as const) {
      await sims[tenant]?.close();
      await receivers[tenant]?.close();
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('two tenants reserve V-1, each in its own OZmap', { timeout: 120_000 }, async () => {
    const [a, b] = [await reserve('acme', 'V-1'), await reserve('beta', 'V-1')];
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal(b.status, 201, JSON.stringify(b.body));
    assert.equal(a.body.status, 'RESERVED');
    assert.equal(b.body.status, 'RESERVED');
    for (const [tenant, other] of [
      ['acme', 'beta'],
      ['beta', 'acme'],
    ] as const) {
      const marker = externalIdFor('V-1', tenant);
      assert.equal((await propertiesOf({ simUrl: sims[tenant].url }, marker)).length, 1, `${tenant}: in its OZmap`);
      assert.equal((await propertiesOf({ simUrl: sims[other].url }, marker)).length, 0, `${tenant}: not in ${other}'s`);
    }
    // The environment's tenant keeps today's marker: nothing of either tenant carries it.
    assert.equal((await propertiesOf({ simUrl: sims.acme.url }, externalIdFor('V-1'))).length, 0);
  });

  it("a tenant's key answers 404 for another's reservation on every route; its listing is its own", async () => {
    assert.equal((await reserve('beta', 'V-2', 1)).status, 201);
    const box = { boxId: 'ffffffffffffffffffffffff' };
    for (const [method, route, body] of [
      ['GET', '/v1/reservations/V-2', undefined],
      ['POST', '/v1/reservations/V-2/selection', box],
      ['POST', '/v1/reservations/V-2/box', box],
      ['POST', '/v1/reservations/V-2/extension', { days: 1 }],
      ['POST', '/v1/reservations/V-2/confirm', {}],
      ['POST', '/v1/reservations/V-2/cancel', {}],
    ] as const) {
      const answer = await call(keys.acme, method, route, body);
      assert.equal(answer.status, 404, `${method} ${route}: ${JSON.stringify(answer.body)}`);
    }
    assert.equal((await call<ReservationState>(keys.beta, 'GET', '/v1/reservations/V-2')).body.status, 'RESERVED');
    const listed = async (tenant: 'acme' | 'beta') =>
      (
        await call<{ reservations: Array<{ viabilityId: string }> }>(keys[tenant], 'GET', '/v1/reservations')
      ).body.reservations
        .map((r) => r.viabilityId)
        .sort();
    await eventually(async () => {
      assert.deepEqual(await listed('acme'), ['V-1']);
      assert.deepEqual(await listed('beta'), ['V-1', 'V-2']);
    });
    // The environment's key sees neither tenant's.
    assert.deepEqual(
      (await call<{ reservations: unknown[] }>(ISPBOX_KEY, 'GET', '/v1/reservations')).body.reservations,
      [],
    );
  });

  it("a map-page link opens only its tenant's reservation", async () => {
    const link = (viabilityId: string, key = keys.acme) =>
      viabilityPageUrl({
        baseUrl: api,
        apiKey: key,
        input: { viabilityId, customer: { code: 'C-acme', name: 'Cliente acme' }, coordinates: { lat: 0, lng: 0 } },
      });
    const state = async (url: string) => {
      const res = await fetch(url.replace('/viability?', '/viability/api/state?'));
      return { status: res.status, body: (await res.json()) as ReservationState & { error?: string } };
    };
    const own = await state(link('V-1'));
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const acmeV1 = (await call<ReservationState>(keys.acme, 'GET', '/v1/reservations/V-1')).body;
    assert.deepEqual(own.body.reservation, acmeV1.reservation, "acme's V-1, not beta's");
    assert.equal((await state(link('V-2'))).status, 404, "beta's V-2 is not acme's to open");
    // Signed with acme's key but naming beta's key id: the signature does not hold.
    const forged = link('V-2').replace(/key=[0-9a-f]{16}/, `key=${/^ozk_([0-9a-f]{16})_/.exec(keys.beta)![1]}`);
    assert.equal((await state(forged)).status, 403, 'tampered: signed with another key');
  });

  it("each tenant's webhooks reach its own receiver, signed with its own secret", async () => {
    await eventually(() => {
      const reserved = (tenant: 'acme' | 'beta') =>
        receivers[tenant]
          .events()
          .filter((e) => e.type === 'reservation.reserved')
          .map((e) => e.viabilityId)
          .sort();
      assert.deepEqual(reserved('acme'), ['V-1']);
      assert.deepEqual(reserved('beta'), ['V-1', 'V-2']);
      return Promise.resolve();
    }, 30_000);
    for (const tenant of ['acme', 'beta'] as const) assert.deepEqual(receivers[tenant].rejected, [], tenant);
  });

  it("a tenant's radius change reaches its next reservation, not its running one", async () => {
    assert.equal((await admin('PUT', '/tenants/acme', { radiusMeters: 400 })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 500));
    const next = await reserve('acme', 'V-3', 1);
    assert.equal(next.status, 201, JSON.stringify(next.body));
    assert.equal(next.body.radiusMeters, 400);
    assert.equal((await call<ReservationState>(keys.acme, 'GET', '/v1/reservations/V-1')).body.radiusMeters, 250);
  });

  it(
    'a revoked key gets 401; a disabled tenant starts nothing (403) but still cancels',
    { timeout: 60_000 },
    async () => {
      const spare = await admin<{ keyId: string; key: string }>('POST', '/tenants/acme/keys');
      assert.equal((await call(spare.body.key, 'GET', '/v1/reservations/V-1')).status, 200);
      assert.equal((await admin('DELETE', `/tenants/acme/keys/${spare.body.keyId}`)).status, 204);
      await eventually(async () =>
        assert.equal((await call(spare.body.key, 'GET', '/v1/reservations/V-1')).status, 401),
      );

      assert.equal((await admin('PUT', '/tenants/beta', { enabled: false })).status, 200);
      await eventually(async () => {
        const refused = await reserve('beta', 'V-9', 2);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
      });
      const cancel = await call(keys.beta, 'POST', '/v1/reservations/V-1/cancel', { reason: 'ISP saiu' });
      assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
      await eventually(async () => {
        const state = await call<ReservationState>(keys.beta, 'GET', '/v1/reservations/V-1');
        assert.equal(state.body.status, 'CANCELLED');
      });
      assert.equal((await propertiesOf({ simUrl: sims.beta.url }, externalIdFor('V-1', 'beta'))).length, 0, 'released');
    },
  );

  it('no admin answer and no workflow history carries a secret', async () => {
    const secrets = [SIM_API_KEY, ...Object.values(WEBHOOK_SECRETS), ...Object.values(keys), ISPBOX_KEY];
    const text = JSON.stringify((await admin('GET', '/tenants')).body);
    for (const secret of secrets) assert.ok(!text.includes(secret), 'a secret in the admin listing');
    const connection = await Connection.connect({ address: temporalAddress });
    try {
      const client = new Client({ connection });
      let histories = 0;
      for await (const run of client.workflow.list({ query: 'TenantId = "acme" OR TenantId = "beta"' })) {
        const history = JSON.stringify(await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory());
        for (const secret of secrets) assert.ok(!history.includes(secret), `a secret in ${run.workflowId}'s history`);
        histories++;
      }
      assert.ok(histories >= 4, `${histories} histories scanned: reservations and webhook deliveries`);
    } finally {
      await connection.close();
    }
    assert.equal((await call(keys.acme, 'GET', '/v1/admin/tenants')).status, 401, "a tenant's key is not admin");
  });
});
