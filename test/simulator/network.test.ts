/** The seeded network: determinism and the properties the demo and the other test suites rely on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GAZETTEER } from '../../simulator/gazetteer.ts';
import { distanceMeters } from '../../simulator/geo.ts';
import { freePortsOf } from '../../simulator/model.ts';
import {
  DEFAULT_SEED,
  ISOLATED_BOX,
  NO_COVERAGE_POINT,
  generateNetwork,
  pristineNetwork,
} from '../../simulator/network.ts';

describe('seeded network', () => {
  const network = generateNetwork(DEFAULT_SEED);

  it('is deterministic: the same seed gives the same network, ids and dates included; another seed differs', () => {
    assert.deepEqual(generateNetwork(DEFAULT_SEED), network);
    assert.deepEqual(pristineNetwork(DEFAULT_SEED), network);
    const other = generateNetwork(DEFAULT_SEED + 1);
    assert.notDeepEqual(
      other.boxes.map((b) => b.id),
      network.boxes.map((b) => b.id),
    );
    assert.notDeepEqual(
      other.boxes.map((b) => b.coords),
      network.boxes.map((b) => b.coords),
    );
  });

  it('has a few hundred boxes 50-80 m apart along the gazetteer streets, with the expected mix', () => {
    const boxes = network.boxes;
    assert.ok(boxes.length >= 200 && boxes.length <= 400, `${boxes.length} boxes`);
    const share = (n: number) => n / boxes.length;
    assert.ok(Math.abs(share(boxes.filter((b) => b.draft).length) - 0.1) < 0.05, 'about 10 % "Em projeto"');
    const splittersOf = (id: string) => network.splitters.filter((s) => s.parent === id);
    const drops = (id: string) => splittersOf(id).filter((s) => s.isDrop);
    const full = boxes.filter(
      (b) => !b.draft && drops(b.id).length > 0 && drops(b.id).every((s) => freePortsOf(s).length === 0),
    );
    assert.ok(Math.abs(share(full.length) - 0.1) < 0.05, `about 10 % full (${full.length})`);
    assert.ok(
      network.splitters.some((s) => !s.isDrop && s.connectables.output.includes(null)),
      'network splitters with free outputs exist',
    );
    assert.ok(
      network.splitters.some((s) => s.ports.some((p) => p.blocked)),
      'some ports are blocked',
    );
    for (const box of boxes.filter((b) => b.name.startsWith('CTO-'))) {
      const own = drops(box.id);
      assert.ok(own.length >= 1 && own.length <= 2, box.name);
      assert.ok(
        own.every(
          (s) => [8, 16].includes(s.connectables.output.length) && s.ports.length === s.connectables.output.length,
        ),
      );
    }
    for (const street of GAZETTEER.filter((s) => s.coverage === 'dense')) {
      const along = boxes.filter((b) => b.address.startsWith(`${street.name},`));
      assert.ok(along.length >= 3, `${street.name} has boxes`);
      // Consecutive boxes: 50-80 m along the street, plus up to 18 m across it (alternate sidewalks).
      for (let i = 1; i < along.length; i++) {
        const gap = distanceMeters(along[i - 1] as (typeof along)[number], along[i] as (typeof along)[number]);
        assert.ok(gap >= 45 && gap <= 85, `${street.name}: ${gap.toFixed(1)} m between consecutive boxes`);
      }
    }
  });

  it('keeps every occupied drop port consistent with exactly one property connection', () => {
    const byFiber = new Map(
      network.properties.flatMap((p) => p.connections.map((c) => [c.fiber, { property: p, connection: c }] as const)),
    );
    let occupied = 0;
    for (const splitter of network.splitters.filter((s) => s.isDrop)) {
      splitter.connectables.output.forEach((fiber, i) => {
        if (fiber === null) return;
        occupied++;
        const owner = byFiber.get(fiber);
        assert.ok(owner, `fiber on port ${i + 1} of ${splitter.id} belongs to a property`);
        assert.deepEqual([owner.connection.id, owner.connection.port], [splitter.id, i + 1]);
        assert.equal(splitter.ports[i]?.blocked, false);
      });
    }
    assert.equal(occupied, network.properties.length);
    const ids = [network.boxes, network.splitters, network.properties, network.clients].flat().map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    assert.ok(ids.every((id) => /^[0-9a-f]{24}$/.test(id)));
    assert.ok(network.properties.every((p) => p.client !== null && network.clients.some((c) => c.id === p.client)));
  });

  it(`has ${ISOLATED_BOX.name}, over 400 m from any other box, with exactly 3 free ports`, () => {
    const isolated = network.boxes.find((b) => b.name === ISOLATED_BOX.name);
    assert.ok(isolated);
    assert.equal(isolated.draft, false);
    const nearest = Math.min(...network.boxes.filter((b) => b !== isolated).map((b) => distanceMeters(b, isolated)));
    assert.ok(nearest > 400, `nearest other box at ${nearest.toFixed(0)} m`);
    const free = network.splitters.filter((s) => s.parent === isolated.id && s.isDrop).flatMap((s) => freePortsOf(s));
    assert.deepEqual(free, [...ISOLATED_BOX.freePorts]);
  });

  it('has no box within 1 km of the no-coverage point, for every seed', () => {
    for (const seed of [DEFAULT_SEED, 1, 99]) {
      const { boxes } = seed === DEFAULT_SEED ? network : generateNetwork(seed);
      assert.ok(boxes.every((b) => distanceMeters(b, NO_COVERAGE_POINT) > 1000));
    }
  });
});
