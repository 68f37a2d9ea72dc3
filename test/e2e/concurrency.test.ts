/**
 * Races on the real dev server: duplicate update-with-start calls for one viability, and many reservations
 * aimed at one box with fewer free ports than reservations.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import { type ReservationInput } from '../../contract/schemas.ts';
import { ISOLATED_BOX } from '../../simulator/network.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { doubleBookedPorts, filterQuery, propertiesOf, simGet } from '../support/world.ts';

describe('concurrent reservations', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  it('two concurrent update-with-start calls for one viability give one workflow and one OZmap client', async () => {
    const viabilityId = `D-${randomUUID().slice(0, 8)}`;
    const input: ReservationInput = {
      viabilityId,
      customer: { code: 'C-1', name: 'Maria' },
      address: 'Rua Tenente Silveira, 200, Florianópolis',
    };
    const [a, b] = await Promise.all([stack.reservations.reserve(input), stack.reservations.reserve(input)]);
    assert.equal(a.status, 'RESERVED');
    assert.deepEqual(a.reservation, b.reservation);
    let runs = 0;
    for await (const _ of stack.client.workflow.list({ query: `WorkflowId = "${workflowIdFor(viabilityId)}"` })) runs++;
    assert.equal(runs, 1);
    assert.equal((await propertiesOf(stack.world, externalIdFor(viabilityId))).length, 1);
    // Asking again later returns the same reservation, never a new one.
    assert.deepEqual((await stack.reservations.reserve(input)).reservation, a.reservation);
  });

  it(`20 reservations aimed at ${ISOLATED_BOX.name} (${ISOLATED_BOX.freePorts.length} free ports) never share a port`, async () => {
    const box = (
      await simGet<{ rows: Array<{ id: string; coords: [number, number] }> }>(
        stack.world,
        `/api/v2/boxes?${filterQuery([{ property: 'name', operator: '=', value: ISOLATED_BOX.name }])}`,
      )
    ).rows[0]!;
    const ids = Array.from({ length: 20 }, (_, i) => `R${i}-${randomUUID().slice(0, 6)}`);
    const states = await Promise.all(
      ids.map((viabilityId) =>
        stack.reservations.reserve({
          viabilityId,
          customer: { code: viabilityId, name: 'Cliente' },
          coordinates: { lat: box.coords[1], lng: box.coords[0] },
        }),
      ),
    );
    const reserved = states.filter((s) => s.status === 'RESERVED');
    const others = states.filter((s) => s.status !== 'RESERVED');
    assert.equal(reserved.length, ISOLATED_BOX.freePorts.length, `reserved: ${reserved.length}`);
    assert.ok(reserved.every((s) => s.reservation!.boxId === box.id));
    assert.deepEqual(
      reserved.map((s) => s.reservation!.port).sort((x, y) => x - y),
      [...ISOLATED_BOX.freePorts],
    );
    assert.ok(
      others.every((s) => s.status === 'NO_COVERAGE'),
      others.map((s) => s.status).join(','),
    );
    for (const id of ids) assert.ok((await propertiesOf(stack.world, externalIdFor(id))).length <= 1);
    assert.deepEqual(await doubleBookedPorts(stack.world), []);
  });

  it('manual mode: a port taken before the salesperson confirms goes back to AWAITING_SELECTION with fresh candidates and the reason', async () => {
    const viabilityId = `M-${randomUUID().slice(0, 8)}`;
    const waiting = await stack.reservations.reserve({
      viabilityId,
      customer: { code: 'C-M', name: 'Ana' },
      address: 'Rua Conselheiro Mafra, 300, Florianópolis',
      selection: 'manual',
    });
    assert.equal(waiting.status, 'AWAITING_SELECTION');
    const box = waiting.candidates[0]!;
    const splitter = box.splitters[0]!;
    const port = splitter.freePorts[0]!;
    // Someone else sells that very port in OZmap meanwhile.
    const other = await stack.world.ozmap.createProperty({
      project: box.projectId,
      box: box.boxId,
      connector: splitter.splitterId,
      port,
      auto_connect: false,
      force: false,
      coords: [box.coordinates!.lng, box.coordinates!.lat],
      address: 'outra venda',
      observation: '',
      external_id: 'someone-else',
      client: { code: 'X', name: 'Outro', implanted: false, observation: '', external_id: 'someone-else' },
    });
    assert.equal(other.outcome, 'created');

    const refused = await stack.reservations.select(viabilityId, {
      boxId: box.boxId,
      splitterId: splitter.splitterId,
      port,
    });
    assert.equal(refused.status, 'AWAITING_SELECTION');
    assert.match(refused.notice ?? '', new RegExp(`port ${port} .* no longer free; choose again`));
    const fresh = refused.candidates
      .find((c) => c.boxId === box.boxId)
      ?.splitters.find((s) => s.splitterId === splitter.splitterId);
    assert.ok(!fresh || !fresh.freePorts.includes(port), 'the fresh candidates no longer offer that port');
    assert.deepEqual(await propertiesOf(stack.world, externalIdFor(viabilityId)), []);

    const chosen = refused.candidates[0]!;
    const reserved = await stack.reservations.select(viabilityId, { boxId: chosen.boxId });
    assert.equal(reserved.status, 'RESERVED');
    assert.equal(reserved.reservation?.boxId, chosen.boxId);
    assert.equal(reserved.notice, undefined);
    await stack.reservations.cancel(viabilityId);
  });
});
