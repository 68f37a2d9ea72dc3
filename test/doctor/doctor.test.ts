/**
 * `ozres doctor` against the real stack (dev server, worker process, simulator): all passes and leaves the
 * simulator's state as it was; each broken part (no worker, a missing search attribute, Temporal down, a wrong
 * OZmap key, an http OZmap URL) is named with its fix and fails the run; GET /v1/doctor answers the same report.
 * With --tenant, a registry of two tenants on two simulators: the one with a wrong OZmap key is named with its
 * failing line, the other passes; a tenant's key gets its own tenant's report from GET /v1/doctor.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureSearchAttributes, findFreePort } from '../../scripts/dev-server.ts';
import { runDoctor, type DoctorReport } from '../../doctor/index.ts';
import { buildHttpServer } from '../../api/server.ts';
import { loadConfig } from '../../config/env.ts';
import { linkSigningKey } from '../../client/viability-link.ts';
import { openRegistry } from '../../registry/open.ts';
import type { TenantRegistry } from '../../registry/registry.ts';
import { ISOLATED_BOX } from '../../simulator/network.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { startTestServer, type TestServer } from '../support/http-server.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { SIM_API_KEY } from '../support/world.ts';
import { ResponseContract, TEST_API_KEY, loadValidDocument } from '../support/http-api.ts';

const byId = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id);
const failures = (report: DoctorReport) => report.checks.filter((c) => c.status === 'fail').map((c) => c.id);

describe('ozres doctor against the stack', () => {
  let stack: Stack;
  let boxId: string;
  const state = async () => {
    const res = await fetch(new URL('/__sim/state', stack.world.simUrl), { headers: { authorization: SIM_API_KEY } });
    assert.equal(res.status, 200);
    return await res.json();
  };

  before(async () => {
    stack = await startStack({ taskQueue: `doctor-${randomUUID().slice(0, 6)}` });
    const summary = (await (
      await fetch(new URL('/__sim/summary', stack.world.simUrl), { headers: { authorization: SIM_API_KEY } })
    ).json()) as { isolatedBox: { id: string; name: string } };
    assert.equal(summary.isolatedBox.name, ISOLATED_BOX.name);
    boxId = summary.isolatedBox.id;
  });
  after(async () => stack?.stop());

  it('passes everything (module), conformance and write test included; the simulator is left as it was', async () => {
    const before = await state();
    const report = await runDoctor({ env: stack.env, ozmap: true, write: { boxId } });
    assert.deepEqual(failures(report), [], JSON.stringify(report.checks, null, 2));
    assert.equal(report.ok, true);
    for (const id of ['temporal.reachable', 'temporal.namespace', 'temporal.search-attributes', 'temporal.worker'])
      assert.equal(byId(report, id)?.status, 'pass', id);
    for (const id of ['ozmap.key', 'ozmap.projects', 'geocoder.answers', 'conformance.near-radius', 'write.clean'])
      assert.equal(byId(report, id)?.status, 'pass', id);
    // Plain http on loopback is a warning, not a failure.
    assert.equal(byId(report, 'ozmap.transport')?.status, 'warn');
    assert.deepEqual(await state(), before);
  });

  it('as a process: doctor, --ozmap and --ozmap --write --box exit 0, print no key, and change nothing', async () => {
    const before = await state();
    const plain = await stack.cli(['doctor']);
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.match(plain.stdout, /✓ Worker +1 worker polling task queue/);
    assert.match(plain.stdout, /Ready for a sale/);
    const conformance = await stack.cli(['doctor', '--ozmap', '--json']);
    assert.equal(conformance.code, 0, conformance.stdout + conformance.stderr);
    const json = JSON.parse(conformance.stdout) as DoctorReport;
    assert.equal(json.ok, true);
    assert.ok(json.checks.some((c) => c.id === 'conformance.external-id' && c.reference === 'OZmap facts O15, O22'));
    const write = await stack.cli(['doctor', '--ozmap', '--write', '--box', boxId]);
    assert.equal(write.code, 0, write.stdout + write.stderr);
    assert.match(write.stdout, /✓ Occupied port refused +refused with 422/);
    for (const out of [plain, conformance, write]) assert.ok(!(out.stdout + out.stderr).includes(SIM_API_KEY));
    assert.deepEqual(await state(), before);
  });

  it('refuses --write without --box (exit 2, naming --box)', async () => {
    const res = await stack.cli(['doctor', '--ozmap', '--write']);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--box: is required with --write/);
  });

  it('names a task queue nobody polls, with the fix', async () => {
    const report = await runDoctor({ env: { ...stack.env, TEMPORAL_TASK_QUEUE: 'nobody-polls-here' } });
    assert.deepEqual(failures(report), ['temporal.worker']);
    const line = byId(report, 'temporal.worker')!;
    assert.match(line.finding, /no worker polls task queue "nobody-polls-here"/);
    assert.match(line.fix ?? '', /npm run worker.*TEMPORAL_TASK_QUEUE=nobody-polls-here/);
  });

  it('as a process: Temporal down is one ✗ naming the address and the fix (exit 1)', async () => {
    const port = await findFreePort();
    const res = await stack.cli(['doctor', '--json'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    assert.equal(res.code, 1, res.stderr);
    const report = JSON.parse(res.stdout) as DoctorReport;
    assert.deepEqual(failures(report), ['temporal.reachable']);
    const line = byId(report, 'temporal.reachable')!;
    assert.match(line.finding, new RegExp(`127\\.0\\.0\\.1:${port} did not answer`));
    assert.match(line.fix ?? '', /TEMPORAL_ADDRESS/);
  });

  it('names a wrong OZmap key as such, without printing it', async () => {
    const wrong = 'wrong-ozmap-key-7f3a9c';
    const report = await runDoctor({ env: { ...stack.env, OZMAP_API_KEY: wrong }, ozmap: true });
    assert.deepEqual(failures(report), ['ozmap.key']);
    assert.match(byId(report, 'ozmap.key')!.finding, /OZmap refused the key \(401/);
    assert.match(byId(report, 'ozmap.key')!.fix ?? '', /OZMAP_API_KEY/);
    assert.ok(report.checks.some((c) => c.id === 'conformance.skipped'));
    assert.ok(!JSON.stringify(report).includes(wrong));
  });

  it('names an http OZmap URL outside loopback: refused by the config, a ✗ line when allowed anyway', async () => {
    const env = {
      ...stack.env,
      OZMAP_URL: 'http://ozmap.invalid:9994',
      OZMAP_API_KEY: 'real-looking-key-123456',
      // A real OZmap: the public demo Ispbox key is refused there, so this test brings its own.
      ISPBOX_API_KEY: 'doctor-test-ispbox-key-0123',
      OZMAP_TIMEOUT_MS: '2000',
      GEOCODER_URL: stack.world.simUrl,
    };
    const refused = await runDoctor({ env });
    assert.deepEqual(failures(refused), ['config.OZMAP_URL']);
    assert.match(refused.checks[0]!.fix ?? '', /use https:\/\//);
    const allowed = await runDoctor({ env: { ...env, OZMAP_ALLOW_INSECURE_HTTP: 'true' } });
    const transport = byId(allowed, 'ozmap.transport')!;
    assert.equal(transport.status, 'fail');
    assert.match(transport.finding, /plain http outside loopback/);
    assert.match(transport.fix ?? '', /https:\/\/<tenant>\.ozmap\.com\.br:9994/);
    assert.equal(allowed.ok, false);
    assert.ok(!JSON.stringify([refused, allowed]).includes('real-looking-key-123456'));
  });

  it('GET /v1/doctor: 401 without the key, 200 with the report when all passes, 503 when a check fails', async () => {
    let env: NodeJS.ProcessEnv = stack.env;
    const config = loadConfig({ ...stack.env, ISPBOX_API_KEY: TEST_API_KEY });
    const app = await buildHttpServer({
      reservations: stack.reservations,
      config,
      logger: false,
      doctor: (options) => runDoctor({ env, ozmap: options.ozmap }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      assert.ok(address && typeof address === 'object');
      const url = `http://127.0.0.1:${address.port}`;
      const contract = new ResponseContract(await loadValidDocument(url));
      const get = async (auth: boolean, query = '') => {
        const res = await fetch(`${url}/v1/doctor${query}`, {
          headers: auth ? { authorization: `Bearer ${TEST_API_KEY}` } : {},
        });
        const body = (await res.json()) as DoctorReport;
        contract.check('GET', '/v1/doctor', res.status, body);
        return { status: res.status, body };
      };
      assert.equal((await get(false)).status, 401);
      const ok = await get(true, '?ozmap=true');
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.ok, true);
      assert.ok(ok.body.checks.some((c) => c.id === 'conformance.pagination'));
      env = { ...stack.env, TEMPORAL_TASK_QUEUE: 'nobody-polls-http' };
      const down = await get(true);
      assert.equal(down.status, 503);
      assert.deepEqual(failures(down.body), ['temporal.worker']);
      assert.ok(!JSON.stringify([ok.body, down.body]).includes(SIM_API_KEY));
    } finally {
      await app.close();
    }
  });

  describe('--tenant: two tenants, one with a wrong OZmap key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'doctor-tenants-'));
    let env: NodeJS.ProcessEnv;
    let registry: TenantRegistry;
    let other: Simulator;
    let receiver: TestServer;
    const keys: Record<string, string> = {};
    const wrong = 'tenant-b-wrong-ozmap-key-5d1e';

    before(async () => {
      env = { ...stack.env, TENANT_SECRETS_KEY: randomBytes(32).toString('base64'), ISPBOX_OZMAP_DATA_DIR: dir };
      registry = await openRegistry(loadConfig(env));
      other = await startSimulator({ port: 0, apiKey: SIM_API_KEY });
      receiver = await startTestServer((_req, res) => res.writeHead(405).end());
      await registry.put('tenant-a', {
        name: 'A Fibra',
        ozmap: { url: stack.world.simUrl, apiKey: SIM_API_KEY },
        webhook: { url: `${receiver.url}/hooks/ozres`, secret: `whsec_${randomBytes(24).toString('base64')}` },
      });
      await registry.put('tenant-b', { name: 'B Net', ozmap: { url: other.url, apiKey: wrong } });
      for (const id of ['tenant-a', 'tenant-b'])
        keys[id] = (await registry.createKey(id, (key) => linkSigningKey({ ispboxApiKey: key })))!.key;
    });
    after(async () => {
      await registry?.close();
      await other?.close();
      await receiver?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("names the broken tenant's failing line and fix; the other passes; no key or secret shown", async () => {
      const a = await runDoctor({ env, tenant: 'tenant-a' });
      assert.deepEqual(failures(a), [], JSON.stringify(a.checks, null, 2));
      assert.equal(a.tenant, 'tenant-a');
      for (const id of ['tenant.registry', 'tenant.enabled', 'tenant.settings', 'tenant.keys', 'ozmap.key'])
        assert.equal(byId(a, id)?.status, 'pass', id);
      assert.match(byId(a, 'tenant.webhook')!.finding, /answers \(405 to HEAD/);
      assert.match(byId(a, 'tenant.keys')!.finding, /^1 live key$/);
      const b = await runDoctor({ env, tenant: 'tenant-b', ozmap: true });
      assert.deepEqual(failures(b), ['ozmap.key']);
      const line = byId(b, 'ozmap.key')!;
      assert.equal(line.title, 'OZmap key (tenant tenant-b)');
      assert.match(line.finding, /OZmap refused the key \(401/);
      assert.match(line.fix ?? '', /ozres tenants update tenant-b --ozmap-key -/);
      assert.ok(b.checks.some((c) => c.id === 'conformance.skipped'));
      const shown = JSON.stringify([a, b]);
      for (const secret of [wrong, SIM_API_KEY, keys['tenant-a']!, keys['tenant-b']!, env.TENANT_SECRETS_KEY!])
        assert.ok(!shown.includes(secret));
    });

    it('as a process: a failing tenant exits 1 naming it; an unknown one 4, a bad id 2, both naming --tenant', async () => {
      const broken = await stack.cli(['doctor', '--tenant', 'tenant-b'], env);
      assert.equal(broken.code, 1, broken.stdout + broken.stderr);
      assert.match(broken.stdout, /✗ OZmap key \(tenant tenant-b\) +OZmap refused the key/);
      assert.match(broken.stdout, /Tenant tenant-b: Not ready for a sale .*ozmap\.key/);
      assert.ok(!(broken.stdout + broken.stderr).includes(wrong));
      const unknown = await stack.cli(['doctor', '--tenant', 'nobody'], env);
      assert.equal(unknown.code, 4, unknown.stdout + unknown.stderr);
      assert.match(unknown.stderr, /--tenant: no tenant "nobody": it is not in the registry.*ozres tenants add nobody/);
      const bad = await stack.cli(['doctor', '--tenant', 'Not_An_Id'], env);
      assert.equal(bad.code, 2, bad.stdout + bad.stderr);
      assert.match(bad.stderr, /--tenant: "Not_An_Id" is no tenant id/);
    });

    it("GET /v1/doctor: a tenant's key gets its own tenant's report; ISPBOX_API_KEY the environment's", async () => {
      const asked: Array<string | undefined> = [];
      // The registry's environment is `env`: its ISPBOX_API_KEY is the `default` tenant's key.
      const config = loadConfig(env);
      const app = await buildHttpServer({
        reservations: stack.reservations,
        config,
        logger: false,
        registry,
        doctor: (options) => {
          asked.push(options.tenantId);
          return runDoctor({ env, tenant: options.tenantId, registry });
        },
      });
      try {
        const get = async (key: string) => {
          const res = await app.inject({ url: '/v1/doctor', headers: { authorization: `Bearer ${key}` } });
          return { status: res.statusCode, body: res.json<DoctorReport>() };
        };
        const b = await get(keys['tenant-b']!);
        assert.equal(b.status, 503);
        assert.equal(b.body.tenant, 'tenant-b');
        assert.deepEqual(failures(b.body), ['ozmap.key']);
        const a = await get(keys['tenant-a']!);
        assert.equal(a.status, 200, JSON.stringify(a.body));
        assert.equal(a.body.tenant, 'tenant-a');
        const own = await get(config.http.ispboxApiKey);
        assert.equal(own.body.tenant, undefined);
        assert.equal(byId(own.body, 'tenant.registry'), undefined);
        assert.deepEqual(asked, ['tenant-b', 'tenant-a', undefined]);
        assert.equal((await get('ozk_0123456789abcdef_' + 'x'.repeat(43))).status, 401);
      } finally {
        await app.close();
      }
    });
  });

  // Last: it changes the namespace (and puts it back).
  it('names a missing search attribute and the command that registers it', async () => {
    const { connection } = stack.dev.env;
    await connection.operatorService.removeSearchAttributes({
      namespace: stack.dev.namespace,
      searchAttributes: ['BoxId'],
    });
    try {
      const report = await runDoctor({ env: stack.env });
      assert.deepEqual(failures(report), ['temporal.search-attributes']);
      const line = byId(report, 'temporal.search-attributes')!;
      assert.match(line.finding, /BoxId is missing/);
      assert.match(line.fix ?? '', /temporal operator search-attribute create .*--name BoxId --type Keyword/);
    } finally {
      await ensureSearchAttributes(connection, stack.dev.namespace);
    }
  });
});
