/**
 * The reconciler's OZmap pass (activities/reconcile.ts) against the real simulator, with records planted through
 * OZmap's API as anyone with write access could (docs/architecture.md, "Reconciler"). Temporal is a stand-in that
 * answers describe, getState and confirmSale for the workflows each test says exist; test/e2e/reconcile.test.ts runs
 * the same against a real server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { createReconcileActivities, type ReconcileDeps } from '../../activities/reconcile.ts';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { TenantOzmaps } from '../../activities/tenant-ozmaps.ts';
import { externalIdFor, reservationOf, scopedViabilityId, viabilityIdOf } from '../../contract/ids.ts';
import { RECONCILER_CONFIRM_NOTE, type MarkedPageResult } from '../../contract/reconcile.ts';
import { CustomerCodeKey, ReservationStatusKey } from '../../contract/search-attributes.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { CENTRE, SIM_API_KEY } from '../support/world.ts';

/** A reservation workflow as the stand-in answers for it. */
interface Run {
  open: boolean;
  customerCode: string;
  status?: string;
  reservation?: { propertyId: string; clientId: string };
}

/** The key of a workflow in `runs`: its viability id, `<tenant>/<viability id>` for a tenant other than `default`. */
const keyOf = (workflowId: string): string => {
  const of = reservationOf(workflowId);
  return of ? scopedViabilityId(of.viabilityId, of.tenantId) : '';
};

/** describe, query(getState) and signal for the workflows in `runs`; every other id is not found. */
function temporalWith(runs: Map<string, Run>, signals: Array<{ viabilityId: string; note?: string }>): Client {
  const runOf = (workflowId: string): Run => {
    const run = runs.get(keyOf(workflowId));
    if (!run) throw new WorkflowNotFoundError('not found', workflowId, undefined);
    return run;
  };
  return {
    workflow: {
      getHandle: (workflowId: string) => ({
        describe: () => {
          const run = runOf(workflowId);
          return Promise.resolve({
            status: { name: run.open ? 'RUNNING' : 'COMPLETED' },
            typedSearchAttributes: new TypedSearchAttributes([
              { key: CustomerCodeKey, value: run.customerCode },
              ...(run.status === undefined ? [] : [{ key: ReservationStatusKey, value: run.status }]),
            ]),
          });
        },
        query: () => {
          const run = runOf(workflowId);
          return Promise.resolve({ status: run.status, reservation: run.reservation });
        },
        signal: (_def: unknown, arg: { note?: string }) => {
          signals.push({ viabilityId: viabilityIdOf(workflowId)!, note: arg.note });
          return Promise.resolve();
        },
      }),
    },
  } as unknown as Client;
}

