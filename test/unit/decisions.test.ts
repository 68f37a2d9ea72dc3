import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SelectBoxInput, type Candidate } from '../../contract/schemas.ts';
import {
  formatAddress,
  pickAutomatic,
  reservationFrom,
  resolveSelection,
  selectionProblems,
} from '../../workflows/reservation/decisions.ts';

const candidates: Candidate[] = [
  {
    boxId: 'far',
    boxName: 'CTO-2',
    distanceMeters: 180,
    freePorts: 2,
    projectId: 'p',
    splitters: [{ splitterId: 's2', splitterName: 'Splitter 1', freePorts: [5, 2] }],
  },
  {
    boxId: 'near',
    boxName: 'CTO-1',
    distanceMeters: 40,
    freePorts: 3,
    splitters: [
      { splitterId: 's1a', splitterName: 'Splitter 1', freePorts: [] },
      { splitterId: 's1b', splitterName: 'Splitter 2', freePorts: [7, 3, 4] },
    ],
  },
];

describe('pickAutomatic', () => {
  it('takes the nearest box, its first splitter with a free port, and the lowest free port', () => {
    assert.deepEqual(pickAutomatic(candidates), {
      boxId: 'near',
      boxName: 'CTO-1',
      projectId: undefined,
      splitterId: 's1b',
      splitterName: 'Splitter 2',
      port: 3,
    });
  });
  it('gives nothing when no box has a free port', () => {
    assert.equal(
      pickAutomatic([{ ...candidates[0]!, splitters: [{ splitterId: 'x', splitterName: 'x', freePorts: [] }] }]),
      undefined,
    );
    assert.equal(pickAutomatic([]), undefined);
  });
});

describe('resolveSelection', () => {
  it('fills splitter and port from a box alone', () => {
    assert.deepEqual(resolveSelection(candidates, { boxId: 'far' }), {
      boxId: 'far',
      boxName: 'CTO-2',
      projectId: 'p',
      splitterId: 's2',
      splitterName: 'Splitter 1',
      port: 2,
    });
  });
  it('honours an explicit free port', () => {
    const choice = resolveSelection(candidates, { boxId: 'near', port: 7 });
    assert.ok(!('error' in choice));
    assert.equal(choice.port, 7);
    assert.equal(choice.splitterId, 's1b');
  });
  it('explains a box that is not a candidate, an unknown splitter and a port that is not free', () => {
    assert.match(
      (resolveSelection(candidates, { boxId: 'nope' }) as { error: string }).error,
      /not among the candidates/,
    );
    assert.match(
      (resolveSelection(candidates, { boxId: 'near', splitterId: 'zz' }) as { error: string }).error,
      /splitter zz/,
    );
    assert.match(
      (resolveSelection(candidates, { boxId: 'near', port: 1 }) as { error: string }).error,
      /port 1 is not free/,
    );
  });
});

describe('formatAddress', () => {
  it('keeps a one-line address as given', () => {
    assert.equal(formatAddress('Rua Bocaiúva, 2125'), 'Rua Bocaiúva, 2125');
  });
  it('turns a structured address into one geocoding query', () => {
    assert.equal(
      formatAddress({
        street: 'Rua Bocaiúva',
        number: '2125',
        neighborhood: 'Centro',
        city: 'Florianópolis',
        state: 'sc',
        postalCode: '88015-530',
      }),
      'Rua Bocaiúva, 2125, Centro, Florianópolis - SC, 88015-530, Brasil',
    );
  });
});

describe('selectionProblems (the selectBox validator, without zod)', () => {
  it('accepts what the schema accepts', () => {
    for (const payload of [{ boxId: 'b' }, { boxId: 'b', splitterId: 's' }, { boxId: 'b', port: 3 }]) {
      assert.ok(SelectBoxInput.safeParse(payload).success);
      assert.deepEqual(selectionProblems(payload), []);
    }
  });
  it('refuses what the schema refuses, with the same messages where the schema words them', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /must be an object/],
      [['b'], /must be an object/],
      [{}, /^boxId: must be a string$/],
      [{ boxId: '' }, /^boxId: boxId must not be empty$/],
      [{ boxId: 'b', splitterId: '' }, /^splitterId:/],
      [{ boxId: 'b', port: 0 }, /^port: port must be a positive whole number$/],
      [{ boxId: 'b', port: 2.5 }, /^port: port must be a positive whole number$/],
      [{ boxId: 'b', port: '3' }, /^port:/],
      [{ boxId: 'b', box: 'x' }, /unrecognized key\(s\) "box"/],
    ];
    for (const [payload, expected] of cases) {
      assert.equal(SelectBoxInput.safeParse(payload).success, false, JSON.stringify(payload));
      const problems = selectionProblems(payload);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${JSON.stringify(payload)}: ${JSON.stringify(problems)}`,
      );
    }
  });
});

describe('reservationFrom', () => {
  const choice = {
    boxId: 'near',
    boxName: 'CTO-1',
    splitterId: 's1b',
    splitterName: 'Splitter 2',
    port: 3,
  };
  const result = {
    outcome: 'reserved' as const,
    propertyId: 'p',
    clientId: 'c',
    boxId: 'near',
    splitterId: 's1b',
    port: 3,
  };
  it('names box and splitter from the candidates and ends the hold holdDays later', () => {
    const at = Date.parse('2026-11-28T12:00:00Z');
    assert.deepEqual(reservationFrom(candidates, result, choice, at, 30), {
      ...choice,
      clientId: 'c',
      propertyId: 'p',
      reservedAt: '2026-11-28T12:00:00.000Z',
      expiresAt: '2026-12-28T12:00:00.000Z',
    });
  });
  it('falls back to the ids OZmap answered with when it put the client elsewhere', () => {
    const moved = reservationFrom(candidates, { ...result, boxId: 'other', splitterId: 'sx' }, choice, 0, 1);
    assert.equal(moved.boxName, 'other');
    assert.equal(moved.splitterName, 'sx');
  });
});
