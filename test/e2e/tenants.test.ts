/**
 * Many ISPs in one deployment (docs/tenants.md), end to end on `npm start` (the real start script on random ports)
 * with ADMIN_API_KEY set: two tenants added through the admin API, each with its own OZmap (a simulator of its own)
 * and key, both reserve viability `V-1`, each in its own OZmap. One tenant's key answers 404 for the other's
 * reservation on every route, its listing shows only its own, a revoked key is refused (401), a disabled tenant's
 * start is refused (403) while its held reservation still cancels; a map-page link opens only its tenant's; each
 * tenant's webhooks go to its own receiver, verified with `standardwebhooks`; a radius change reaches the next
 * reservation and not the running one. `ozres tenants` (the real CLI) adds, changes, lists, shows, disables and
 * enables a third tenant and makes and revokes its key, and refuses bad input, storing nothing. Last, the secret scan:
 * every admin answer (and the CLI's output), every workflow's history and description, npm start's output and the
 * bytes of the files in its data folder (the registry's database, Temporal's) hold no tenant's OZmap key, webhook
 * secret or Ispbox key, plain or base64.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { viabilityPageUrl } from '../../client/viability-link.ts';
import { externalIdFor } from '../../contract/ids.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import type { TenantView } from '../../contract/tenants.ts';
import { CACHE_MS } from '../../registry/registry.ts';
import { findFreePort } from '../../scripts/dev-server.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { startNpmStart, stopNpmStart } from '../support/npm-start.ts';
import { describeHits, scanForSecrets, type Secret } from '../support/secret-scan.ts';
import { entryArgs, run } from '../support/stack.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { SIM_API_KEY, eventually, propertiesOf, reservablePoints } from '../support/world.ts';

/** Distinctive values, so that a hit of the secret scan can be nothing else. */
const distinctive = (prefix: string) => `${prefix}-${randomBytes(12).toString('hex')}`;
const ADMIN_KEY = distinctive('tenants-test-admin-key');
const ISPBOX_KEY = distinctive('tenants-test-default-key');
const OZMAP_KEYS = { acme: distinctive('acme-ozmap-key'), beta: distinctive('beta-ozmap-key') };
const WEBHOOK_SECRETS = { acme: distinctive('acme-webhook-secret'), beta: distinctive('beta-webhook-secret') };
/** The tenant `ozres tenants` adds, and the secrets it is given (the webhook's is rotated once). */
const GAMMA = {
  ozmapKey: distinctive('gamma-ozmap-key'),
  webhookSecret: distinctive('gamma-webhook-secret'),
  rotatedSecret: distinctive('gamma-webhook-rotated'),
};
/** The secret part of an Ispbox key `ozk_<keyId>_<secret>` (the key id is public: it is in views and links). */
const secretOfKey = (key: string) => /^ozk_[0-9a-f]{16}_(.+)$/.exec(key)![1]!;

interface Answer<T = unknown> {
  status: number;
  body: T;
  text: string;
}

