/**
 * The steps before the settle: locate the customer, search the radius, select a port, reserve it, hold it
 * (docs/architecture.md, "Reservation flow"). Each works on the one Reservation and says how it ended.
 */
import { ActivityFailure, ApplicationFailure, CancellationScope, condition, log, sleep } from '@temporalio/workflow';
import type { ReservePortResult } from '../../activities/index.ts';
import { HOUR_MS } from '../../contract/defaults.ts';
import { FAILURES } from '../../contract/failures.ts';
import type { Coordinates, PortChoice, Reservation as ReservationTerms } from '../../contract/schemas.ts';
import type { FinalStatus } from '../../contract/statuses.ts';
import { ensureProspect, geocode, reservePort, surveyBoxes } from './activities.ts';
import { formatAddress, pickAutomatic, reservationFrom } from './decisions.ts';
import type { Reservation } from './reservation.ts';
import { sweepLater } from './sweep.ts';

/** Port conflicts tolerated in auto mode before giving up as NO_COVERAGE. */
const MAX_RESERVE_ATTEMPTS = 8;
/**
 * A refusal while the port reads free may be a race (its occupant was released in between): tried this many more
 * times, after a pause, before it counts as final and the reservation fails.
 */
export const REFUSAL_RETRIES = 2;
const REFUSAL_RETRY_DELAY = '1 second';

export type Ended = { final: FinalStatus; reason: string };
/** `notice`: what the reserve found under the marker and left alone (Invariant 7), shown while the port is held. */
export type Reserved = { reservation: ReservationTerms; notice?: string } | Ended;

/** Where the customer is: the input's coordinates, or the geocoded address. */
export async function locate(r: Reservation): Promise<Coordinates | Ended> {
  const { input, state } = r;
  if (input.coordinates) {
    state.coordinates = { ...input.coordinates, source: 'input' };
    return input.coordinates;
  }
  const query = formatAddress(input.address!);
  const found = await geocode({ query });
  if (!found) return { final: 'ADDRESS_NOT_FOUND', reason: `The geocoder found no place for "${query}"` };
  const point = { lat: found.lat, lng: found.lng };
  state.coordinates = { ...point, source: 'geocoder', displayName: found.displayName };
  return point;
}

/** The boxes with a free port within the radius, nearest first (and those that cannot take the customer). */
export async function search(r: Reservation, point: Coordinates): Promise<void> {
  r.setStatus('SEARCHING');
  const survey = await surveyBoxes(r.pickingSearch(point));
  r.state.candidates = survey.candidates;
  r.state.unavailableBoxes = survey.unavailable;
}

/** Auto mode: search, take the nearest free port, reserve it; a port taken meanwhile means search again. */
export async function reserveNearest(r: Reservation, point: Coordinates): Promise<Reserved> {
  const radius = r.state.radiusMeters;
  for (let round = 1; round <= MAX_RESERVE_ATTEMPTS; round++) {
    await search(r, point);
    if (r.cancelled) return { final: 'CANCELLED', reason: r.cancelled };
    const choice = pickAutomatic(r.state.candidates);
    if (!choice) {
      const reason =
        round === 1
          ? `No box with a free port within ${radius} m`
          : `Every free port within ${radius} m was taken meanwhile`;
      return { final: 'NO_COVERAGE', reason };
    }
    const result = await reserve(r, point, choice, round === 1);
    if (result.outcome === 'reserved') return reservedOf(r, result, choice);
    r.state.notice = `${result.message}; trying the next free port`;
    log.info('Port taken, searching again', { round, boxId: choice.boxId, port: choice.port });
  }
  return {
    final: 'NO_COVERAGE',
    reason: `Gave up after ${MAX_RESERVE_ATTEMPTS} ports were taken by others while reserving`,
  };
}

/**
 * Manual mode: search once, then wait for the salesperson's selectBox within the selection window and reserve the
 * port it names. A port taken meanwhile answers that call with fresh candidates and the reason, to choose again.
 */
export async function reserveChosen(r: Reservation, point: Coordinates): Promise<Reserved> {
  await search(r, point);
  const windowMs = r.input.selectionTimeoutHours * HOUR_MS;
  const deadline = Date.now() + windowMs;
  for (let firstRound = true; ; firstRound = false) {
    if (r.cancelled) return { final: 'CANCELLED', reason: r.cancelled };
    if (r.state.candidates.length === 0)
      return { final: 'NO_COVERAGE', reason: `No box with a free port within ${r.state.radiusMeters} m` };
    if (r.state.status !== 'AWAITING_SELECTION') r.setStatus('AWAITING_SELECTION');
    const picked = await CancellationScope.nonCancellable(() =>
      condition(() => r.pick !== undefined || r.cancelled !== undefined, Math.max(0, deadline - Date.now())),
    );
    if (r.cancelled) return { final: 'CANCELLED', reason: r.cancelled };
    if (!picked || !r.pick)
      return { final: 'NO_SELECTION', reason: `No box was selected within ${windowMs / HOUR_MS} hour(s)` };
    const { choice } = r.pick;
    const result = await reserve(r, point, choice, firstRound);
    if (result.outcome === 'reserved') return reservedOf(r, result, choice);
    await CancellationScope.nonCancellable(() => search(r, point));
    r.state.notice = `${result.message}; choose again`;
    r.setStatus('AWAITING_SELECTION'); // before answering: the selectBox call returns this state
    r.answerPick();
  }
}

