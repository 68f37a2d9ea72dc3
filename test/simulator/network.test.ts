/** The seeded network: determinism and the properties the demo and the other test suites rely on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GAZETTEER } from '../../simulator/gazetteer.ts';
import { type LatLng, distanceMeters } from '../../simulator/geo.ts';
import { type BoxRecord, type NetworkState, type PoleRecord, freePortsOf } from '../../simulator/model.ts';
import {
  DEFAULT_SEED,
  ISOLATED_BOX,
  MAX_POLE_SPACING,
  NO_COVERAGE_POINT,
  RIVER,
  RIVER_DEMO_POINT,
  crossesRiver,
  generateNetwork,
  pristineNetwork,
} from '../../simulator/network.ts';

/** Boxes that can take a client: not "Em projeto", a free port on a drop splitter. */
const withFreePorts = (network: NetworkState): BoxRecord[] =>
  network.boxes.filter(
    (b) => !b.draft && network.splitters.some((s) => s.parent === b.id && s.isDrop && freePortsOf(s).length > 0),
  );

/** Every pole's neighbours, an adjacency listed on either pole counting both ways (as the service reads them). */
function neighbours(network: NetworkState): Map<string, Set<string>> {
  const graph = new Map(network.poles.map((p) => [p.id, new Set<string>()]));
  for (const pole of network.poles)
    for (const other of pole.adjacents) {
      graph.get(pole.id)?.add(other);
      graph.get(other)?.add(pole.id);
    }
  return graph;
}

