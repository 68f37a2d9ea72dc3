/**
 * The reconciler on a real dev server, with the worker and the CLI as real processes and the simulator as OZmap:
 * the Schedule a worker registers (and a second worker's idempotent registration), orphans of each kind injected
 * behind the workflows' backs, a dry run that changes nothing, and paging over more properties than a page. Then per
 * tenant: a second tenant with a simulator of its own (and a third whose OZmap answers nonsense), each tenant's run
 * releasing only its own orphans, and the Schedule's run reaching every tenant.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { externalIdFor } from '../../contract/ids.ts';
import {
  RECONCILER_CONFIRM_NOTE,
  reconcileScheduleIdFor,
  type ReconcileReport,
  type ReconcileTenantsReport,
} from '../../contract/reconcile.ts';
import { TenantIdKey } from '../../contract/search-attributes.ts';
import { loadConfig } from '../../config/env.ts';
import { reconcilerChecks } from '../../doctor/reconciler-checks.ts';
import { openRegistry } from '../../registry/open.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { json, startTestServer, type TestServer } from '../support/http-server.ts';
import { spawnWorker, startStack, type Stack } from '../support/stack.ts';
import { SIM_API_KEY, eventually, propertiesOf, reservablePoints } from '../support/world.ts';

const newId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const TASK_QUEUE = 'e2e-reconcile';

describe('reconciler against the dev server, worker and simulator', () => {
  let stack: Stack;
  let boxId: string;
  let points: Awaited<ReturnType<typeof reservablePoints>>;
  // The tenant registry the worker opens (tenants are added by the per-tenant tests, after the Schedule's own).
  const dataDir = mkdtempSync(path.join(tmpdir(), 'e2e-reconcile-'));
  before(async () => {
    stack = await startStack({
      taskQueue: TASK_QUEUE,
      env: {
        ISPBOX_OZMAP_DATA_DIR: dataDir,
        TENANT_SECRETS_KEY: randomBytes(32).toString('base64'),
        ISPBOX_API_KEY: 'e2e-reconcile-default-key-0123',
      },
    });
    points = await reservablePoints(stack.world.ozmap, 4);
    boxId = points[0]!.boxId;
  });
  after(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * A property made directly in OZmap, as an operator or a lost workflow would leave it, or anyone with write access
   * would plant it: its client has `code` (a fresh one by default) and the same marker unless `clientMarker` says.
   */
  const inject = async (
    externalId: string | undefined,
    options: {
      implanted?: boolean;
      code?: string;
      clientMarker?: string | null;
      /** Another OZmap (another tenant's) and a box of it; the environment's by default. */
      in?: { url: string; boxId: string };
    } = {},
  ) => {
    const clientMarker = options.clientMarker === undefined ? externalId : (options.clientMarker ?? undefined);
    const res = await fetch(new URL('/api/v2/properties', options.in?.url ?? stack.world.simUrl), {
      method: 'POST',
      headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        box: options.in?.boxId ?? boxId,
        address: 'Rua injetada, 1',
        observation: 'injected by the reconciler test',
        ...(externalId === undefined ? {} : { external_id: externalId }),
        client: {
          code: options.code ?? newId('K'),
          name: 'Injected',
          implanted: false,
          ...(clientMarker === undefined ? {} : { external_id: clientMarker }),
        },
      }),
    });
    const text = await res.text();
    assert.ok(res.status < 300, `POST /properties answered ${res.status}: ${text}`);
    const property = JSON.parse(text) as { id: string; client: { id: string } | string };
    const clientId = typeof property.client === 'string' ? property.client : property.client.id;
    if (options.implanted) {
      assert.ok(!options.in, 'implanted only in the environment OZmap');
      assert.ok(await stack.world.ozmap.setClientImplanted(clientId));
    }
    return { propertyId: property.id, clientId };
  };

  const reserve = async (viabilityId: string, point: { lat: number; lng: number }) => {
    const state = await stack.reservations.reserve({
      viabilityId,
      customer: { code: newId('C'), name: 'Reconciled' },
      coordinates: { lat: point.lat, lng: point.lng },
    });
    assert.equal(state.status, 'RESERVED', JSON.stringify(state));
    return state.reservation!;
  };

  const reconcile = async (args: string[]): Promise<ReconcileReport> => {
    const res = await stack.cli(['reconcile', '--json', ...args]);
    assert.equal(res.code, 0, `reconcile failed (${res.code}): ${res.stderr}`);
    return JSON.parse(res.stdout) as ReconcileReport;
  };

  it('the worker registers the Schedule; a second worker leaves it, one with other settings updates it; a trigger runs the workflow', async () => {
    const handle = stack.client.schedule.getHandle(reconcileScheduleIdFor(TASK_QUEUE));
    const first = await handle.describe();
    assert.equal(first.action.workflowType, 'ReconcileTenantsWorkflow');
    assert.equal(first.state.paused, false);
    assert.ok(
      stack.worker.output.join('').includes('"outcome":"created"'),
      `first worker: ${stack.worker.output.join('')}`,
    );

    const second = spawnWorker(stack.env);
    await second.ready;
    assert.ok(second.output.join('').includes('"outcome":"unchanged"'), second.output.join(''));
    await second.kill();

    const other = spawnWorker({ ...stack.env, RECONCILE_SCHEDULE: '6h' });
    await other.ready;
    assert.ok(other.output.join('').includes('"outcome":"updated"'), other.output.join(''));
    await other.kill();
    const updated = await handle.describe();
    assert.equal(updated.spec.intervals?.[0]?.every, 6 * 3600 * 1000);

    const off = spawnWorker({ ...stack.env, RECONCILE_SCHEDULE: 'off' });
    await off.ready;
    assert.ok(off.output.join('').includes('"outcome":"paused"'), off.output.join(''));
    await off.kill();
    assert.equal((await handle.describe()).state.paused, true);
    const [paused] = await reconcilerChecks(loadConfig(stack.env));
    assert.equal(paused?.status, 'warn', JSON.stringify(paused));
    assert.match(paused.finding, /is paused/);

    // Back on (as the first worker's settings): unpaused by the update.
    const again = spawnWorker(stack.env);
    await again.ready;
    assert.ok(again.output.join('').includes('"outcome":"updated"'), again.output.join(''));
    await again.kill();
    assert.equal((await handle.describe()).state.paused, false);

    await handle.trigger();
    const action = await eventually(async () => {
      const [recent] = (await handle.describe()).info.recentActions;
      assert.ok(recent, 'the trigger has started a run');
      return recent;
    });
    const report = (await stack.client.workflow
      .getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId)
      .result()) as ReconcileTenantsReport;
    assert.equal(report.dryRun, false);
    assert.ok(report.finishedAt);
    assert.deepEqual(
      report.tenants.map((t) => [t.tenantId, t.ok]),
      [['default', true]],
      'no tenant in the registry yet: the default one alone',
    );

    // Temporal answers a Schedule's describe with a query of its scheduler workflow, which a loaded server may fail
    // for a moment right after a run ends ("Failed to describe schedule"): the doctor then warns, and is asked again.
    const ran = await eventually(async () => {
      const [check] = await reconcilerChecks(loadConfig(stack.env));
      assert.equal(check?.status, 'pass', JSON.stringify(check));
      return check;
    });
    assert.match(ran.finding, /last run .* \(COMPLETED\)/);
    const [missing] = await reconcilerChecks(loadConfig({ ...stack.env, TEMPORAL_TASK_QUEUE: 'nobody-here' }));
    assert.equal(missing?.status, 'warn', JSON.stringify(missing));
    assert.match(missing.finding, /does not exist/);
  });

  it('releases orphans, reports the gone, confirms the implanted-held, leaves foreign and implanted ones; a dry run first changes nothing and reports the same', async () => {
    const orphanId = newId('ORPH');
    const orphan = await inject(externalIdFor(orphanId));
    const implantedOrphanId = newId('IMPL');
    const implantedOrphan = await inject(externalIdFor(implantedOrphanId), { implanted: true });
    const foreign = await inject('crm:12345');
    const unmarked = await inject(undefined);

    const goneId = newId('GONE');
    const gone = await reserve(goneId, points[0]!);
    assert.ok(await stack.world.ozmap.deleteProperty(gone.propertyId));
    await stack.world.ozmap.deleteClient(gone.clientId);

    const installedId = newId('INST');
    const installed = await reserve(installedId, points[1]!);
    assert.ok(await stack.world.ozmap.setClientImplanted(installed.clientId));

    const heldId = newId('HELD');
    const held = await reserve(heldId, points[2]!);

    const dry = await reconcile(['--dry-run']);
    assert.equal(dry.dryRun, true);
    assert.ok(dry.ids.orphans.includes(orphanId), JSON.stringify(dry));
    assert.ok(dry.ids.implantedHeld.includes(installedId), JSON.stringify(dry));
    assert.ok(dry.ids.gone.includes(goneId), JSON.stringify(dry));
    assert.equal(dry.counts.released, 0);
    assert.equal(dry.counts.confirmed, 0);
    for (const id of [implantedOrphanId, heldId]) {
      assert.ok(!dry.ids.orphans.includes(id), `${id} is no orphan`);
      assert.ok(!dry.ids.implantedHeld.includes(id), `${id} is not implanted while held`);
    }
    // Nothing changed: the orphan is still there, the implanted-held reservation still RESERVED.
    assert.equal((await propertiesOf(stack.world, externalIdFor(orphanId))).length, 1);
    assert.equal((await stack.reservations.get(installedId)).status, 'RESERVED');

    const real = await reconcile(['--page-size', '2']);
    assert.equal(real.dryRun, false);
    assert.deepEqual(
      [...real.ids.orphans].sort(),
      [...dry.ids.orphans].sort(),
      'the real run finds what the dry run did',
    );
    assert.deepEqual([...real.ids.implantedHeld].sort(), [...dry.ids.implantedHeld].sort());
    assert.deepEqual([...real.ids.gone].sort(), [...dry.ids.gone].sort());
    assert.equal(real.counts.released, real.counts.orphans);
    assert.equal(real.counts.confirmed, real.counts.implantedHeld);
    assert.ok(real.pages > 2, `paged with 2 per page: ${real.pages}`);

    // The orphan and its client are gone.
    assert.equal(await stack.world.ozmap.getProperty(orphan.propertyId), null);
    assert.equal(await stack.world.ozmap.getClient(orphan.clientId), null);
    // Implanted, foreign and unmarked ones are untouched.
    for (const kept of [implantedOrphan, foreign, unmarked]) {
      assert.ok(await stack.world.ozmap.getProperty(kept.propertyId), `property ${kept.propertyId} kept`);
      assert.ok(await stack.world.ozmap.getClient(kept.clientId), `client ${kept.clientId} kept`);
    }
    assert.equal((await stack.world.ozmap.getClient(implantedOrphan.clientId))?.implanted, true);
    // The implanted-held reservation ends INSTALLED, saying who saw it.
    const final = await stack.reservations.result(installedId);
    assert.equal(final.status, 'INSTALLED');
    assert.ok(final.outcome?.reason.includes(RECONCILER_CONFIRM_NOTE), final.outcome?.reason);
    // The gone one is only reported; the held one is as it was.
    assert.equal((await stack.reservations.get(goneId)).status, 'RESERVED');
    assert.equal((await stack.reservations.get(heldId)).status, 'RESERVED');
    assert.ok(await stack.world.ozmap.getProperty(held.propertyId));
  });

  it("confirms only a reservation's own implanted client: planted implanted properties with its marker are reported, left alone", async () => {
    const viabilityId = newId('M1');
    const code = newId('C');
    const state = await stack.reservations.reserve({
      viabilityId,
      customer: { code, name: 'Held' },
      coordinates: { lat: points[3]!.lat, lng: points[3]!.lng },
    });
    assert.equal(state.status, 'RESERVED', JSON.stringify(state));
    const held = state.reservation!;
    const marker = externalIdFor(viabilityId);
    const planted = [
      // Every mark of the reservation's own client, implanted: what made the reconciler confirm a sale nobody made.
      await inject(marker, { implanted: true, code }),
      await inject(marker, { implanted: true, clientMarker: null }),
    ];

    const report = await reconcile([]);
    assert.ok(!report.ids.implantedHeld.includes(viabilityId), JSON.stringify(report.ids));
    assert.equal((await stack.reservations.get(viabilityId)).status, 'RESERVED', 'no sale confirmed');
    assert.equal((await stack.world.ozmap.getClient(held.clientId))?.implanted, false);
    for (const p of planted) assert.ok(report.ids.suspect.includes(p.propertyId), JSON.stringify(report.ids));
    assert.ok(report.counts.suspect >= planted.length, JSON.stringify(report.counts));
    for (const p of planted) {
      assert.equal((await stack.world.ozmap.getProperty(p.propertyId))?.client?.id, p.clientId, 'planted kept');
      assert.equal((await stack.world.ozmap.getClient(p.clientId))?.implanted, true);
    }
    const table = await stack.cli(['reconcile', '--dry-run']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /Suspect: our marker, not that reservation's/);
    assert.ok(table.stdout.includes(planted[0]!.propertyId), table.stdout);
  });

  it('pages by id over more orphans than a page while deleting them: none is skipped', async () => {
    const ids = Array.from({ length: 7 }, () => newId('PAGE'));
    const injected = [];
    for (const id of ids) injected.push(await inject(externalIdFor(id)));
    const report = await reconcile(['--page-size', '3']);
    for (const id of ids) assert.ok(report.ids.orphans.includes(id), `${id} found: ${JSON.stringify(report.ids)}`);
    for (const { propertyId } of injected) assert.equal(await stack.world.ozmap.getProperty(propertyId), null);
    assert.ok(report.pages >= 4, `7 or more rows at 3 a page, then the Temporal pass: ${report.pages} page(s)`);
  });

  it('continues as new every few pages, carrying its cursor and counts: a run of many pages ends with every orphan', async () => {
    const ids = Array.from({ length: 5 }, () => newId('CAN'));
    for (const id of ids) await inject(externalIdFor(id));
    const handle = await stack.client.workflow.start('ReconcileWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId: newId('reconcile-can'),
      args: [{ pageSize: 1, pagesPerRun: 2 }],
    });
    const report = (await handle.result()) as ReconcileReport;
    for (const id of ids) assert.ok(report.ids.orphans.includes(id), `${id} found: ${JSON.stringify(report.ids)}`);
    assert.ok(report.runs >= 3, `runs: ${report.runs}`);
    assert.equal(report.counts.released, report.counts.orphans);
    const first = await stack.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    assert.equal(first.status.name, 'CONTINUED_AS_NEW');
  });

  it('the table output and --help', async () => {
    const res = await stack.cli(['reconcile', '--dry-run']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /Dry run: nothing was changed/);
    assert.match(res.stdout, /Orphans \(never implanted, no open workflow\)/);
    const help = await stack.cli(['reconcile', '--help']);
    assert.match(help.stdout, /ozres reconcile --dry-run/);
    const bad = await stack.cli(['reconcile', '--page-size', '0']);
    assert.equal(bad.code, 2, bad.stderr);
  });

  describe('per tenant', () => {
    const B = 'tenant-b';
    const C = 'tenant-c';
    let simB: Simulator;
    let ozmapB: OzmapClient;
    let broken: TestServer;
    let inB: { url: string; boxId: string };
    before(async () => {
      simB = await startSimulator({ port: 0, apiKey: SIM_API_KEY, log: () => {} });
      ozmapB = new OzmapClient({ baseUrl: simB.url, apiKey: SIM_API_KEY, timeoutMs: 5000 });
      inB = { url: simB.url, boxId: (await reservablePoints(ozmapB, 1))[0]!.boxId };
      // An OZmap that answers every request with a body of no documented shape: not retried, the run fails at once.
      broken = await startTestServer((_req, res) => json(res, 200, { nothing: 'here' }));
      await putTenant(B, simB.url);
    });
    after(async () => {
      await ozmapB?.close();
      await simB?.close();
      await broken?.close();
    });

    const putTenant = async (id: string, url: string, enabled = true) => {
      const registry = await openRegistry(loadConfig(stack.env));
      try {
        await registry.put(id, { name: id, ozmap: { url, apiKey: SIM_API_KEY }, radiusMeters: 250, enabled });
      } finally {
        await registry.close();
      }
    };

    it("a tenant's run releases its orphan in its own OZmap, leaves its held reservation and others' markers; the default run leaves the tenant's markers", async () => {
      const orphanB = newId('BORPH');
      const orphan = await inject(externalIdFor(orphanB, B), { in: inB });
      // The default tenant's marker in B's OZmap, and B's marker in the environment's (two tenants may share one).
      const defaultsInB = await inject(externalIdFor(newId('DINB')), { in: inB });
      const sharedId = newId('BSHARED');
      const bsInDefault = await inject(externalIdFor(sharedId, B));
      const [pointB] = await reservablePoints(ozmapB, 2);
      const heldB = newId('BHELD');
      const held = await stack.reservations.forTenant(B, stack.reservations.defaults).reserve({
        viabilityId: heldB,
        customer: { code: newId('C'), name: 'Held by B' },
        coordinates: { lat: pointB!.lat, lng: pointB!.lng },
      });
      assert.equal(held.status, 'RESERVED', JSON.stringify(held));

      const bad = await stack.cli(['reconcile', '--tenant', 'Not_A_Tenant']);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /--tenant: must be a tenant id/);

      const b = await reconcile(['--tenant', B]);
      assert.equal(b.tenantId, B);
      assert.deepEqual(b.ids.orphans, [orphanB], JSON.stringify(b));
      assert.equal(b.counts.released, 1);
      assert.ok(b.counts.held >= 1 && b.counts.checked >= 1, `B's reservation seen held: ${JSON.stringify(b.counts)}`);
      assert.equal(await ozmapB.getProperty(orphan.propertyId), null, "B's orphan released in B's OZmap");
      assert.equal(await ozmapB.getClient(orphan.clientId), null);
      assert.ok(await ozmapB.getProperty(defaultsInB.propertyId), "the default tenant's marker in B's OZmap kept");
      assert.ok(await stack.world.ozmap.getProperty(bsInDefault.propertyId), "B's run reads B's OZmap only");
      assert.equal((await stack.reservations.forTenant(B, stack.reservations.defaults).get(heldB)).status, 'RESERVED');
      assert.ok(await ozmapB.getProperty(held.reservation!.propertyId), "B's held reservation kept");
      // Its run carries the tenant, for the Web UI and visibility.
      const runs = await eventually(async () => {
        const found = [];
        for await (const w of stack.client.workflow.list({
          query: `WorkflowType = "ReconcileWorkflow" AND TenantId = "${B}"`,
        }))
          found.push(w);
        assert.ok(found.length > 0, 'the run is listed under its tenant');
        return found;
      });
      assert.ok(
        runs.every((w) => w.workflowId.includes(`-${B}-manual-`)),
        runs.map((w) => w.workflowId).join(),
      );

      const a = await reconcile([]);
      assert.equal(a.tenantId, 'default');
      assert.ok(!a.ids.orphans.includes(sharedId), JSON.stringify(a.ids));
      assert.ok(!a.ids.suspect.includes(bsInDefault.propertyId), JSON.stringify(a.ids));
      assert.ok(a.counts.unmarked >= 1, `B's marker counted as not the default's: ${JSON.stringify(a.counts)}`);
      assert.ok(await stack.world.ozmap.getProperty(bsInDefault.propertyId), "B's marker in the default OZmap kept");
      assert.ok(await stack.world.ozmap.getClient(bsInDefault.clientId));
    });

    it("the Schedule's run reaches every enabled tenant, one child each; a tenant whose OZmap fails fails alone, reported", async () => {
      const orphanA = newId('WHOLEA');
      const a = await inject(externalIdFor(orphanA));
      const orphanB = newId('WHOLEB');
      const b = await inject(externalIdFor(orphanB, B), { in: inB });
      await putTenant(C, broken.url);
      await putTenant('tenant-off', simB.url, false);
      const handle = stack.client.schedule.getHandle(reconcileScheduleIdFor(TASK_QUEUE));
      const before = (await handle.describe()).info.recentActions.length;
      await handle.trigger();
      const action = await eventually(async () => {
        const recent = (await handle.describe()).info.recentActions;
        assert.ok(recent.length > before, 'the trigger has started a run');
        return recent.at(-1)!;
      });
      const report = (await stack.client.workflow
        .getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId)
        .result()) as ReconcileTenantsReport;
      // In the order they ended (C's fails at once); the disabled tenant is not reconciled.
      assert.deepEqual(
        report.tenants.map((t) => [t.tenantId, t.ok]).sort(),
        [
          ['default', true],
          [B, true],
          [C, false],
        ],
        JSON.stringify(report.tenants),
      );
      assert.equal(report.reconciled, 2);
      assert.equal(report.failed, 1);
      const failed = report.tenants.find((t) => t.tenantId === C);
      assert.ok(failed && !failed.ok && /documented shape/.test(failed.error), JSON.stringify(failed));
      assert.ok(report.counts.released >= 2, JSON.stringify(report.counts));
      assert.equal(await stack.world.ozmap.getProperty(a.propertyId), null, "the default tenant's orphan released");
      assert.equal(await ozmapB.getProperty(b.propertyId), null, "B's orphan released in B's OZmap");
      const child = report.tenants.find((t) => t.tenantId === B)!;
      const described = await stack.client.workflow.getHandle(child.workflowId).describe();
      assert.equal(described.typedSearchAttributes.get(TenantIdKey), B);
      assert.ok(child.workflowId.startsWith(`reconcile-${TASK_QUEUE}-${B}-`), child.workflowId);

      const [check] = await reconcilerChecks(loadConfig(stack.env));
      assert.equal(check?.status, 'warn', JSON.stringify(check));
      assert.ok(check.finding.includes(C), check.finding);
      await putTenant(C, broken.url, false);
    });
  });
});
