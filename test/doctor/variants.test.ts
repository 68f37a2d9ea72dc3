/**
 * Each simulator variant makes exactly the doctor line of its fact fail, naming it, and the other lines pass; with
 * OZMAP_FIND_BY=client_code a retried reservation under `external-id-ignored` finds its property by client code.
 * The doctor's modules are called directly (no Temporal needed), against real simulators on loopback; so is the
 * worker's doctor activity for two tenants on two simulators, one with a wrong key.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { conformanceChecks } from '../../doctor/conformance.ts';
import { writeTest } from '../../doctor/write-test.ts';
import type { Check } from '../../doctor/checks.ts';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { NominatimGeocoder } from '../../activities/geocoder/nominatim.ts';
import { createActivities, type ReservePortInput } from '../../activities/index.ts';
import { TenantOzmaps, type TenantOzmapSettings } from '../../activities/tenant-ozmaps.ts';
import { loadConfig } from '../../config/env.ts';
import { createDoctorActivities } from '../../doctor/worker-activities.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { ISOLATED_BOX } from '../../simulator/network.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { readEnv } from '../../simulator/main.ts';
import type { Variant } from '../../simulator/variants.ts';
import { SIM_API_KEY } from '../support/world.ts';

async function doctorLines(variants: Variant[]): Promise<{ checks: Check[]; sameState: boolean }> {
  const sim = await startSimulator({ port: 0, apiKey: SIM_API_KEY, variants });
  const ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY, timeoutMs: 5000 });
  try {
    const before = JSON.stringify(sim.store.snapshot());
    const box = sim.store.boxNamed(ISOLATED_BOX.name)!;
    const checks = [
      ...(await conformanceChecks(ozmap, { radiusMeters: 250, findBy: 'external_id' })),
      ...(await writeTest(ozmap, { boxId: box.id })),
    ];
    return { checks, sameState: JSON.stringify(sim.store.snapshot()) === before };
  } finally {
    await ozmap.close();
    await sim.close();
  }
}

const failed = (checks: Check[]) => checks.filter((c) => c.status === 'fail');

describe('simulator variants against the doctor', () => {
  it('the default simulator passes every conformance and write line', async () => {
    const { checks, sameState } = await doctorLines([]);
    assert.deepEqual(failed(checks), []);
    assert.ok(checks.length >= 14, `only ${checks.length} lines`);
    assert.ok(sameState, 'the write test left the state as it was');
  });

  const cases: Array<[Variant, string, RegExp, string]> = [
    ['near-ignores-radius', 'conformance.near-radius', /lie outside it/, 'OZmap fact O5'],
    ['external-id-ignored', 'conformance.external-id', /the filter is ignored/, 'OZmap facts O15, O22'],
    ['occupied-port-body-v2', 'write.occupied-refused', /refused with 409.*no string `message`/, 'OZmap fact O13'],
    ['delete-keeps-client', 'write.release-client', /stayed after its property was deleted/, 'OZmap fact O18'],
  ];
  for (const [variant, line, finding, reference] of cases) {
    it(`${variant} fails exactly ${line}`, async () => {
      const { checks, sameState } = await doctorLines([variant]);
      const failures = failed(checks);
      assert.deepEqual(
        failures.map((c) => c.id),
        [line],
        JSON.stringify(failures, null, 2),
      );
      assert.match(failures[0]!.finding, finding);
      assert.equal(failures[0]!.reference, reference);
      assert.ok(failures[0]!.fix);
      // Even a variant that leaves a client behind is cleaned up.
      assert.ok(sameState, 'the write test left the state as it was');
    });
  }

  it('SIM_VARIANTS is read from the environment, and a wrong name is named', () => {
    assert.deepEqual(readEnv({ SIM_VARIANTS: 'near-ignores-radius, delete-keeps-client' }).SIM_VARIANTS, [
      'near-ignores-radius',
      'delete-keeps-client',
    ]);
    assert.throws(() => readEnv({ SIM_VARIANTS: 'near-ignores-radius,teleport' }), /SIM_VARIANTS.*must list variants/s);
  });
});

describe('OZMAP_FIND_BY=client_code under external-id-ignored', () => {
  let sim: Simulator;
  let ozmap: OzmapClient;
  let geocoder: NominatimGeocoder;
  before(async () => {
    sim = await startSimulator({ port: 0, apiKey: SIM_API_KEY, variants: ['external-id-ignored'] });
    ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY, findBy: 'client_code' });
    geocoder = new NominatimGeocoder({ url: sim.url, userAgent: 'tests', minIntervalMs: 0 });
  });
  after(async () => {
    await ozmap.close();
    await geocoder.close();
    await sim.close();
  });

  it('a retried reservePort finds the existing property by client code: one client only', async () => {
    const activities = createActivities({ ozmap, geocoder });
    const env = new MockActivityEnvironment();
    const box = sim.store.boxNamed(ISOLATED_BOX.name)!;
    const [candidate] = (await activities.surveyBoxes({ lat: box.lat, lng: box.lng, radiusMeters: 50 })).candidates;
    assert.ok(candidate, 'the isolated box is a candidate');
    const splitter = candidate.splitters[0]!;
    // Another viability of the same customer, already reserved: the look-up must not take it for this one.
    const input = (viabilityId: string, port: number): ReservePortInput => ({
      viabilityId,
      customer: { code: 'C-FINDBY', name: 'Cliente Teste' },
      address: 'Rua Silva Jardim, 1000, Florianópolis - SC',
      coordinates: { lat: box.lat, lng: box.lng },
      choice: {
        boxId: candidate.boxId,
        boxName: candidate.boxName,
        splitterId: splitter.splitterId,
        splitterName: splitter.splitterName,
        port,
        projectId: candidate.projectId,
      },
      firstRound: false,
      radiusMeters: 50,
    });
    const reserve = (i: ReservePortInput) =>
      env.run<[ReservePortInput], Awaited<ReturnType<typeof activities.reservePort>>, typeof activities.reservePort>(
        activities.reservePort,
        i,
      );
    const other = await reserve(input('V-FINDBY-0', splitter.freePorts[1]!));
    assert.equal(other.outcome, 'reserved');
    const first = await reserve(input('V-FINDBY-1', splitter.freePorts[0]!));
    const callsBefore = ozmap.calls;
    const retry = await reserve(input('V-FINDBY-1', splitter.freePorts[0]!));
    assert.equal(first.outcome, 'reserved');
    assert.deepEqual(retry, first);
    assert.equal(ozmap.calls - callsBefore, 1, 'the retry is one look-up by client code, no create');
    const marked = sim.store.snapshot().properties.filter((p) => p.external_id === externalIdFor('V-FINDBY-1'));
    assert.equal(marked.length, 1, 'one property (and so one client) for the viability');
    assert.equal(sim.store.snapshot().clients.filter((c) => c.code === 'C-FINDBY').length, 2);
  });
});

describe("the worker's doctor activity for a tenant (GET /v1/doctor with a tenant's key)", () => {
  it("checks each tenant's OZmap as the worker resolves it: the wrong key is named, the other passes", async () => {
    const [simA, simB] = await Promise.all([
      startSimulator({ port: 0, apiKey: SIM_API_KEY }),
      startSimulator({ port: 0, apiKey: SIM_API_KEY }),
    ]);
    const wrong = 'tenant-b-wrong-key-9c2f71';
    const registry: Record<string, TenantOzmapSettings> = {
      'tenant-a': { version: 1, url: simA.url, apiKey: SIM_API_KEY },
      'tenant-b': { version: 1, url: simB.url, apiKey: wrong },
    };
    const config = loadConfig({ OZMAP_URL: simA.url, GEOCODER_URL: simA.url });
    const tenants = new TenantOzmaps(
      (id) => Promise.resolve(registry[id]),
      (settings) => new OzmapClient({ baseUrl: settings.url, apiKey: settings.apiKey, timeoutMs: 5000 }),
    );
    const geocoder = new NominatimGeocoder({ url: simA.url, userAgent: 'doctor-test', minIntervalMs: 0 });
    const ozmap = new OzmapClient({ baseUrl: simA.url, apiKey: SIM_API_KEY, timeoutMs: 5000 });
    const doctor = createDoctorActivities({ ozmap, geocoder }, config, tenants);
    const upstreamChecks = (options: Parameters<typeof doctor.upstreamChecks>[0]) => doctor.upstreamChecks(options);
    try {
      const a = await upstreamChecks({ conformance: false, tenantId: 'tenant-a' });
      assert.deepEqual(failed(a), [], JSON.stringify(a, null, 2));
      assert.equal(a.find((c) => c.id === 'ozmap.key')?.title, 'OZmap key (tenant tenant-a)');
      const b = await upstreamChecks({ conformance: true, tenantId: 'tenant-b' });
      assert.deepEqual(
        failed(b).map((c) => [c.id, c.title]),
        [['ozmap.key', 'OZmap key (tenant tenant-b)']],
      );
      assert.match(failed(b)[0]!.fix ?? '', /ozres tenants update tenant-b --ozmap-key/);
      assert.ok(!JSON.stringify(b).includes(wrong));
      const unknown = await upstreamChecks({ conformance: false, tenantId: 'nobody' });
      assert.deepEqual(
        failed(unknown).map((c) => [c.id, c.finding]),
        [['ozmap.reachable', "this worker's registry has no such tenant: OZmap was not checked"]],
      );
    } finally {
      await Promise.all([tenants.close(), ozmap.close(), geocoder.close(), simA.close(), simB.close()]);
    }
  });
});
