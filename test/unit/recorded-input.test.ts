import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../contract/defaults.ts';
import { readContinuedV1, readRecordedInputV1, type ReadResult } from '../../contract/recorded-input.ts';
import { ReservationInput, reservationInputFor } from '../../contract/schemas.ts';

const minimal = { viabilityId: 'V-1', customer: { code: 'C-1', name: 'Maria' }, address: 'Rua Bocaiúva, 2125' };

const problemsOf = <T>(read: ReadResult<T>): string[] => (read.ok ? [] : read.problems);
const valueOf = <T>(read: ReadResult<T>): T => {
  assert.ok(read.ok, `expected the input to be accepted: ${problemsOf(read).join('; ')}`);
  return read.value;
};

describe('readRecordedInputV1 (what the workflow accepts from its history)', () => {
  it('fills the defaults a direct start left out', () => {
    assert.deepEqual(valueOf(readRecordedInputV1(minimal)), {
      ...minimal,
      radiusMeters: DEFAULTS.radiusMeters,
      selection: 'auto',
      holdDays: DEFAULTS.holdDays,
      selectionTimeoutHours: DEFAULTS.selectionTimeoutHours,
    });
  });

  it('keeps terms the client library recorded, also ones a tightened schema would refuse', () => {
    const recorded = {
      ...minimal,
      address: { street: ' Rua Bocaiúva ', number: '2125', city: 'Florianópolis', state: 'SC' },
      coordinates: { lat: -27.59, lng: -48.55 },
      radiusMeters: 6000,
      selection: 'manual',
      holdDays: 400,
      selectionTimeoutHours: 2,
      channel: 'loja',
    };
    assert.equal(ReservationInput.safeParse(recorded).success, false, 'the boundary refuses it today');
    const input = valueOf(readRecordedInputV1(recorded));
    assert.equal(input.radiusMeters, 6000);
    assert.equal(input.holdDays, 400);
    assert.equal(input.selection, 'manual');
    assert.deepEqual(input.address, { street: 'Rua Bocaiúva', number: '2125', city: 'Florianópolis', state: 'SC' });
    assert.deepEqual(input.coordinates, { lat: -27.59, lng: -48.55 });
    assert.equal('channel' in input, false, 'fields the workflow does not know are left behind');
  });

  it('accepts every input the schema accepts, with the default limits or the loosest', () => {
    const loosest = reservationInputFor({ maxHoldDays: 365, fractionalHoldDays: true });
    for (const [schema, raw] of [
      [ReservationInput, minimal],
      [ReservationInput, { ...minimal, address: undefined, coordinates: { lat: 0, lng: 0 } }],
      [ReservationInput, { ...minimal, radiusMeters: 1, holdDays: 90, selection: 'auto', selectionTimeoutHours: 720 }],
      [loosest, { ...minimal, holdDays: 0.5 }],
    ] as const) {
      assert.ok(schema.safeParse(raw).success);
      valueOf(readRecordedInputV1(raw));
    }
  });

  const refused: Array<[string, unknown, RegExp]> = [
    ['not an object', 'V-1', /must be an object/],
    ['no viability id', { ...minimal, viabilityId: '' }, /^viabilityId:/],
    ['a customer without a code', { ...minimal, customer: { name: 'Maria' } }, /^customer: must have a code/],
    ['neither address nor coordinates', { viabilityId: 'V-1', customer: minimal.customer }, /address or coordinates/],
    ['coordinates that are not numbers', { ...minimal, coordinates: { lat: '1', lng: 2 } }, /^coordinates:/],
    ['an address of the wrong shape', { ...minimal, address: { city: 'Florianópolis' } }, /^address:/],
    ['a selection mode it does not know', { ...minimal, selection: 'sometimes' }, /^selection:/],
    ['a radius of 0', { ...minimal, radiusMeters: 0 }, /^radiusMeters: must be a number more than 0/],
    ['a hold that is not a number', { ...minimal, holdDays: '30' }, /^holdDays:/],
  ];
  for (const [label, raw, expected] of refused) {
    it(`refuses ${label}, which the workflow cannot run with`, () => {
      const problems = problemsOf(readRecordedInputV1(raw));
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected ${String(expected)}, got ${JSON.stringify(problems)}`,
      );
    });
  }
});

describe('readContinuedV1 (a run continued while settling)', () => {
  const state = {
    viabilityId: 'V-1',
    status: 'RELEASING',
    selection: 'auto',
    radiusMeters: 250,
    holdDays: 30,
    candidates: [],
    reservation: {
      boxId: 'b',
      boxName: 'CTO-1',
      splitterId: 's',
      splitterName: 'Splitter 1',
      port: 3,
      clientId: 'c',
      propertyId: 'p',
      reservedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-31T00:00:00.000Z',
    },
    notice: 'releasing the port is failing (422); trying again in 1 hour',
  };

  it('accepts a settle in progress with its action', () => {
    const continued = { state, action: { kind: 'cancel', reason: 'Cancelled: desistiu' } };
    assert.deepEqual(valueOf(readContinuedV1(continued)), continued);
    valueOf(readContinuedV1({ state: { ...state, status: 'CONFIRMING' }, action: { kind: 'confirm' } }));
  });

  it('accepts a long hold continued as new, with the settings it read', () => {
    const settings = { maxHoldDays: 90, maxMoves: 10, webhooks: { enabled: false } };
    const continued = { state: { ...state, status: 'RESERVED' }, settings, remindersSent: [3], moveAttempts: 2 };
    assert.deepEqual(valueOf(readContinuedV1(continued)), continued);
  });

  it('refuses a state it cannot resume, one without its reservation, and an unknown action', () => {
    assert.match(
      problemsOf(readContinuedV1({ state: { ...state, status: 'SEARCHING' } })).join(),
      /RESERVED, CONFIRMING, RELEASING/,
    );
    assert.match(problemsOf(readContinuedV1({ state: { ...state, reservation: undefined } })).join(), /propertyId/);
    assert.match(problemsOf(readContinuedV1({ state, action: { kind: 'extend' } })).join(), /confirm or a cancel/);
  });
});
