import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FAILURES, upstreamFailure } from '../../contract/failures.ts';

describe('failure types', () => {
  // Recorded in histories and matched by callers: a renamed type would silently stop matching.
  it('keep the names they were recorded with', () => {
    assert.equal(FAILURES.InvalidReservationInput, 'InvalidReservationInput');
    assert.equal(FAILURES.ReservationFailed, 'ReservationFailed');
    assert.equal(FAILURES.InvalidSelection, 'InvalidSelection');
    assert.equal(FAILURES.OZmapRefused, 'OZmapRefusedError');
    assert.equal(FAILURES.OZmapBadResponse, 'OZmapBadResponseError');
  });

  it('name each upstream error kind as the activities always did: <service><Kind>Error', () => {
    const kinds = [
      'validation',
      'auth',
      'not-found',
      'conflict',
      'rate-limited',
      'unavailable',
      'network',
      'bad-response',
    ] as const;
    const pascal = (kind: string) => kind.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
    for (const service of ['OZmap', 'Geocoder'] as const)
      for (const kind of kinds) assert.equal(upstreamFailure(service, kind), `${service}${pascal(kind)}Error`);
  });

  it('are all distinct', () => {
    const names = Object.values(FAILURES);
    assert.equal(new Set(names).size, names.length);
  });
});
