/** The Web UI's current details of a reservation (workflows/reservation/views.ts): what each state shows. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candidate, ReservationState } from '../../contract/schemas.ts';
import { describe as details } from '../../workflows/reservation/views.ts';

const candidate: Candidate = {
  boxId: 'b1',
  boxName: 'CTO-0063',
  distanceMeters: 67.1,
  freePorts: 5,
  splitters: [{ splitterId: 's1', splitterName: 'Splitter 1', freePorts: [1, 2, 3, 4, 5] }],
};
const held: ReservationState = {
  viabilityId: 'V-1',
  status: 'RESERVED',
  selection: 'auto',
  radiusMeters: 250,
  holdDays: 30,
  candidates: [candidate],
  reservation: {
    boxId: 'b1',
    boxName: 'CTO-0063',
    splitterId: 's1',
    splitterName: 'Splitter 1',
    port: 1,
    clientId: 'c1',
    propertyId: 'p1',
    reservedAt: '2026-12-04T12:00:00.000Z',
    expiresAt: '2027-01-03T12:00:00.000Z',
  },
};

describe("the Web UI's current details", () => {
  it('a held port: its box, splitter and port, never the candidate count', () => {
    assert.equal(
      details(held),
      '**RESERVED** — viability `V-1`\n\nBox **CTO-0063**, Splitter 1, port **1**; held until 2027-01-03T12:00:00.000Z',
    );
  });

  it('a held port in pole mode: its drop too', () => {
    const drop = { lengthMeters: 87.5, poles: ['p1', 'p2', 'p3'], route: [] };
    const text = details({ ...held, reservation: { ...held.reservation!, drop } });
    assert.match(text, /\n\nDrop 88 m along 3 pole\(s\)$/);
    assert.doesNotMatch(text, /candidate/);
  });

  it('no port yet: the candidates within the radius', () => {
    const { reservation: _, ...searching } = held;
    assert.match(details({ ...searching, status: 'AWAITING_SELECTION' }), /1 candidate box\(es\) within 250 m/);
  });
});
