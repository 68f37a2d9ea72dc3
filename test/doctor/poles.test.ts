/**
 * The doctor's lines for pole mode (docs/poles.md; OZmap facts O27-O30), against real simulators on loopback: the
 * seeded town passes each, a place without poles and a project without a maximum drop are named with their fix, and
 * the write test's drop_poles reads back.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import type { Check } from '../../doctor/checks.ts';
import { poleChecks } from '../../doctor/pole-checks.ts';
import { writeTest } from '../../doctor/write-test.ts';
import { NO_COVERAGE_POINT, RIVER_DEMO_POINT } from '../../simulator/network.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { SIM_API_KEY } from '../support/world.ts';

const line = (checks: Check[], id: string) => {
  const found = checks.find((c) => c.id === id);
  assert.ok(found, `no ${id} line in ${JSON.stringify(checks.map((c) => c.id))}`);
  return found;
};

describe("the doctor's pole-mode lines", () => {
  let sim: Simulator;
  let ozmap: OzmapClient;
  before(async () => {
    sim = await startSimulator({ port: 0, apiKey: SIM_API_KEY, log: () => {} });
    ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY, timeoutMs: 5000 });
  });
  after(async () => {
    await ozmap?.close();
    await sim?.close();
  });

  it('the seeded town: poles with adjacents near the river, pole types, the project’s 300 m', async () => {
    const project = sim.store.snapshot().projects[0]!.id;
    const checks = await poleChecks(ozmap, RIVER_DEMO_POINT, project, 250);
    assert.deepEqual(
      checks.map((c) => [c.id, c.status]),
      [
        ['conformance.poles-near', 'pass'],
        ['conformance.pole-types', 'pass'],
        ['conformance.project-drop', 'pass'],
      ],
    );
    assert.match(line(checks, 'conformance.poles-near').finding, /\d+ pole\(s\) within 100 m, \d+ with adjacents/);
    assert.match(line(checks, 'conformance.pole-types').finding, /1 of 2 pole type\(s\) allow viability/);
    assert.match(line(checks, 'conformance.project-drop').finding, /drop\.maxSize 300 m/);
    assert.ok(checks.every((c) => c.reference?.startsWith('OZmap fact O2')));
  });

  it('no pole near the point, and a project without a maximum drop: named, with the fix', async () => {
    const project = sim.store.snapshot().projects[0]!;
    const saved = project.drop.maxSize;
    // The store's live record (snapshot() hands them out as they are): as if OZmap's project set no maximum.
    (project.drop as { maxSize?: number }).maxSize = undefined;
    try {
      const checks = await poleChecks(ozmap, NO_COVERAGE_POINT, project.id, 250);
      const near = line(checks, 'conformance.poles-near');
      assert.equal(near.status, 'warn');
      assert.match(near.finding, /no pole within 100 m/);
      const drop = line(checks, 'conformance.project-drop');
      assert.equal(drop.status, 'warn');
      assert.match(drop.finding, /sets no drop\.maxSize: drops are held to POLE_MAX_DROP_METERS \(250 m\)/);
    } finally {
      project.drop.maxSize = saved;
    }
  });

  it("the write test sends the box's pole as drop_poles and reads it back, leaving nothing behind", async () => {
    const before = JSON.stringify(sim.store.snapshot().properties);
    const box = sim.store.snapshot().boxes.find((b) => !b.draft && b.name === 'CTO-0063')!;
    const checks = await writeTest(ozmap, { boxId: box.id, dropPoles: true });
    const drop = line(checks, 'write.drop-poles');
    assert.equal(drop.status, 'pass', drop.finding);
    assert.match(drop.finding, new RegExp(`drop_poles \\[${box.pole}\\] as sent`));
    assert.deepEqual(
      checks.filter((c) => c.status === 'fail'),
      [],
    );
    assert.equal(JSON.stringify(sim.store.snapshot().properties), before, 'the write test removed what it made');
  });
});