describe('many tenants on npm start', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-tenants-'));
  let npmStart: ChildProcess | undefined;
  let api = '';
  let temporalAddress = '';
  const sims: Record<'acme' | 'beta', Simulator> = {} as never;
  const receivers: Record<'acme' | 'beta', WebhookReceiver> = {} as never;
  const keys: Record<'acme' | 'beta', string> = {} as never;
  let logs = () => '';
  /** For the secret scan: what the admin API and the CLI answered, by call, and every secret that went in. */
  const answers: Record<string, string> = {};
  const secrets: Secret[] = [
    ...(['acme', 'beta'] as const).flatMap((t) => [
      { name: `${t}'s OZmap key`, value: OZMAP_KEYS[t] },
      { name: `${t}'s webhook secret`, value: WEBHOOK_SECRETS[t] },
    ]),
    { name: "gamma's OZmap key", value: GAMMA.ozmapKey },
    { name: "gamma's webhook secret", value: GAMMA.webhookSecret },
    { name: "gamma's rotated webhook secret", value: GAMMA.rotatedSecret },
    { name: 'ADMIN_API_KEY', value: ADMIN_KEY },
    { name: 'ISPBOX_API_KEY', value: ISPBOX_KEY },
  ];
  /** A key made for a tenant: scanned for from now on; the one answer that shows it is kept with it masked. */
  const issued = (tenant: string, key: string, answer: string) => {
    secrets.push({ name: `an Ispbox key of ${tenant}`, value: secretOfKey(key) });
    return answer.split(key).join('<the new key, shown this once>');
  };

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
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
  };
  /** A call of the admin API, its answer kept for the secret scan. */
  const admin = async <T = unknown>(method: string, route: string, body?: unknown) => {
    const answer = await call<T>(ADMIN_KEY, method, `/v1/admin${route}`, body);
    const made = (answer.body as { key?: unknown } | undefined)?.key;
    const name = `admin #${Object.keys(answers).length + 1}: ${method} ${route} → ${answer.status}`;
    answers[name] = typeof made === 'string' ? issued(route, made, answer.text) : answer.text;
    return answer;
  };
  /** `ozres …` as a process, against this npm start's admin API; its output kept for the secret scan. */
  const cli = async (args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) => {
    const env = { ...process.env, ADMIN_API_URL: api, ADMIN_API_KEY: ADMIN_KEY, ...options.env };
    const res = await run([...entryArgs('cli'), ...args], env, options.input);
    const name = `cli #${Object.keys(answers).length + 1}: ${args.slice(0, 3).join(' ')} (${res.code})`;
    const made = args[1] === 'keys' && args[2] === 'create' && res.code === 0;
    answers[`${name} stdout`] = made
      ? issued(args[3]!, (JSON.parse(res.stdout) as { key: string }).key, res.stdout)
      : res.stdout;
    answers[`${name} stderr`] = res.stderr;
    return res;
  };
  const worldOf = (sim: Simulator) => ({ simUrl: sim.url, apiKey: sim.apiKey });
  const pointIn = async (sim: Simulator, index = 0) => {
    const points = await reservablePoints(new OzmapClient({ baseUrl: sim.url, apiKey: sim.apiKey }), index + 1);
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
      sims[tenant] = await startSimulator({ port: 0, apiKey: OZMAP_KEYS[tenant], log: () => {} });
      receivers[tenant] = await startWebhookReceiver(WEBHOOK_SECRETS[tenant]);
    }
    // Free ports are picked before npm start binds them, and other test files start servers meanwhile: a start that
    // found one of its ports taken (and would reuse what answers there) is stopped and tried again on others.
    for (let attempt = 1; !npmStart; attempt++) {
      const httpPort = await findFreePort();
      temporalAddress = `127.0.0.1:${await findFreePort()}`;
      const env: NodeJS.ProcessEnv = {
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
      // Payloads in clear (base64 JSON in history), so that the secret scan reads them.
      for (const name of ['PAYLOAD_ENCRYPTION_KEY', 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS']) delete env[name];
      // A port taken between npm start's look and its bind makes it exit: tried again too.
      const started = await startNpmStart(env, 120_000).catch((err: unknown) => {
        assert.ok(attempt < 3, String(err));
        return undefined;
      });
      if (!started) continue;
      if (!/something already answers|reusing the server already/.test(started.output)) {
        npmStart = started.child;
        logs = started.logs;
        api = `http://127.0.0.1:${httpPort}`;
      } else {
        await stopNpmStart(started.child);
        assert.ok(attempt < 3, `npm start found its ports taken three times:\n${started.output}`);
      }
    }
    for (const tenant of ['acme', 'beta'] as const) {
      const put = await admin('PUT', `/tenants/${tenant}`, {
        name: `ISP ${tenant}`,
        ozmap: { url: sims[tenant].url, apiKey: OZMAP_KEYS[tenant] },
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
      assert.equal((await propertiesOf(worldOf(sims[tenant]), marker)).length, 1, `${tenant}: in its OZmap`);
      assert.equal((await propertiesOf(worldOf(sims[other]), marker)).length, 0, `${tenant}: not in ${other}'s`);
    }
    // The environment's tenant keeps today's marker: nothing of either tenant carries it.
    assert.equal((await propertiesOf(worldOf(sims.acme), externalIdFor('V-1'))).length, 0);
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
      assert.equal((await propertiesOf(worldOf(sims.beta), externalIdFor('V-1', 'beta'))).length, 0, 'released');
    },
  );

  it(
    'ozres tenants adds, changes, lists, shows, disables, enables, and makes and revokes a key; bad input stores nothing',
    { timeout: 90_000 },
    async () => {
      const ok = (res: { code: number | null; stdout: string; stderr: string }) => {
        assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
        return res.stdout;
      };
      const view = (stdout: string) => JSON.parse(stdout) as TenantView;
      // The OZmap key from standard input, as docs/tenants.md shows it (kept out of the shell's history).
      const added = view(
        ok(
          await cli(
            [
              'tenants',
              'add',
              'gamma',
              '--name',
              'Gamma Net',
              '--ozmap-url',
              sims.acme.url,
              '--ozmap-key',
              '-',
              '--webhook-url',
              receivers.acme.url,
              '--webhook-secret',
              GAMMA.webhookSecret,
              '--radius',
              '300',
              '--json',
            ],
            { input: `${GAMMA.ozmapKey}\n` },
          ),
        ),
      );
      assert.equal(added.id, 'gamma');
      assert.equal(added.radiusMeters, 300);
      assert.deepEqual(added.ozmap, { url: sims.acme.url, apiKey: { set: true } });
      assert.deepEqual(added.webhook?.secret, { set: true, rotating: false });
      // A new radius and hold, and the webhook secret rotated; the rest kept.
      const updated = view(
        ok(
          await cli(
            [
              'tenants',
              'update',
              'gamma',
              '--radius',
              '600',
              '--hold-days',
              '10',
              '--webhook-url',
              receivers.acme.url,
              '--webhook-secret',
              '-',
              '--json',
            ],
            { input: GAMMA.rotatedSecret },
          ),
        ),
      );
      assert.equal(updated.radiusMeters, 600);
      assert.equal(updated.holdDays, 10);
      assert.equal(updated.name, 'Gamma Net');
      assert.deepEqual(updated.ozmap.apiKey, { set: true });
      assert.deepEqual(updated.webhook?.secret, { set: true, rotating: true });

      const [list, shown, table] = await Promise.all([
        cli(['tenants', 'list']),
        cli(['tenants', 'show', 'gamma', '--json']),
        cli(['tenants', 'show', 'gamma']),
      ]);
      const rows = ok(list).trimEnd().split('\n');
      assert.deepEqual(
        rows.map((row) => row.split(' ')[0]),
        ['default', 'acme', 'beta', 'gamma'],
        ok(list),
      );
      assert.match(rows[3]!, /^gamma +enabled +\S+ +radius 600 m, 10 d, auto, 0 key\(s\), webhook on +Gamma Net$/);
      assert.deepEqual(view(ok(shown)), updated);
      assert.equal(ok(table).trimEnd(), rows[3]);

      assert.match(ok(await cli(['tenants', 'disable', 'gamma'])), /^gamma +DISABLED /);
      assert.equal((await admin<TenantView>('GET', '/tenants/gamma')).body.enabled, false);
      assert.match(ok(await cli(['tenants', 'enable', 'gamma'])), /^gamma +enabled /);

      // The key is printed this once; it works, then is revoked and refused.
      const created = JSON.parse(ok(await cli(['tenants', 'keys', 'create', 'gamma']))) as {
        keyId: string;
        key: string;
      };
      assert.match(created.key, new RegExp(`^ozk_${created.keyId}_`));
      assert.equal((await call(created.key, 'GET', '/v1/reservations')).status, 200);
      assert.equal(ok(await cli(['tenants', 'keys', 'revoke', 'gamma', created.keyId])), '');
      await eventually(async () => assert.equal((await call(created.key, 'GET', '/v1/reservations')).status, 401));
      assert.deepEqual((await admin<TenantView>('GET', '/tenants/gamma')).body.keys, []);

      // Bad input: named, a non-zero exit, nothing stored.
      const full = ['--name', 'X', '--ozmap-url', sims.acme.url, '--ozmap-key', GAMMA.ozmapKey];
      const [badId, noUrl, wrongKey] = await Promise.all([
        cli(['tenants', 'add', 'Gamma_2', ...full]),
        cli(['tenants', 'add', 'delta', '--name', 'Delta', '--ozmap-key', GAMMA.ozmapKey]),
        cli(['tenants', 'add', 'epsilon', ...full], { env: { ADMIN_API_KEY: distinctive('not-the-admin-key') } }),
      ]);
      assert.equal(badId.code, 2, badId.stderr);
      assert.match(badId.stderr, /<tenantId> "Gamma_2": must be 1-32 of a-z/);
      assert.equal(noUrl.code, 2, noUrl.stderr);
      assert.match(noUrl.stderr, /--ozmap-url: required to add a tenant/);
      assert.equal(wrongKey.code, 2, wrongKey.stderr);
      assert.match(wrongKey.stderr, /not a valid ADMIN_API_KEY/);
      const ids = (await admin<{ tenants: TenantView[] }>('GET', '/tenants')).body.tenants.map((t) => t.id);
      assert.deepEqual(ids, ['default', 'acme', 'beta', 'gamma'], 'nothing stored');
    },
  );

  it("no admin answer, history, log or stored byte holds a tenant's secret", { timeout: 90_000 }, async () => {
    assert.equal((await call(keys.acme, 'GET', '/v1/admin/tenants')).status, 401, "a tenant's key is not admin");
    // A refused change that carries secrets: its answer names the fields, never their values.
    const refusedSecret = distinctive('refused-webhook-secret');
    secrets.push({ name: 'a refused webhook secret', value: refusedSecret });
    const refused = await admin('PUT', '/tenants/acme', {
      ozmap: { url: 'ftp://acme.example', apiKey: OZMAP_KEYS.acme },
      webhook: { url: receivers.acme.url, secret: `whsec_${refusedSecret}` },
    });
    assert.equal(refused.status, 400, refused.text);
    await admin('GET', '/tenants');

    /** Everything collected, by where it came from. */
    const corpus: Record<string, string> = { ...answers };
    const connection = await Connection.connect({ address: temporalAddress });
    try {
      const client = new Client({ connection });
      let ofTenants = 0;
      for await (const _ of client.workflow.list({ query: 'TenantId = "acme" OR TenantId = "beta"' })) ofTenants++;
      assert.ok(ofTenants >= 4, `${ofTenants} workflows of acme and beta: reservations and webhook deliveries`);
      // Every workflow on the server, the tenants' and any other.
      for await (const wf of client.workflow.list()) {
        const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
        corpus[`history ${wf.workflowId} ${wf.runId}`] = historyToJSON(await handle.fetchHistory());
        corpus[`describe ${wf.workflowId} ${wf.runId}`] = JSON.stringify((await handle.describe()).raw);
      }
    } finally {
      await connection.close();
    }
    // npm start's output, its shutdown included, and the files it leaves in its data folder, byte for byte.
    if (npmStart) await stopNpmStart(npmStart);
    corpus['npm start output'] = logs();
    const files = (await readdir(dataDir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
    for (const file of files) {
      const name = path.relative(dataDir, path.join(file.parentPath, file.name));
      corpus[`data folder: ${name}`] = (await readFile(path.join(dataDir, name))).toString('latin1');
    }

    // Controls: each source holds what it should, readable by the scan: payloads in clear base64, the tenants' names
    // in the registry's database, the worker's and the API's lines in the output.
    const sources = (prefix: string) =>
      Object.fromEntries(Object.entries(corpus).filter(([k]) => k.startsWith(prefix)));
    assert.ok(
      scanForSecrets(sources('history '), [{ name: 'customer', value: 'Cliente acme' }]).some((h) =>
        h.form.startsWith('base64'),
      ),
      'the histories carry the payloads, readable',
    );
    // (The registry's rows may still be in its write-ahead log, registry.sqlite-wal: both are read.)
    const registryBytes = Object.values(sources('data folder: registry.sqlite')).join('');
    assert.ok(registryBytes.includes('ISP acme'), "the registry's database, with the tenants' rows");
    assert.ok(/Worker started[\s\S]*stopping/.test(corpus['npm start output']), "npm start's output, to its end");
    assert.match(Object.keys(corpus).join('\n'), /cli #\d+: tenants keys create/);

    const hits = scanForSecrets(corpus, secrets);
    assert.deepEqual(hits, [], `secrets found:\n${describeHits(hits)}`);
    assert.ok(secrets.length >= 14, `${secrets.length} secrets scanned for`);
  });
});
