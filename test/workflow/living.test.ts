/**
 * A living reservation on the dev server (real simulator): changeBox moves the same OZmap property and client to
 * another port and frees the old one; a port taken meanwhile refuses the move and changes nothing; extendHold moves
 * the hold's end up to RESERVATION_MAX_HOLD_DAYS; a confirm sent during a move is applied after it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { createActivities, type MovePortInput } from '../../activities/index.ts';
import { ChangeRefusedError } from '../../client/errors.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { DAY_MS } from '../../contract/defaults.ts';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import type { PortChoice, ReservationState } from '../../contract/schemas.ts';
import { BoxIdKey, ReservationExpiresAtKey } from '../../contract/search-attributes.ts';
import { createReservationWorker } from '../../worker/worker.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import {
  doubleBookedPorts,
  propertiesOf,
  reservablePoints,
  startWorld,
  workflowBundle,
  type World,
} from '../support/world.ts';

const TASK_QUEUE = 'living-tests';

describe('a living reservation: changeBox and extendHold (dev server)', () => {
  let dev: DevServerEnv;
  let world: World;
  let worker: Worker;
  let running: Promise<void>;
  let reservations: ReservationsClient;
  let points: Awaited<ReturnType<typeof reservablePoints>>;
  /** Runs inside movePort before the real PATCH: lets a test take the target meanwhile, or hold the move open. */
  let beforeMove: ((input: MovePortInput) => Promise<void>) | undefined;

  before(async () => {
    [dev, world] = await Promise.all([createDevServerEnv(), startWorld()]);
    const real = createActivities(world.clients);
    worker = await createReservationWorker({
      connection: dev.env.nativeConnection,
      namespace: dev.namespace,
      taskQueue: TASK_QUEUE,
      clients: world.clients,
      workflowBundle: await workflowBundle(),
      overrides: {
        activities: {
          ...real,
          movePort: async (input: MovePortInput) => {
            await beforeMove?.(input);
            return real.movePort(input);
          },
        },
      },
    });
    running = worker.run();
    reservations = new ReservationsClient(dev.env.client, TASK_QUEUE, {
      radiusMeters: 400,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
    points = await reservablePoints(world.ozmap, 5, 500);
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await world?.close();
    await dev?.stop();
  });

  let next = 0;
  const reserve = async (): Promise<ReservationState> => {
    const point = points[next++]!;
    const viabilityId = `L-${randomUUID().slice(0, 8)}`;
    const state = await reservations.reserve({
      viabilityId,
      customer: { code: `C-${viabilityId}`, name: 'Maria Souza' },
      coordinates: { lat: point.lat, lng: point.lng },
    });
    assert.equal(state.status, 'RESERVED', state.notice);
    return state;
  };
  /** A free port of another candidate box than the one held. */
  const elsewhere = (state: ReservationState): PortChoice => {
    const box = state.candidates.find((c) => c.boxId !== state.reservation!.boxId);
    assert.ok(box, 'another box with a free port within the radius');
    const splitter = box.splitters[0]!;
    return {
      boxId: box.boxId,
      boxName: box.boxName,
      splitterId: splitter.splitterId,
      splitterName: splitter.splitterName,
      port: splitter.freePorts.at(-1)!,
    };
  };
  const occupant = async (splitterId: string, port: number) =>
    (await world.ozmap.getSplitter(splitterId))!.output[port - 1];
  const attributes = async (viabilityId: string) => {
    const { typedSearchAttributes } = await dev.env.client.workflow.getHandle(workflowIdFor(viabilityId)).describe();
    return {
      boxId: typedSearchAttributes.get(BoxIdKey),
      expiresAt: typedSearchAttributes.get(ReservationExpiresAtKey),
    };
  };
  /** Another customer takes the port, straight in OZmap. */
  const takeInOzmap = async (to: PortChoice) => {
    const taken = await world.ozmap.createProperty({
      box: to.boxId,
      connector: to.splitterId,
      port: to.port,
      auto_connect: false,
      force: false,
      coords: [0, 0],
      address: 'outra venda',
      observation: '',
      external_id: `other-${randomUUID()}`,
      client: {
        code: `X-${randomUUID().slice(0, 6)}`,
        name: 'Outro',
        implanted: false,
        observation: '',
        external_id: '',
      },
    });
    assert.equal(taken.outcome, 'created');
  };

  it('moves to another box: the same client and property on the new port, the old port free', async () => {
    const before = await reserve();
    const old = before.reservation!;
    const to = elsewhere(before);
    const after = await reservations.changeBox(before.viabilityId, {
      boxId: to.boxId,
      splitterId: to.splitterId,
      port: to.port,
      reason: 'poste mais perto',
    });
    const r = after.reservation!;
    assert.deepEqual(
      [r.boxId, r.splitterId, r.port, r.boxName],
      [to.boxId, to.splitterId, to.port, to.boxName],
      'the state shows the new place',
    );
    assert.deepEqual(
      [r.clientId, r.propertyId, r.reservedAt, r.expiresAt],
      [old.clientId, old.propertyId, old.reservedAt, old.expiresAt],
    );
    assert.equal(after.changes?.length, 1);
    assert.deepEqual(after.changes[0], {
      kind: 'box',
      at: after.changes[0]!.at,
      reason: 'poste mais perto',
      from: {
        boxId: old.boxId,
        boxName: old.boxName,
        splitterId: old.splitterId,
        splitterName: old.splitterName,
        port: old.port,
      },
      to: {
        boxId: to.boxId,
        boxName: to.boxName,
        splitterId: to.splitterId,
        splitterName: to.splitterName,
        port: to.port,
      },
    });
    // OZmap: one property for the viability, the same client, on the new port; the old port free.
    const [property, ...more] = await propertiesOf(world, externalIdFor(before.viabilityId));
    assert.equal(more.length, 0);
    assert.equal(property!.id, old.propertyId);
    assert.equal(property!.client?.id, old.clientId);
    assert.equal(property!.box, to.boxId);
    assert.deepEqual(
      property!.connections.map((c) => [c.id, c.port]),
      [[to.splitterId, to.port]],
    );
    assert.equal(await occupant(old.splitterId, old.port), null, 'the old port is free');
    assert.notEqual(await occupant(to.splitterId, to.port), null);
    assert.deepEqual(await doubleBookedPorts(world), []);
    assert.equal((await attributes(before.viabilityId)).boxId, to.boxId, 'BoxId follows');
    assert.deepEqual((await reservations.get(before.viabilityId)).reservation, r);
    await reservations.cancel(before.viabilityId);
    assert.equal((await reservations.result(before.viabilityId)).status, 'CANCELLED');
    assert.equal(await occupant(to.splitterId, to.port), null, 'the release frees the new port');
  });

  it('a port taken meanwhile refuses the move with the reason and changes nothing', async () => {
    const before = await reserve();
    const to = elsewhere(before);
    const attrsBefore = await attributes(before.viabilityId);
    // Taken between the fresh search and the PATCH: OZmap refuses it.
    beforeMove = async (input) => {
      beforeMove = undefined;
      await takeInOzmap(input.to);
    };
    await assert.rejects(
      reservations.changeBox(before.viabilityId, { boxId: to.boxId, splitterId: to.splitterId, port: to.port }),
      (err: unknown) => {
        assert.ok(err instanceof ChangeRefusedError, String(err));
        assert.match(err.message, new RegExp(`port ${to.port} of .* is no longer free`));
        return true;
      },
    );
    // Taken before the call: the fresh search already sees it.
    await assert.rejects(
      reservations.changeBox(before.viabilityId, { boxId: to.boxId, splitterId: to.splitterId, port: to.port }),
      (err: unknown) =>
        err instanceof ChangeRefusedError && /is not free on that splitter|has no free port/.test(err.message),
    );
    const after = await reservations.get(before.viabilityId);
    assert.equal(after.status, 'RESERVED');
    assert.deepEqual(after.reservation, before.reservation);
    assert.equal(after.changes, undefined);
    assert.deepEqual(await attributes(before.viabilityId), attrsBefore);
    const [property] = await propertiesOf(world, externalIdFor(before.viabilityId));
    assert.deepEqual(
      property!.connections.map((c) => [c.id, c.port]),
      [[before.reservation!.splitterId, before.reservation!.port]],
    );
    assert.deepEqual(await doubleBookedPorts(world), []);
  });

  it('refuses a box outside the radius, by the validator', async () => {
    const state = await reserve();
    await assert.rejects(
      reservations.changeBox(state.viabilityId, { boxId: 'ffffffffffffffffffffffff' }),
      (err: unknown) =>
        err instanceof ChangeRefusedError && /not within the reservation's radius of 400 m/.test(err.message),
    );
    await reservations.confirm(state.viabilityId);
    assert.equal((await reservations.result(state.viabilityId)).status, 'INSTALLED');
  });

  it('extends twice, then refuses beyond RESERVATION_MAX_HOLD_DAYS naming the limit', async () => {
    const state = await reserve();
    const reservedAt = Date.parse(state.reservation!.reservedAt);
    const once = await reservations.extendHold(state.viabilityId, { days: 30, reason: 'obra atrasada' });
    assert.equal(Date.parse(once.reservation!.expiresAt) - reservedAt, 60 * DAY_MS);
    const twice = await reservations.extendHold(state.viabilityId, { days: 30 });
    assert.equal(Date.parse(twice.reservation!.expiresAt) - reservedAt, 90 * DAY_MS);
    assert.deepEqual(
      twice.changes?.map((c) => [c.kind, c.reason]),
      [
        ['extension', 'obra atrasada'],
        ['extension', undefined],
      ],
    );
    assert.equal((await attributes(state.viabilityId)).expiresAt?.toISOString(), twice.reservation!.expiresAt);
    await assert.rejects(reservations.extendHold(state.viabilityId, { days: 1 }), (err: unknown) => {
      assert.ok(err instanceof ChangeRefusedError, String(err));
      assert.match(err.message, /RESERVATION_MAX_HOLD_DAYS \(90 days\)/);
      return true;
    });
    const after = await reservations.get(state.viabilityId);
    assert.deepEqual(after.reservation, twice.reservation, 'the refused extension changed nothing');
    await reservations.cancel(state.viabilityId);
  });

  it('a confirm sent during a move is applied after it: installed on the new port', async () => {
    const before = await reserve();
    const to = elsewhere(before);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const moving = new Promise<void>((resolve) => (entered = resolve));
    beforeMove = async () => {
      beforeMove = undefined;
      entered();
      await gate;
    };
    const move = reservations.changeBox(before.viabilityId, { boxId: to.boxId });
    await moving;
    await reservations.confirm(before.viabilityId, { note: 'vendido' });
    release();
    const moved = await move;
    assert.equal(moved.reservation!.boxId, to.boxId);
    const final = await reservations.result(before.viabilityId);
    assert.equal(final.status, 'INSTALLED');
    assert.equal(final.reservation!.boxId, to.boxId);
    const client = await world.ozmap.getClient(before.reservation!.clientId);
    assert.equal(client?.implanted, true);
  });
});
