/**
 * Pure rules of a living reservation (docs/architecture.md, "A living reservation"): what changeBox and extendHold
 * payloads must look like, which box a move may go to, how far a hold may be extended. No I/O, no clock.
 */
import { DAY_MS } from '../../contract/defaults.ts';
import type {
  Candidate,
  ChangeBoxInput,
  PortChoice,
  PortPlace,
  Reservation,
  ReservationState,
} from '../../contract/schemas.ts';
import { resolveSelection } from './decisions.ts';

/** What is wrong with a changeBox payload, checked by hand (no schema library in the workflow). */
export function changeBoxProblems(payload: unknown): string[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return ['(change): must be an object such as {"boxId": "…"}'];
  const { boxId, splitterId, port, reason, ...others } = payload as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof boxId !== 'string' || boxId.length === 0) problems.push('boxId: must be a non-empty string');
  if (splitterId !== undefined && (typeof splitterId !== 'string' || splitterId.length === 0))
    problems.push('splitterId: must be a non-empty string');
  if (port !== undefined && !(typeof port === 'number' && Number.isInteger(port) && port > 0))
    problems.push('port: port must be a positive whole number');
  problems.push(...reasonProblems(reason));
  const unknown = Object.keys(others);
  if (unknown.length > 0) problems.push(`(change): unrecognized key(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  return problems;
}

/** What is wrong with an extendHold payload: whole days from 1 to 90, an optional reason. */
export function extendHoldProblems(payload: unknown): string[] {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return ['(extension): must be an object such as {"days": 15}'];
  const { days, reason, ...others } = payload as Record<string, unknown>;
  const problems: string[] = [];
  if (!(typeof days === 'number' && Number.isInteger(days) && days >= 1 && days <= 90))
    problems.push('days: must be a whole number from 1 to 90');
  problems.push(...reasonProblems(reason));
  const unknown = Object.keys(others);
  if (unknown.length > 0) problems.push(`(extension): unrecognized key(s) ${unknown.map((k) => `"${k}"`).join(', ')}`);
  return problems;
}

const reasonProblems = (reason: unknown): string[] =>
  reason === undefined || (typeof reason === 'string' && reason.length <= 500)
    ? []
    : ['reason: must be a string of at most 500 characters'];

/**
 * Why a box cannot be moved to, judged from the state alone (the validator): it must be a box the search found
 * within the reservation's radius, not "Em projeto", and not the very port already held.
 */
export function moveTargetProblem(state: ReservationState, change: ChangeBoxInput): string | undefined {
  const current = state.reservation!;
  if (change.splitterId === current.splitterId && change.port === current.port)
    return `the reservation is already on port ${current.port} of ${current.splitterName} in ${current.boxName}`;
  const candidate = state.candidates.some((c) => c.boxId === change.boxId);
  const unavailable = state.unavailableBoxes?.find((b) => b.boxId === change.boxId);
  if (unavailable?.reason === 'in-design') return `box ${unavailable.boxName} is "Em projeto" (in design)`;
  if (!candidate && !unavailable && change.boxId !== current.boxId)
    return `box ${change.boxId} is not within the reservation's radius of ${state.radiusMeters} m`;
  return undefined;
}

/** The port a move takes in the fresh search's candidates: the one asked for, or the box's first free one. */
export function resolveMove(candidates: readonly Candidate[], change: ChangeBoxInput): PortChoice | { error: string } {
  if (!candidates.some((c) => c.boxId === change.boxId))
    return { error: `box ${change.boxId} has no free port within the radius now` };
  return resolveSelection(candidates, change);
}

export const placeOf = (r: Pick<Reservation, keyof PortPlace>): PortPlace => ({
  boxId: r.boxId,
  boxName: r.boxName,
  splitterId: r.splitterId,
  splitterName: r.splitterName,
  port: r.port,
});

/** The reservation as a PortChoice (what movePort starts from). */
export const choiceOf = (r: Reservation): PortChoice => ({ ...placeOf(r) });

/**
 * The new end of the hold after `days` more, or why not: it may end at most `maxHoldDays` after reservedAt
 * (RESERVATION_MAX_HOLD_DAYS).
 */
export function extendedEnd(
  reservation: Pick<Reservation, 'reservedAt' | 'expiresAt'>,
  days: number,
  maxHoldDays: number,
): { expiresAt: string } | { error: string } {
  const end = Date.parse(reservation.expiresAt) + days * DAY_MS;
  const limit = Date.parse(reservation.reservedAt) + maxHoldDays * DAY_MS;
  if (end > limit)
    return {
      error:
        `the hold would end ${new Date(end).toISOString()}, more than RESERVATION_MAX_HOLD_DAYS (${maxHoldDays} ` +
        `days) after it was reserved (${reservation.reservedAt}); it may be extended until ` +
        new Date(limit).toISOString(),
    };
  return { expiresAt: new Date(end).toISOString() };
}
