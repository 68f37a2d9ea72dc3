import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReservationsClient } from '../../client/reservations.ts';
import { InvalidInputError } from '../../client/errors.ts';
import type { Client } from '@temporalio/client';
import type { z } from 'zod';
import {
  CancelReservationInput,
  ChangeBoxInput,
  ConfirmSaleInput,
  ExtendHoldInput,
  ReservationInput,
  SelectBoxInput,
} from '../../contract/schemas.ts';
import { ListReservationsQuery } from '../../client/listing.ts';

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

describe('control characters are refused in every id, code and text, naming the field', () => {
  // C0 (NUL, tab, line breaks, escape), DEL and C1 (U+0080-U+009F).
  const CONTROLS = ['\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f'];
  const structured = { street: 'Rua Bocaiúva', number: '2125', city: 'Florianópolis', state: 'SC' };
  const at =
    (path: string[]) =>
    (base: Record<string, unknown>, value: string): Record<string, unknown> => {
      const copy = structuredClone(base);
      let target = copy;
      for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
      target[path.at(-1)!] = `${(target[path.at(-1)!] as string | undefined) ?? 'x'}${value}z`;
      return copy;
    };
  const withAddress = { ...valid, address: structured };
  const FIELDS: Array<[z.ZodType, Record<string, unknown>, string[]]> = [
    [ReservationInput, valid, ['viabilityId']],
    [ReservationInput, valid, ['customer', 'code']],
    [ReservationInput, valid, ['customer', 'name']],
    [ReservationInput, valid, ['address']],
    ...['street', 'number', 'complement', 'neighborhood', 'city', 'state'].map(
      (key): [z.ZodType, Record<string, unknown>, string[]] => [ReservationInput, withAddress, ['address', key]],
    ),
    [SelectBoxInput, { boxId: 'b-1', splitterId: 's-1' }, ['boxId']],
    [SelectBoxInput, { boxId: 'b-1', splitterId: 's-1' }, ['splitterId']],
    [ChangeBoxInput, { boxId: 'b-1', splitterId: 's-1', reason: 'r' }, ['boxId']],
    [ChangeBoxInput, { boxId: 'b-1', splitterId: 's-1', reason: 'r' }, ['splitterId']],
    [ChangeBoxInput, { boxId: 'b-1', splitterId: 's-1', reason: 'r' }, ['reason']],
    [ExtendHoldInput, { days: 5, reason: 'r' }, ['reason']],
    [ConfirmSaleInput, { note: 'n' }, ['note']],
    [CancelReservationInput, { reason: 'r' }, ['reason']],
    [ListReservationsQuery, { customerCode: 'C-77' }, ['customerCode']],
  ];
  for (const [schema, base, path] of FIELDS) {
    const field = path.join('.');
    it(`${field}: refused with a message naming control characters`, () => {
      for (const control of CONTROLS) {
        const result = schema.safeParse(at(path)(base, control));
        const shown = JSON.stringify(control);
        assert.equal(result.success, false, `${field} with ${shown} was accepted`);
        const issue = result.error.issues.find((i) => i.path.join('.') === field);
        assert.ok(issue, `${field} with ${shown}: ${JSON.stringify(result.error.issues)}`);
        // The viability id's and the state's own patterns admit no control character, with their own messages.
        if (!['viabilityId', 'address.state'].includes(field))
          assert.match(issue.message, /control character/, `${field} with ${shown}`);
      }
    });
  }

  it('ordinary text is still accepted and trimmed: accents, emoji, spaces inside and around', () => {
    const input = {
      ...valid,
      customer: { code: '\u00a0C-77 ', name: 'João da Conceição 🏠' },
      address: { ...structured, street: ' Rua Bocaiúva\u00a0 ', state: ' sc ' },
    };
    const parsed = ReservationInput.parse(input);
    assert.deepEqual(parsed.customer, { code: 'C-77', name: 'João da Conceição 🏠' });
    assert.deepEqual(parsed.address, { ...structured, street: 'Rua Bocaiúva', state: 'sc' });
    assert.equal(ListReservationsQuery.parse({ customerCode: ' C-77 ' }).customerCode, 'C-77');
  });
});
