/**
 * A reservation's memo (docs/architecture.md, "Reading a reservation"): from the moment its port is held, its state as
 * getState answers it, kept current by the workflow in the task that changes it. Temporal's server holds the memo, so
 * a read is answered by describe without waking a worker; before a port is held (searching, awaiting a selection) the
 * memo has no state and a read asks the workflow. No zod here: workflow code imports it.
 */
import type { ReservationStatus } from './statuses.ts';

export const STATE_MEMO_KEY = 'state';

/**
 * Statuses a step passes through within the task that decides it, on its way to the next resting one: the search
 * attribute and the memo show them only once that step keeps failing (CONFIRMING, RELEASING, with a notice); getState
 * always shows them.
 */
export const PASSING_STATUSES: ReadonlySet<ReservationStatus> = new Set(['RESERVING', 'CONFIRMING', 'RELEASING']);

/** Statuses before a port is held: the memo carries no state yet (the candidates of a manual search stay out of it). */
export const UNHELD_STATUSES: ReadonlySet<ReservationStatus> = new Set([
  'GEOCODING',
  'SEARCHING',
  'AWAITING_SELECTION',
  'RESERVING',
]);
