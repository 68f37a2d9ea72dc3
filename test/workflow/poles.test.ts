/**
 * Feasibility along the poles (docs/poles.md), end to end on the time-skipping server: a network built through the
 * official @ozmap/ozmap-sdk against the simulator, where the box nearest by straight line has no pole path (a river
 * between) and a farther one does, and a third is reachable only by a drop longer than its project allows. Radius
 * mode reserves the nearest; pole mode the reachable one, with `drop_poles` on the simulator's property and the same
 * route in the state; the too-long one is refused as `drop-too-long`.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { distanceMeters } from '../../activities/geo.ts';
import { WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { cancelReservation, changeBox, getState } from '../../contract/messages.ts';
import type { Coordinates, ReservationInput, ReservationState } from '../../contract/schemas.ts';
import type { PropertyView } from '../../simulator/model.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createTimeSkippingEnv } from '../support/temporal.ts';
import { SIM_API_KEY, eventually, startWorld, workflowBundle, type World } from '../support/world.ts';
import { OZMapSDK, type OzmapSdkClient as Sdk } from '../support/ozmap-sdk.ts';

/** Far from the seeded town (4 km south-east): a radius of 250 m sees only what the test builds. */
const CUSTOMER: Coordinates = { lat: -27.63, lng: -48.49 };
const METRES_PER_DEGREE = 111_195;
/** The point `north` and `east` metres from the customer. */
const offset = (north: number, east: number): Coordinates => ({
  lat: CUSTOMER.lat + north / METRES_PER_DEGREE,
  lng: CUSTOMER.lng + east / (METRES_PER_DEGREE * Math.cos((CUSTOMER.lat * Math.PI) / 180)),
});
const coordsOf = (p: Coordinates): [number, number] => [p.lng, p.lat];
const idOf = (record: unknown) => (record as { id: string }).id;

interface Network {
  /** 60 m east, across the river: its poles never meet the customer's. */
  across: string;
  /** 180 m north along five spans of 36 m, in a project allowing 300 m. */
  reachable: string;
  /** 120 m south along the poles, in a project allowing 100 m. */
  tooLong: string;
  /** West along six spans from the customer's pole: reachable, a longer drop than `reachable`'s. */
  west: string;
  westRoute: string[];
  /** The poles a drop to `reachable` hangs on, the customer's end first. */
  route: string[];
}

/** The network, made with the SDK's create calls as an OZmap user's script would. */
async function buildNetwork(client: Sdk, world: World): Promise<Network> {
  const seeded = world.store.snapshot();
  const cableType = seeded.projects[0]!.drop.type.cableType;
  const boxType = seeded.boxes[0]!.boxType;
  const splitterType = seeded.splitters.find((s) => s.isDrop)!.splitterType;
  const area = (lng: number, lat: number) => ({
    type: 'Polygon' as const,
    coordinates: [
      [
        [lng - 0.01, lat - 0.01],
        [lng + 0.01, lat - 0.01],
        [lng + 0.01, lat + 0.01],
        [lng - 0.01, lat + 0.01],
        [lng - 0.01, lat - 0.01],
      ],
    ],
  });
  const project = async (name: string, maxSize: number) =>
    idOf(
      await client.project.create({
        name,
        drop: { type: { cableType }, maxSize },
        ...CUSTOMER,
        area: area(CUSTOMER.lng, CUSTOMER.lat),
      } as Parameters<Sdk['project']['create']>[0]),
    );
  const wide = await project('Rede de teste - drops de 300 m', 300);
  const short = await project('Rede de teste - drops de 100 m', 100);
  const poleType = idOf(
    await client.poleType.create({
      name: 'Poste de concreto (teste)',
      description: 'Poste de concreto',
      viabilityAllowed: true,
    } as Parameters<Sdk['poleType']['create']>[0]),
  );
  /** A line of poles, each adjacent to the one before (listed on the later pole only: either side counts). */
  const line = async (points: Coordinates[]) => {
    const ids: string[] = [];
    for (const point of points)
      ids.push(
        idOf(
          await client.pole.create({
            coords: coordsOf(point),
            poleType,
            ...(ids.length > 0 ? { adjacents: [ids.at(-1)!] } : {}),
          }),
        ),
      );
    return ids;
  };
  const boxOn = async (name: string, projectId: string, pole: string, where: Coordinates) => {
    const box = idOf(
      await client.box.create({
        project: projectId,
        pole,
        name,
        boxType,
        hierarchyLevel: 3,
        coords: coordsOf(where),
        implanted: true,
      }),
    );
    await client.splitter.create({ parent: box, splitterType, isDrop: true, implanted: true });
    return box;
  };
  // The customer's side: a pole 12 m north, the line north from it, and a line south from it.
  const north = await line([0, 1, 2, 3, 4, 5].map((i) => offset(12 + i * 36, 0)));
  const south = await line([1, 2, 3].map((i) => offset(12 - i * 36, 0)));
  await client.pole.updateById(south[0]!, { adjacents: [north[0]!, south[1]!] });
  const west = await line([1, 2, 3, 4, 5, 6].map((i) => offset(12, -i * 36)));
  await client.pole.updateById(west[0]!, { adjacents: [north[0]!, west[1]!] });
  // Across the river: two poles of their own, adjacent to each other only.
  const east = await line([offset(0, 60), offset(0, 96)]);
  return {
    across: await boxOn('CTO-RIO', wide, east[0]!, offset(0, 60)),
    reachable: await boxOn('CTO-NORTE', wide, north.at(-1)!, offset(12 + 5 * 36, 0)),
    tooLong: await boxOn('CTO-SUL', short, south.at(-1)!, offset(12 - 3 * 36, 0)),
    west: await boxOn('CTO-OESTE', wide, west.at(-1)!, offset(12, -6 * 36)),
    route: north,
    westRoute: [north[0]!, ...west],
  };
}