/** Shortest distances along the poles from one pole (Dijkstra), leaving out the adjacencies `skip` refuses. */
function alongThePoles(
  network: NetworkState,
  from: string,
  skip: (a: PoleRecord, b: PoleRecord) => boolean = () => false,
): Map<string, number> {
  const poles = new Map(network.poles.map((p) => [p.id, p]));
  const graph = neighbours(network);
  const distance = new Map([[from, 0]]);
  const done = new Set<string>();
  for (;;) {
    let current: string | undefined;
    for (const [id, d] of distance)
      if (!done.has(id) && (current === undefined || d < (distance.get(current) ?? 0))) current = id;
    if (current === undefined) return distance;
    done.add(current);
    const here = poles.get(current) as PoleRecord;
    for (const next of graph.get(current) ?? []) {
      const there = poles.get(next) as PoleRecord;
      if (skip(here, there)) continue;
      const d = (distance.get(current) ?? 0) + distanceMeters(here, there);
      if (d < (distance.get(next) ?? Infinity)) distance.set(next, d);
    }
  }
}

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

  it('hangs every box on a pole of its own position, in pole lines along the streets, with crossings joined', () => {
    const poles = new Map(network.poles.map((p) => [p.id, p]));
    assert.ok(network.poles.length >= 300 && network.poles.length <= 3000, `${network.poles.length} poles`);
    for (const box of network.boxes) {
      const pole = poles.get(box.pole);
      assert.ok(pole, `${box.name} hangs on pole ${box.pole}`);
      assert.deepEqual(pole.coords, box.coords, `${box.name} stands at its pole`);
    }
    assert.equal(new Set(network.boxes.map((b) => b.pole)).size, network.boxes.length, 'one box per pole');
    const [project] = network.projects;
    assert.ok(project && network.projects.length === 1);
    assert.equal(project.drop.maxSize, 300);
    assert.ok(
      network.boxes.every((b) => b.project === project.id) && network.poles.every((p) => p.project === project.id),
    );

    // The seeded town lists every adjacency on both poles; none to itself, none to a missing pole.
    for (const pole of network.poles) {
      for (const other of pole.adjacents) {
        assert.notEqual(other, pole.id);
        assert.ok(poles.get(other)?.adjacents.includes(pole.id), `${pole.name} ↔ ${other} on both poles`);
        const span = distanceMeters(pole, poles.get(other) as PoleRecord);
        assert.ok(span <= MAX_POLE_SPACING + 5, `${pole.name}: ${span.toFixed(1)} m to the next pole`);
      }
      assert.equal(new Set(pole.adjacents).size, pole.adjacents.length);
    }
    // A street's poles form one line, and crossing streets meet: the centre is one connected network.
    const reach = alongThePoles(network, network.boxes.find((b) => b.address.startsWith('Rua Felipe Schmidt'))!.pole);
    for (const street of [
      'Rua Conselheiro Mafra',
      'Rua Saldanha Marinho',
      'Avenida Hercílio Luz',
      'Avenida Rio Branco',
    ]) {
      const box = network.boxes.find((b) => b.address.startsWith(`${street},`));
      assert.ok(box && reach.has(box.pole), `${street} is joined to Rua Felipe Schmidt along the poles`);
    }

    const types = new Map(network.poleTypes.map((t) => [t.id, t]));
    assert.deepEqual(
      network.poleTypes.map((t) => t.viabilityAllowed),
      [true, false],
    );
    const notForFeasibility = network.poles.filter((p) => types.get(p.poleType)?.viabilityAllowed === false);
    assert.ok(notForFeasibility.length >= 5 && notForFeasibility.length < network.poles.length / 10);
    const boxPoles = new Set(network.boxes.map((b) => b.pole));
    assert.ok(
      notForFeasibility.every((p) => !boxPoles.has(p.id)),
      'every box hangs on a pole feasibility may use',
    );
  });

  it(`has the ${RIVER.name} with pole lines on both banks and one adjacency across it, on ${RIVER.bridge}`, () => {
    for (const seed of [DEFAULT_SEED, 1, 99]) {
      const { poles } = seed === DEFAULT_SEED ? network : generateNetwork(seed);
      const byId = new Map(poles.map((p) => [p.id, p]));
      const across = poles.flatMap((p) =>
        p.adjacents
          .filter((other) => p.id < other && crossesRiver(p, byId.get(other) as PoleRecord))
          .map((other) => [p, byId.get(other) as PoleRecord]),
      );
      assert.equal(across.length, 1, `seed ${seed}: one bridge`);
      assert.ok(across[0]?.every((p) => p.address?.startsWith(RIVER.bridge)));
      const banks = poles.filter((p) => p.address?.startsWith(RIVER.avenue));
      const west = banks.filter((p) => crossesRiver(p, { lat: p.lat, lng: p.lng + 0.001 }));
      assert.ok(west.length >= 10 && banks.length - west.length >= 10, `seed ${seed}: a pole line on each bank`);
    }
  });

  it('has the river demo point: the nearest free box is across the river, a farther one on this bank is in reach', () => {
    const types = new Map(network.poleTypes.map((t) => [t.id, t]));
    const maxDrop = network.projects[0]?.drop.maxSize ?? 0;
    const [first] = network.poles
      .filter((p) => p.usable && types.get(p.poleType)?.viabilityAllowed)
      .map((pole) => ({ pole, distance: distanceMeters(RIVER_DEMO_POINT, pole) }))
      .sort((a, b) => a.distance - b.distance);
    assert.ok(first && first.distance <= 100, 'a usable pole within 100 m');
    assert.equal(first.pole.name, 'P_0144');
    assert.equal(crossesRiver(RIVER_DEMO_POINT, first.pole), false, 'on this bank');
    const along = alongThePoles(network, first.pole.id);
    const drop = (box: BoxRecord) => first.distance + (along.get(box.pole) ?? Infinity);
    const byDistance = withFreePorts(network)
      .map((box) => ({ box, distance: distanceMeters(RIVER_DEMO_POINT, box as LatLng) }))
      .sort((a, b) => a.distance - b.distance);

    const nearest = byDistance[0];
    assert.ok(nearest);
    assert.equal(nearest.box.name, 'CTO-0067');
    assert.equal(crossesRiver(RIVER_DEMO_POINT, nearest.box), true, 'across the river');
    assert.ok(drop(nearest.box) > maxDrop, `its drop would be ${drop(nearest.box).toFixed(0)} m`);
    const withoutBridge = alongThePoles(network, first.pole.id, (a, b) => crossesRiver(a, b));
    assert.equal(withoutBridge.has(nearest.box.pole), false, 'no way round the river but the bridge');

    const reachable = byDistance.find(({ box }) => drop(box) <= maxDrop);
    assert.ok(reachable);
    assert.equal(reachable.box.name, 'CTO-0063');
    assert.equal(crossesRiver(RIVER_DEMO_POINT, reachable.box), false, 'on this bank');
    assert.ok(reachable.distance > nearest.distance + 20, 'farther by straight line');
  });

  it('has no box within 1 km of the no-coverage point, for every seed', () => {
    for (const seed of [DEFAULT_SEED, 1, 99]) {
      const { boxes } = seed === DEFAULT_SEED ? network : generateNetwork(seed);
      assert.ok(boxes.every((b) => distanceMeters(b, NO_COVERAGE_POINT) > 1000));
    }
  });
});
