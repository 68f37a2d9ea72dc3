/**
 * A recording stand-in for the client library (ReservationsClient) for the map page's server-side tests: every call
 * is recorded with its arguments, and each behaviour can be replaced per test.
 */
import type { ReservationsClient } from '../../client/reservations.ts';
import { InvalidInputError } from '../../client/errors.ts';
import { ChangeBoxInput, ReservationInput, SelectBoxInput, type ReservationState } from '../../contract/schemas.ts';
import type { CandidateSurvey } from '../../client/candidate-survey.ts';

export const stateOf = (
  viabilityId: string,
  status: ReservationState['status'] = 'AWAITING_SELECTION',
): ReservationState => ({
  viabilityId,
  status,
  selection: 'manual',
  radiusMeters: 250,
  holdDays: 30,
  candidates: [],
});

/** Records every call; each behaviour can be replaced per test. */
type Faked = 'reserve' | 'get' | 'select' | 'changeBox' | 'moveCandidates';
export function fakeReservations(
  overrides: Partial<Record<Faked, (...args: unknown[]) => Promise<ReservationState | CandidateSurvey>>> = {},
) {
  const calls: Array<[string, ...unknown[]]> = [];
  const record =
    (name: Faked, fallback: (...args: unknown[]) => Promise<ReservationState | CandidateSurvey>) =>
    (...args: unknown[]) => {
      calls.push([name, ...args]);
      return (overrides[name] ?? fallback)(...args);
    };
  const fake = {
    reserve: record('reserve', (input) => Promise.resolve(stateOf((input as { viabilityId: string }).viabilityId))),
    get: record('get', (id) => Promise.resolve(stateOf(id as string))),
    select: record('select', (id, raw) => {
      // As the real client: the body is parsed with the contract's schema before anything is sent.
      const parsed = SelectBoxInput.safeParse(raw);
      return parsed.success
        ? Promise.resolve(stateOf(id as string, 'RESERVED'))
        : Promise.reject(InvalidInputError.fromZod(parsed.error));
    }),
    changeBox: record('changeBox', (id, raw) => {
      const parsed = ChangeBoxInput.safeParse(raw);
      return parsed.success
        ? Promise.resolve(stateOf(id as string, 'RESERVED'))
        : Promise.reject(InvalidInputError.fromZod(parsed.error));
    }),
    moveCandidates: record('moveCandidates', (id) =>
      Promise.resolve({
        viabilityId: id as string,
        radiusMeters: 300,
        candidates: [],
        unavailableBoxes: [],
        surveyedAt: '2026-12-01T12:00:00.000Z',
      }),
    ),
    client: { withAbortSignal: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn() },
    within: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn(),
    // What the HTTP API documents and validates POST /v1/reservations with (the contract's default limits).
    inputSchema: ReservationInput,
  };
  return { reservations: fake as unknown as ReservationsClient, calls };
}