describe('feasibility along the poles (time-skipping, a network built with the official SDK)', () => {
  let env: TestWorkflowEnvironment;
  let world: World;
  let network: Network;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];

  before(async () => {
    [env, world] = await Promise.all([createTimeSkippingEnv(), startWorld()]);
    network = await buildNetwork(new OZMapSDK(world.simUrl, { apiKey: SIM_API_KEY }), world);
    const bundle = await workflowBundle();
    for (const mode of ['radius', 'poles'] as const) {
      const worker = await createReservationWorker({
        connection: env.nativeConnection,
        namespace: 'default',
        taskQueue: `poles-tests-${mode}`,
        clients: world.clients,
        workflowBundle: bundle,
        viability: { mode, fallbackMaxDropMeters: 300 },
      });
      workers.push(worker);
      running.push(worker.run());
    }
  });
  after(async () => {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
    await world?.close();
    await env?.teardown();
  });

  /** A reservation at the customer's point in `mode`, once RESERVED (or ended): its state and its handle. */
  async function reserve(mode: 'radius' | 'poles', selection: 'auto' | 'manual' = 'auto') {
    const viabilityId = `PL-${mode}-${randomUUID().slice(0, 8)}`;
    const input: ReservationInput = {
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria dos Postes' },
      coordinates: CUSTOMER,
      radiusMeters: 250,
      selection,
    };
    const handle = await env.client.workflow.start(WORKFLOW_TYPE, {
      taskQueue: `poles-tests-${mode}`,
      workflowId: workflowIdFor(viabilityId),
      args: [input],
    });
    const state = await eventually(async () => {
      const s = await handle.query(getState);
      assert.equal(s.status, selection === 'auto' ? 'RESERVED' : 'AWAITING_SELECTION', s.notice ?? s.outcome?.reason);
      return s;
    });
    return { state, handle };
  }

  const propertyOf = (state: ReservationState) =>
    world.store.get('properties', state.reservation!.propertyId) as unknown as PropertyView & {
      drop_poles?: string[];
    };

  it('radius mode reserves the nearest box by straight line, across the river, with no drop_poles', async () => {
    const { state, handle } = await reserve('radius');
    assert.equal(state.reservation?.boxId, network.across);
    assert.equal(state.viabilityMode, undefined);
    assert.equal(state.reservation?.drop, undefined);
    assert.equal(propertyOf(state).drop_poles, undefined, 'OZmap draws the drop straight');
    await handle.signal(cancelReservation, {});
    assert.equal(((await handle.result()) as ReservationState).status, 'CANCELLED');
  });

  it('pole mode reserves the box a drop reaches, with drop_poles in OZmap and the same route in the state', async () => {
    const { state, handle } = await reserve('poles');
    assert.equal(state.viabilityMode, 'poles');
    assert.equal(state.reservation?.boxId, network.reachable);
    const drop = state.reservation?.drop;
    assert.ok(drop, 'the reservation carries its drop');
    assert.deepEqual(drop.poles, network.route);
    // 12 m to the first pole, five spans of 36 m, the box on the last pole.
    assert.ok(Math.abs(drop.lengthMeters - 192) < 1, `drop of ${drop.lengthMeters} m`);
    assert.equal(drop.route.length, network.route.length + 2, 'customer, each pole, box');
    assert.ok(distanceMeters(drop.route[0]!, CUSTOMER) < 0.5);
    const property = propertyOf(state);
    assert.deepEqual(property.drop_poles, network.route, "the simulator's property hangs on the same poles");
    assert.equal((property as { pole?: string }).pole, network.route[0]);

    // The box across the river and the one whose project allows 100 m are listed, with why, to a person choosing (a
    // held reservation keeps only the boxes that could take the customer).
    const choosing = await reserve('poles', 'manual');
    await choosing.handle.signal(cancelReservation, {});
    assert.deepEqual(
      choosing.state.candidates.map((c) => c.boxId),
      [network.reachable, network.west],
    );
    const why = new Map(choosing.state.unavailableBoxes?.map((b) => [b.boxId, b.reason]));
    assert.equal(why.get(network.across), 'no-pole-path');
    assert.equal(why.get(network.tooLong), 'drop-too-long');
    assert.deepEqual(
      state.candidates.map((c) => c.boxId),
      [network.reachable, network.west],
      'the boxes drops reach within their projects, the shortest drop first',
    );

    // A move recomputes the drop for the new box and sends it to OZmap with the move.
    const moved = await handle.executeUpdate(changeBox, { args: [{ boxId: network.west, reason: 'teste' }] });
    assert.equal(moved.reservation?.boxId, network.west);
    assert.deepEqual(moved.reservation?.drop?.poles, network.westRoute);
    assert.ok(
      Math.abs(moved.reservation.drop.lengthMeters - 228) < 1,
      `drop of ${moved.reservation?.drop?.lengthMeters}`,
    );
    assert.deepEqual(propertyOf(moved as ReservationState).drop_poles, network.westRoute);
    await handle.signal(cancelReservation, {});
    assert.equal(((await handle.result()) as ReservationState).status, 'CANCELLED');
  });
});
