/**
 * The reservation's statuses and what they mean to callers
 * (docs/architecture.md, "Statuses"). No zod: the workflow uses these.
 */

export const IN_PROGRESS_STATUSES = [
  'GEOCODING',
  'SEARCHING',
  'AWAITING_SELECTION',
  'RESERVING',
  'RESERVED',
  'CONFIRMING',
  'RELEASING',
] as const;
export const FINAL_STATUSES = [
  'INSTALLED',
  'EXPIRED',
  'CANCELLED',
  'NO_COVERAGE',
  'ADDRESS_NOT_FOUND',
  'NO_SELECTION',
] as const;
/** Final statuses reached without ever holding a port. */
export const ENDED_WITHOUT_PORT_STATUSES = ['NO_COVERAGE', 'ADDRESS_NOT_FOUND', 'NO_SELECTION'] as const;

export type ReservationStatus = (typeof IN_PROGRESS_STATUSES)[number] | (typeof FINAL_STATUSES)[number];
export type FinalStatus = (typeof FINAL_STATUSES)[number];

export const isFinal = (status: string): status is FinalStatus =>
  (FINAL_STATUSES as readonly string[]).includes(status);

/** The statuses at which `waitForReservation` answers: a reservation to show, a choice to make, or the end. */
export const isSettled = (status: string): boolean =>
  status === 'RESERVED' || status === 'AWAITING_SELECTION' || isFinal(status);

/** NO_COVERAGE, ADDRESS_NOT_FOUND, NO_SELECTION: the reservation ended and never held a port. */
export const endedWithoutPort = (status: string): boolean =>
  (ENDED_WITHOUT_PORT_STATUSES as readonly string[]).includes(status);
