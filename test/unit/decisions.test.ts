import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Candidate } from '../../contract/schemas.ts';
import { formatAddress, pickAutomatic, resolveSelection } from '../../workflows/decisions.ts';

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