describe('the reconciler does not take the marker for authority', () => {
  let sim: Simulator;
  let ozmap: OzmapClient;
  let boxId: string;
  const env = new MockActivityEnvironment();
  before(async () => {
    sim = await startSimulator({ port: 0, apiKey: SIM_API_KEY });
    ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY, timeoutMs: 5000 });
    boxId = (await ozmap.findBoxesNear(CENTRE, 3000)).find((b) => !b.draft)!.id;
  });
  after(async () => {
    await ozmap.close();
    await sim.close();
  });

  /**
   * A property planted through OZmap's API with this viability's marker (`marker`: another, say another tenant's) and
   * the client given (null: none), in the environment's OZmap unless `into` names another.
   */
  const plant = async (
    viabilityId: string,
    client: { code: string; externalId?: string; implanted?: boolean } | null,
    into: { url: string; boxId: string; marker?: string } = { url: sim.url, boxId },
  ): Promise<{ propertyId: string; clientId?: string }> => {
    const res = await fetch(new URL('/api/v2/properties', into.url), {
      method: 'POST',
      headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        box: into.boxId,
        address: 'Rua Plantada, 1',
        external_id: into.marker ?? externalIdFor(viabilityId),
        ...(client && {
          client: {
            code: client.code,
            name: 'Someone',
            implanted: false,
            ...(client.externalId !== undefined && { external_id: client.externalId }),
          },
        }),
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as { id: string; client: { id: string } | null };
    if (client?.implanted) assert.ok(await ozmap.setClientImplanted(body.client!.id));
    return { propertyId: body.id, ...(body.client && { clientId: body.client.id }) };
  };

  /** Every page of the OZmap pass, as the workflow would run them, for `tenantId` (absent: `default`). */
  const reconcile = async (
    temporal: Client,
    dryRun: boolean,
    tenantId?: string,
    deps: Partial<ReconcileDeps> = {},
  ): Promise<MarkedPageResult['outcomes']> => {
    const { reconcileMarkedPage } = createReconcileActivities({ ozmap, temporal, ...deps });
    const outcomes: MarkedPageResult['outcomes'] = [];
    let afterPropertyId: string | undefined;
    do {
      const page: MarkedPageResult = await env.run(reconcileMarkedPage, {
        afterPropertyId,
        limit: 50,
        dryRun,
        ...(tenantId !== undefined && { tenantId }),
      });
      outcomes.push(...page.outcomes);
      afterPropertyId = page.next;
    } while (afterPropertyId !== undefined);
    return outcomes;
  };

  const outcomeOf = (outcomes: MarkedPageResult['outcomes'], propertyId: string) =>
    outcomes.find((o) => o.propertyId === propertyId)?.outcome;

  /** The planted property and its client are still there, the client as it was. */
  const kept = async (p: { propertyId: string; clientId?: string }) => {
    const property = await ozmap.getProperty(p.propertyId);
    assert.ok(property, `property ${p.propertyId} kept`);
    assert.equal(property.client?.id, p.clientId, `property ${p.propertyId} keeps its client`);
    if (p.clientId) assert.ok(await ozmap.getClient(p.clientId), `client ${p.clientId} kept`);
  };

  it('confirms a held reservation only when the implanted client is its own; a planted implanted one is suspect', async () => {
    const viabilityId = `R1-${randomUUID().slice(0, 6)}`;
    const code = `C-${viabilityId}`;
    const marker = externalIdFor(viabilityId);
    const own = await plant(viabilityId, { code, externalId: marker });
    const planted = [
      await plant(viabilityId, { code, externalId: marker, implanted: true }),
      await plant(viabilityId, { code: 'K-1', implanted: true }),
    ];
    const controlId = `R1C-${randomUUID().slice(0, 6)}`;
    const control = await plant(controlId, { code: `C-${controlId}`, externalId: externalIdFor(controlId) });
    assert.ok(await ozmap.setClientImplanted(control.clientId!));
    const runs = new Map<string, Run>([
      [
        viabilityId,
        { open: true, customerCode: code, status: 'RESERVED', reservation: { ...own, clientId: own.clientId! } },
      ],
      [
        controlId,
        {
          open: true,
          customerCode: `C-${controlId}`,
          status: 'RESERVED',
          reservation: { ...control, clientId: control.clientId! },
        },
      ],
    ]);
    const signals: Array<{ viabilityId: string; note?: string }> = [];
    const outcomes = await reconcile(temporalWith(runs, signals), false);
    for (const p of planted) assert.equal(outcomeOf(outcomes, p.propertyId), 'suspect', p.propertyId);
    assert.equal(outcomeOf(outcomes, own.propertyId), 'held');
    assert.equal(outcomeOf(outcomes, control.propertyId), 'implantedHeld', 'its own client implanted: confirmed');
    assert.deepEqual(
      signals,
      [{ viabilityId: controlId, note: RECONCILER_CONFIRM_NOTE }],
      'only the control confirmed',
    );
    for (const p of [own, ...planted]) await kept(p);
    assert.equal((await ozmap.getClient(own.clientId!))?.implanted, false, 'the held client is not implanted');
  });

  it('never releases a marked property whose client is not ours (no marker, another code) or that has none', async () => {
    const id = () => `R2-${randomUUID().slice(0, 6)}`;
    const [a, b, c, d] = [id(), id(), id(), id()];
    const notOurs = [
      await plant(a, { code: `C-${a}` }),
      await plant(b, { code: `C-${b}`, externalId: 'crm:42' }),
      await plant(c, null),
      // Its reservation ended with another customer's code: the client carries the marker but is not that one.
      await plant(d, { code: 'K-2', externalId: externalIdFor(d) }),
    ];
    const orphanId = id();
    const orphan = await plant(orphanId, { code: `C-${orphanId}`, externalId: externalIdFor(orphanId) });
    const runs = new Map<string, Run>([
      [d, { open: false, customerCode: `C-${d}` }],
      [orphanId, { open: false, customerCode: `C-${orphanId}` }],
    ]);
    const temporal = temporalWith(runs, []);

    const dry = await reconcile(temporal, true);
    for (const p of notOurs) assert.equal(outcomeOf(dry, p.propertyId), 'suspect', p.propertyId);
    assert.equal(outcomeOf(dry, orphan.propertyId), 'orphan');

    const real = await reconcile(temporal, false);
    for (const p of notOurs) {
      assert.equal(outcomeOf(real, p.propertyId), 'suspect', p.propertyId);
      await kept(p);
    }
    assert.equal(outcomeOf(real, orphan.propertyId), 'orphan');
    assert.equal(await ozmap.getProperty(orphan.propertyId), null, 'a true orphan is released');
    assert.equal(await ozmap.getClient(orphan.clientId!), null);
  });

  describe("per tenant: a tenant's run reads its own OZmap and judges only its own markers", () => {
    const B = 'tenant-b';
    let simB: Simulator;
    let ozmapB: OzmapClient;
    let inB: { url: string; boxId: string };
    let tenants: TenantOzmaps;
    before(async () => {
      simB = await startSimulator({ port: 0, apiKey: SIM_API_KEY, log: () => {} });
      ozmapB = new OzmapClient({ baseUrl: simB.url, apiKey: SIM_API_KEY, timeoutMs: 5000 });
      inB = { url: simB.url, boxId: (await ozmapB.findBoxesNear(CENTRE, 3000)).find((b) => !b.draft)!.id };
      // As the worker builds them (worker/tenants.ts): `default` is the environment's client, B's from the registry.
      tenants = new TenantOzmaps(
        (tenantId) => Promise.resolve(tenantId === B ? { version: 1, url: simB.url, apiKey: SIM_API_KEY } : undefined),
        (settings) => new OzmapClient({ baseUrl: settings.url, apiKey: settings.apiKey, timeoutMs: 5000 }),
        undefined,
        ozmap,
      );
    });
    after(async () => {
      await tenants?.close();
      await ozmapB?.close();
      await simB?.close();
    });

    it("B's orphan is released in B's OZmap by B's run; the default run leaves B's markers, B's run the default's", async () => {
      const v = `T1-${randomUUID().slice(0, 6)}`;
      const code = `C-${v}`;
      const markerB = externalIdFor(v, B);
      // The same viability id in both tenants: B's orphan in B's OZmap, and B's marker in the environment's too.
      const orphanB = await plant(v, { code, externalId: markerB }, { ...inB, marker: markerB });
      const bInDefault = await plant(v, { code, externalId: markerB }, { url: sim.url, boxId, marker: markerB });
      // The default tenant's orphan-looking row in B's OZmap, and B's reservation held open under B's workflow id.
      const w = `T1D-${randomUUID().slice(0, 6)}`;
      const defaultInB = await plant(w, { code: `C-${w}`, externalId: externalIdFor(w) }, inB);
      const h = `T1H-${randomUUID().slice(0, 6)}`;
      const markerH = externalIdFor(h, B);
      const heldB = await plant(h, { code: `C-${h}`, externalId: markerH }, { ...inB, marker: markerH });
      const runs = new Map<string, Run>([
        [
          scopedViabilityId(h, B),
          {
            open: true,
            customerCode: `C-${h}`,
            status: 'RESERVED',
            reservation: { ...heldB, clientId: heldB.clientId! },
          },
        ],
      ]);
      const temporal = temporalWith(runs, []);

      const byDefault = await reconcile(temporal, false, undefined, { tenants });
      assert.equal(outcomeOf(byDefault, bInDefault.propertyId), 'unmarked', "B's marker is not the default's");
      await kept(bInDefault);
      assert.ok(await ozmapB.getProperty(orphanB.propertyId), "the default run does not read B's OZmap");

      const byB = await reconcile(temporal, false, B, { tenants });
      assert.equal(outcomeOf(byB, orphanB.propertyId), 'orphan');
      assert.equal(byB.find((o) => o.propertyId === orphanB.propertyId)?.viabilityId, v);
      assert.equal(outcomeOf(byB, heldB.propertyId), 'held', "held by B's workflow, reservation-tenant-b/<id>");
      assert.equal(outcomeOf(byB, defaultInB.propertyId), undefined, "the default's marker is not listed for B");
      assert.equal(await ozmapB.getProperty(orphanB.propertyId), null, "B's orphan released in B's OZmap");
      assert.equal(await ozmapB.getClient(orphanB.clientId!), null);
      assert.ok(await ozmapB.getProperty(heldB.propertyId), 'the held one kept');
      assert.ok(await ozmapB.getProperty(defaultInB.propertyId), "the default's marker in B's OZmap kept");
      await kept(bInDefault);
    });

    it('a worker without the registry reconciles `default` alone; the tenant listing pages after it', async () => {
      await assert.rejects(reconcile(temporalWith(new Map(), []), true, B), (err: Error) =>
        /default tenant only/.test(err.message),
      );
      const stored = ['a', 'b', 'c'];
      const { reconcileTenantsPage } = createReconcileActivities({
        ozmap,
        enabledTenants: (afterId, limit) =>
          Promise.resolve(stored.filter((id) => afterId === undefined || id > afterId).slice(0, limit)),
      });
      assert.deepEqual(await reconcileTenantsPage({ limit: 2 }), { tenantIds: ['default', 'a', 'b'], next: 'b' });
      assert.deepEqual(await reconcileTenantsPage({ afterTenantId: 'b', limit: 2 }), { tenantIds: ['c'] });
      const alone = createReconcileActivities({ ozmap }).reconcileTenantsPage;
      assert.deepEqual(await alone({ limit: 2 }), { tenantIds: ['default'] });
    });
  });
});