/**
 * A NO_COVERAGE with the tenant's prospects on (docs/demand.md, "Prospects"): one OZmap prospect and one waitlist
 * entry, shown in the state before the final status (so `reservation.no_coverage` names it). One that cannot be made
 * after the activity's bounded retries does not fail the reservation: it still ends NO_COVERAGE, the reason saying
 * that no prospect was recorded, and the worker's log why. Returns the outcome's reason.
 */
export async function recordProspect(r: Reservation, point: Coordinates, reason: string): Promise<string> {
  const prospects = r.settings?.prospects;
  if (!prospects) return reason;
  try {
    r.state.prospect = await CancellationScope.nonCancellable(() =>
      ensureProspect({
        viabilityId: r.input.viabilityId,
        ...r.tenant,
        customer: r.input.customer,
        address: r.input.address ? formatAddress(r.input.address) : '',
        coordinates: point,
        radiusMeters: r.state.radiusMeters,
        reason,
        tags: prospects.tags,
        forDays: prospects.forDays,
      }),
    );
    return reason;
  } catch (err) {
    const why = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
    log.warn('NO_COVERAGE without a prospect: OZmap did not take it', { error: why });
    return `${reason} (no OZmap prospect was recorded: ${why})`;
  }
}

/**
 * Creates the "Não implantado" client on the chosen port, whatever happens to the workflow meanwhile. OZmap
 * refusing a port that reads free is tried REFUSAL_RETRIES more times before it counts as final. `firstRound`: no
 * reservePort ran before in this run, so its first attempt need not look the marker up (sweep.ts).
 */
export async function reserve(
  r: Reservation,
  point: Coordinates,
  choice: PortChoice,
  firstRound = false,
): Promise<ReservePortResult> {
  r.setStatus('RESERVING');
  const input = {
    viabilityId: r.input.viabilityId,
    ...r.tenant,
    customer: r.input.customer,
    address: r.input.address ? formatAddress(r.input.address) : '',
    coordinates: point,
    choice,
    radiusMeters: r.state.radiusMeters,
  };
  return CancellationScope.nonCancellable(async () => {
    for (let retries = 0; ; retries++) {
      try {
        const result = await reservePort({ ...input, firstRound: firstRound && retries === 0 });
        if (result.outcome === 'reserved' && result.uncertain) sweepLater(r, result);
        return result;
      } catch (err) {
        if (retries >= REFUSAL_RETRIES || !isRefusal(err)) throw err;
        log.info('OZmap refused a port that reads free, trying again', { boxId: choice.boxId, port: choice.port });
        await sleep(REFUSAL_RETRY_DELAY);
      }
    }
  });
}

/**
 * Holds the port until a confirm, a cancel or the end of the hold; a cancellation of the run counts as a cancel.
 * The timer follows `expiresAt`: an extension wakes it and it starts again to the new end. A change under way (a
 * move, an extension) finishes first: a confirm or cancel arriving during it is applied after it, and an end that
 * passed meanwhile still ends. A history grown long (many messages) continues as new, the hold going on there.
 */
export async function hold(r: Reservation): Promise<void> {
  const held = r.state.reservation!;
  await CancellationScope.nonCancellable(async () => {
    for (;;) {
      const until = held.expiresAt;
      const woken = await condition(
        () => (r.action !== undefined && !r.changing) || held.expiresAt !== until || r.shouldContinueAsNew(),
        Date.parse(until) - Date.now(),
      );
      if (r.changing) await condition(() => !r.changing);
      if (r.action !== undefined) return;
      if (held.expiresAt !== until) continue; // extended: the timer starts again to the new end
      if (!woken) return; // the hold ended
      // Many messages made the history long: the hold goes on in a fresh run, its state and timer's end carried over.
      await r.continueAsNew();
    }
  });
}

const reservedOf = (
  r: Reservation,
  result: Extract<ReservePortResult, { outcome: 'reserved' }>,
  choice: PortChoice,
): Reserved => {
  const reservation = reservationFrom(r.state.candidates, result, choice, Date.now(), r.state.holdDays);
  const left = result.leftAlone ?? [];
  if (left.length === 0) return { reservation };
  log.warn("Records with this viability's marker left alone", { leftAlone: left });
  const listed = left.map((p) => `property ${p.propertyId}: ${p.why}`).join('; ');
  return {
    reservation,
    notice: `OZmap has records with this viability's marker that were not taken as this reservation (${listed})`,
  };
};

const isRefusal = (err: unknown): boolean =>
  err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === FAILURES.OZmapRefused;
