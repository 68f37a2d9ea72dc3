/** The living reservation's pure rules (workflows/reservation/changes.ts): payloads checked by hand agree with the contract. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeBoxInput, ExtendHoldInput, type ReservationState } from '../../contract/schemas.ts';
import {
  changeBoxProblems,
  extendHoldProblems,
  extendedEnd,
  moveTargetProblem,
  resolveMove,
} from '../../workflows/reservation/changes.ts';

const held: ReservationState = {
  viabilityId: 'V-1',
  status: 'RESERVED',
  selection: 'auto',
  radiusMeters: 250,
  holdDays: 30,
  candidates: [
    {
      boxId: 'b2',
      boxName: 'CTO-2',
      distanceMeters: 90,
      freePorts: 2,
      splitters: [{ splitterId: 's2', splitterName: 'Splitter 1', freePorts: [4, 6] }],
    },
  ],
  unavailableBoxes: [{ boxId: 'b3', boxName: 'CTO-3', distanceMeters: 120, reason: 'in-design' }],
  reservation: {
    boxId: 'b1',
    boxName: 'CTO-1',
    splitterId: 's1',
    splitterName: 'Splitter 1',
    port: 3,
    clientId: 'c',
    propertyId: 'p',
    reservedAt: '2026-11-28T12:00:00.000Z',
    expiresAt: '2026-12-28T12:00:00.000Z',
  },
};

describe('living reservation rules', () => {
  it('hand-checked payloads agree with the contract schemas', () => {
    const changes: unknown[] = [{ boxId: 'b2' }, { boxId: '' }, { boxId: 'b2', port: 0 }, { boxId: 'b2', x: 1 }, null];
    for (const c of changes)
      assert.equal(changeBoxProblems(c).length === 0, ChangeBoxInput.safeParse(c).success, JSON.stringify(c));
    const extensions: unknown[] = [
      { days: 1 },
      { days: 90 },
      { days: 0 },
      { days: 91 },
      { days: 1.5 },
      { days: 2, y: 1 },
    ];
    for (const e of extensions)
      assert.equal(extendHoldProblems(e).length === 0, ExtendHoldInput.safeParse(e).success, JSON.stringify(e));
  });

  it('a move goes to a box found within the radius, not "Em projeto", not the port already held', () => {
    assert.equal(moveTargetProblem(held, { boxId: 'b2' }), undefined);
    assert.equal(moveTargetProblem(held, { boxId: 'b1' }), undefined, 'another port of the same box');
    assert.match(moveTargetProblem(held, { boxId: 'b9' })!, /not within the reservation's radius of 250 m/);
    assert.match(moveTargetProblem(held, { boxId: 'b3' })!, /Em projeto/);
    assert.match(moveTargetProblem(held, { boxId: 'b1', splitterId: 's1', port: 3 })!, /already on port 3/);
    assert.match((resolveMove([], { boxId: 'b2' }) as { error: string }).error, /no free port/);
    assert.deepEqual(resolveMove(held.candidates, { boxId: 'b2' }), {
      boxId: 'b2',
      boxName: 'CTO-2',
      projectId: undefined,
      splitterId: 's2',
      splitterName: 'Splitter 1',
      port: 4,
    });
  });

  it('a hold may end up to maxHoldDays after reservedAt, not a millisecond later', () => {
    const r = held.reservation!;
    assert.deepEqual(extendedEnd(r, 60, 90), { expiresAt: '2027-02-26T12:00:00.000Z' });
    const refused = extendedEnd(r, 61, 90);
    assert.ok('error' in refused);
    assert.match(refused.error, /RESERVATION_MAX_HOLD_DAYS \(90 days\).*until 2027-02-26T12:00:00.000Z/);
  });
});
