/**
 * Tests that watch a hold end in real time hold for seconds: a fraction of a day, which only a deployment that allows
 * it accepts (RESERVATION_FRACTIONAL_HOLD_DAYS, for tests and demos; contract/limits.ts). Both sides must allow it:
 * the client library checks a hold at the boundary, the workflow against the worker's settings.
 */
import { DEFAULT_MAX_HOLD_DAYS, type ReservationLimits } from '../../contract/limits.ts';

/** For a ReservationsClient's defaults (`limits`) and createReservationWorker's `limits`. */
export const SHORT_HOLD_LIMITS = {
  maxHoldDays: DEFAULT_MAX_HOLD_DAYS,
  fractionalHoldDays: true,
} as const satisfies Partial<ReservationLimits>;

/** For a worker or `npm start` started from the environment. */
export const SHORT_HOLD_ENV = { RESERVATION_FRACTIONAL_HOLD_DAYS: 'true' } as const;

export const secondsAsDays = (seconds: number): number => seconds / 86_400;
