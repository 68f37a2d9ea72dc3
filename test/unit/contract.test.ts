import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReservationsClient } from '../../client/reservations.ts';
import { InvalidInputError } from '../../client/errors.ts';
import type { Client } from '@temporalio/client';

// prepare() never touches Temporal: a client that throws on any use proves nothing is started.
const untouchable = new Proxy(
  {},
  {
    get: () => {
      throw new Error('Temporal must not be called for invalid input');
    },
  },
) as Client;
const reservations = new ReservationsClient(untouchable, 'q', {
  radiusMeters: 250,
  holdDays: 30,
  selectionTimeoutHours: 24,
});

const valid = { viabilityId: 'V-1042', customer: { code: 'C-77', name: 'Maria Souza' }, address: 'Rua Bocaiúva, 2125' };

function problems(input: unknown): InvalidInputError['problems'] {
  try {
    reservations.prepare(input);
  } catch (err) {
    assert.ok(err instanceof InvalidInputError, `expected InvalidInputError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the input to be refused');
}

describe('reservation input', () => {
  it('fills the configured defaults so history records the exact terms', () => {
    assert.deepEqual(reservations.prepare(valid), {
      ...valid,
      radiusMeters: 250,
      selection: 'auto',
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
  });

  const cases: Array<[string, unknown, string, RegExp]> = [
    [
      'neither address nor coordinates',
      { viabilityId: 'V-1', customer: valid.customer },
      'address',
      /address or coordinates/,
    ],
    ['latitude 123', { ...valid, coordinates: { lat: 123, lng: -48.5 } }, 'coordinates.lat', /between -90 and 90/],
    ['radius 0', { ...valid, radiusMeters: 0 }, 'radiusMeters', /at least 1/],
    ['an empty customer code', { ...valid, customer: { code: '  ', name: 'X' } }, 'customer.code', /must not be empty/],
    ['an invalid viability id', { ...valid, viabilityId: 'V 1/2' }, 'viabilityId', /1-64 characters/],
    ['an unknown field', { ...valid, radius: 10 }, '(body)', /radius/],
    ['holdDays 0', { ...valid, holdDays: 0 }, 'holdDays', /more than 0/],
    ['a bad selection mode', { ...valid, selection: 'sometimes' }, 'selection', /auto|manual/],
  ];
  for (const [label, input, field, message] of cases) {
    it(`refuses ${label}, naming ${field}`, () => {
      const found = problems(input);
      const hit =
        found.find((p) => p.field === field && message.test(p.message)) ??
        found.find((p) => message.test(`${p.field} ${p.message}`));
      assert.ok(hit, `expected a problem on ${field} matching ${message}, got ${JSON.stringify(found)}`);
    });
  }

  it('reports every problem at once', () => {
    const found = problems({ viabilityId: '', customer: { code: '', name: '' }, coordinates: { lat: 100, lng: 200 } });
    const fields = found.map((p) => p.field).sort();
    assert.deepEqual(fields, ['coordinates.lat', 'coordinates.lng', 'customer.code', 'customer.name', 'viabilityId']);
  });

  it('refuses a bad viability id before any call', async () => {
    await assert.rejects(
      reservations.get('not ok!'),
      (err: unknown) => err instanceof InvalidInputError && err.problems[0]?.field === 'viabilityId',
    );
  });
});
