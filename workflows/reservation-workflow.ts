/**
 * ReservationWorkflow (DESIGN §2-3): locate the customer, find a box with a free port, reserve it as a
 * "Não implantado" client in OZmap, hold it up to `holdDays`, then confirm the installation or release the port.
 *
 * A cancellation of the workflow itself counts as a cancelReservation signal: whatever was reserved is released
 * in a non-cancellable scope, so nothing is ever left holding a port.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ReservationActivities, ReservePortResult } from '../activities/index.ts';
import { DAY_MS, DEFAULTS, HOUR_MS } from '../contract/defaults.ts';
import { cancelReservation, confirmSale, getState, selectBox, waitForReservation } from '../contract/messages.ts';
import {
  ReservationInput,
  SelectBoxInput,
  type Coordinates,
  type PortChoice,
  type Reservation,
  type ReservationState,
} from '../contract/schemas.ts';
import {
  BoxIdKey,
  CustomerCodeKey,
  ReservationExpiresAtKey,
  ReservationStatusKey,
  ViabilityIdKey,
} from '../contract/search-attributes.ts';
import { isFinal, isSettled, type FinalStatus, type ReservationStatus } from '../contract/statuses.ts';
import { formatAddress, pickAutomatic, resolveSelection } from './decisions.ts';

/** Since this patch the search also reports the boxes in the radius that cannot take the customer (greyed on the map). */
const SURVEY_BOXES_PATCH = 'survey-boxes';

/** Reading: cancellable, retried until OZmap or the geocoder answers (the status shows where it waits). */
const { geocode, searchBoxes, surveyBoxes } = proxyActivities<ReservationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Writing: always run to completion (non-cancellable scope); idempotent, so retries are safe. */
const { reservePort, confirmInstallation, releasePort } = proxyActivities<ReservationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Port conflicts tolerated in auto mode before giving up as NO_COVERAGE. */
const MAX_RESERVE_ATTEMPTS = 8;
/** Wait between rounds when confirming or releasing fails for a reason retries cannot fix (visible meanwhile). */
const STUCK_RETRY_INTERVAL = '1 hour';

type Action = { kind: 'confirm'; note?: string } | { kind: 'cancel'; reason: string };

export async function ReservationWorkflow(rawInput: ReservationInput): Promise<ReservationState> {
  const parsed = ReservationInput.safeParse(rawInput);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw ApplicationFailure.nonRetryable(`Invalid reservation input: ${problems}`, 'InvalidReservationInput');
  }
  const input = parsed.data;
  const selectionTimeoutMs = (input.selectionTimeoutHours ?? DEFAULTS.selectionTimeoutHours) * HOUR_MS;

  const state: ReservationState = {
    viabilityId: input.viabilityId,
    status: input.coordinates ? 'SEARCHING' : 'GEOCODING',
    selection: input.selection ?? 'auto',
    radiusMeters: input.radiusMeters ?? DEFAULTS.radiusMeters,
    holdDays: input.holdDays ?? DEFAULTS.holdDays,
    candidates: [],
  };
  /** The first confirm or cancel wins; one that arrives before the reservation is applied once it exists. */
  let action: Action | undefined;
  let pendingSelection: { round: number; choice: PortChoice } | undefined;
  let selectionsAsked = 0;
  let selectionsAnswered = 0;
  /** Set when the workflow is about to fail, so that waiting update handlers answer instead of holding it open. */
  let failure: string | undefined;

  setHandler(getState, () => state);
  setHandler(waitForReservation, async () => {
    await condition(() => isSettled(state.status) || failure !== undefined);
    if (failure !== undefined)
      throw ApplicationFailure.nonRetryable(`The reservation failed: ${failure}`, 'ReservationFailed');
    return state;
  });
  setHandler(
    selectBox,
    async (selection) => {
      const round = ++selectionsAsked;
      const choice = resolveSelection(state.candidates, selection);
      // The validator already refused anything unresolvable; this only narrows the type.
      if ('error' in choice) throw ApplicationFailure.nonRetryable(choice.error, 'InvalidSelection');
      pendingSelection = { round, choice };
      await condition(() => selectionsAnswered >= round || failure !== undefined);
      if (failure !== undefined)
        throw ApplicationFailure.nonRetryable(`The reservation failed: ${failure}`, 'ReservationFailed');
      return state;
    },
    {
      validator: (selection) => {
        const parsedSelection = SelectBoxInput.safeParse(selection);
        if (!parsedSelection.success)
          throw new Error(
            `Invalid selection: ${parsedSelection.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        if (state.status !== 'AWAITING_SELECTION')
          throw new Error(`selectBox is only accepted while AWAITING_SELECTION; the reservation is ${state.status}`);
        if (pendingSelection || action?.kind === 'cancel')
          throw new Error('another selection is already being reserved');
        const choice = resolveSelection(state.candidates, parsedSelection.data);
        if ('error' in choice) throw new Error(choice.error);
      },
    },
  );
  setHandler(confirmSale, (payload) => {
    action ??= { kind: 'confirm', note: payload?.note };
  });
  setHandler(cancelReservation, (payload) => {
    action ??= { kind: 'cancel', reason: payload?.reason ? `Cancelled: ${payload.reason}` : 'Cancelled by Ispbox' };
  });
  CancellationScope.current().cancelRequested.catch(() => {
    action ??= { kind: 'cancel', reason: 'Cancelled: the workflow was cancelled' };
  });

  const setStatus = (status: ReservationStatus) => {
    state.status = status;
    upsertSearchAttributes([{ key: ReservationStatusKey, value: status }]);
    setCurrentDetails(describe(state));
  };
  const finish = (status: FinalStatus, reason: string): ReservationState => {
    state.outcome = { reason, at: new Date().toISOString() };
    state.notice = undefined;
    setStatus(status);
    selectionsAnswered = selectionsAsked;
    return state;
  };
  const cancelled = () => (action?.kind === 'cancel' ? action.reason : undefined);

  upsertSearchAttributes([
    { key: ViabilityIdKey, value: input.viabilityId },
    { key: CustomerCodeKey, value: input.customer.code },
    { key: ReservationStatusKey, value: state.status },
  ]);
  setCurrentDetails(describe(state));

  const run = async (): Promise<ReservationState> => {
    // 1. Where is the customer?
    let point: Coordinates;
    if (input.coordinates) {
      point = input.coordinates;
      state.coordinates = { ...input.coordinates, source: 'input' };
    } else {
      const query = formatAddress(input.address!);
      const found = await geocode({ query });
      if (!found) return finish('ADDRESS_NOT_FOUND', `The geocoder found no place for "${query}"`);
      point = { lat: found.lat, lng: found.lng };
      state.coordinates = { ...point, source: 'geocoder', displayName: found.displayName };
    }
    if (cancelled()) return finish('CANCELLED', cancelled()!);

    // 2. Search and reserve: a port someone else took meanwhile is never forced.
    const reserved = state.selection === 'auto' ? await reserveAutomatically(point) : await reserveBySelection(point);
    if ('final' in reserved) return finish(reserved.final, reserved.reason);

    // 3. Hold, durably, until a confirm, a cancel or the end of the hold.
    const { reservation } = reserved;
    state.reservation = reservation;
    state.notice = undefined;
    upsertSearchAttributes([
      { key: BoxIdKey, value: reservation.boxId },
      { key: ReservationExpiresAtKey, value: new Date(reservation.expiresAt) },
    ]);
    setStatus('RESERVED');
    selectionsAnswered = selectionsAsked; // a selectBox call answers with the RESERVED state
    await CancellationScope.nonCancellable(() =>
      condition(() => action !== undefined, Date.parse(reservation.expiresAt) - Date.now()),
    );

    // 4. Settle: confirm or release, whatever happens to the workflow meanwhile.
    return CancellationScope.nonCancellable(async () => {
      const ref = { propertyId: reservation.propertyId, clientId: reservation.clientId };
      if (action?.kind === 'confirm') {
        setStatus('CONFIRMING');
        const confirmed = await untilDone('confirming the installation', () => confirmInstallation(ref));
        return confirmed.outcome === 'confirmed'
          ? finish('INSTALLED', action.note ? `Sale confirmed: ${action.note}` : 'Sale confirmed')
          : finish('CANCELLED', 'The reservation was removed in OZmap before the sale was confirmed');
      }
      setStatus('RELEASING');
      const released = await untilDone('releasing the port', () => releasePort(ref));
      if (released.outcome === 'installed')
        return finish('INSTALLED', 'The client was already implanted in OZmap: kept, not released');
      return action?.kind === 'cancel'
        ? finish('CANCELLED', action.reason)
        : finish('EXPIRED', `The hold of ${state.holdDays} day(s) ended without a confirmed sale: port released`);
    });
  };

  type Reserved = { reservation: Reservation } | { final: FinalStatus; reason: string };

  const search = async (point: Coordinates) => {
    setStatus('SEARCHING');
    const search = { ...point, radiusMeters: state.radiusMeters };
    // Histories recorded before the map page scheduled searchBoxes; they must replay with it.
    if (patched(SURVEY_BOXES_PATCH)) {
      const survey = await surveyBoxes(search);
      state.candidates = survey.candidates;
      state.unavailableBoxes = survey.unavailable;
    } else {
      state.candidates = await searchBoxes(search);
    }
  };

  const attempt = async (point: Coordinates, choice: PortChoice): Promise<ReservePortResult> => {
    setStatus('RESERVING');
    return CancellationScope.nonCancellable(() =>
      reservePort({
        viabilityId: input.viabilityId,
        customer: input.customer,
        address: input.address ? formatAddress(input.address) : '',
        coordinates: point,
        choice,
      }),
    );
  };

  const reservationFrom = (
    result: Extract<ReservePortResult, { outcome: 'reserved' }>,
    choice: PortChoice,
  ): Reservation => {
    const box = state.candidates.find((c) => c.boxId === result.boxId);
    const splitter = box?.splitters.find((s) => s.splitterId === result.splitterId);
    const reservedAt = Date.now();
    return {
      boxId: result.boxId,
      boxName: box?.boxName ?? (result.boxId === choice.boxId ? choice.boxName : result.boxId),
      splitterId: result.splitterId,
      splitterName:
        splitter?.splitterName ?? (result.splitterId === choice.splitterId ? choice.splitterName : result.splitterId),
      port: result.port,
      clientId: result.clientId,
      propertyId: result.propertyId,
      reservedAt: new Date(reservedAt).toISOString(),
      expiresAt: new Date(reservedAt + state.holdDays * DAY_MS).toISOString(),
    };
  };

  const reserveAutomatically = async (point: Coordinates): Promise<Reserved> => {
    for (let round = 1; round <= MAX_RESERVE_ATTEMPTS; round++) {
      await search(point);
      if (cancelled()) return { final: 'CANCELLED', reason: cancelled()! };
      const choice = pickAutomatic(state.candidates);
      if (!choice) {
        const reason =
          round === 1
            ? `No box with a free port within ${state.radiusMeters} m`
            : `Every free port within ${state.radiusMeters} m was taken meanwhile`;
        return { final: 'NO_COVERAGE', reason };
      }
      const result = await attempt(point, choice);
      if (result.outcome === 'reserved') return { reservation: reservationFrom(result, choice) };
      state.notice = `${result.message}; trying the next free port`;
      log.info('Port taken, searching again', { round, boxId: choice.boxId, port: choice.port });
    }
    return {
      final: 'NO_COVERAGE',
      reason: `Gave up after ${MAX_RESERVE_ATTEMPTS} ports were taken by others while reserving`,
    };
  };

  const reserveBySelection = async (point: Coordinates): Promise<Reserved> => {
    await search(point);
    const deadline = Date.now() + selectionTimeoutMs;
    for (;;) {
      if (cancelled()) return { final: 'CANCELLED', reason: cancelled()! };
      if (state.candidates.length === 0)
        return { final: 'NO_COVERAGE', reason: `No box with a free port within ${state.radiusMeters} m` };
      if (state.status !== 'AWAITING_SELECTION') setStatus('AWAITING_SELECTION');
      const picked = await CancellationScope.nonCancellable(() =>
        condition(
          () => pendingSelection !== undefined || cancelled() !== undefined,
          Math.max(0, deadline - Date.now()),
        ),
      );
      if (cancelled()) return { final: 'CANCELLED', reason: cancelled()! };
      if (!picked || !pendingSelection)
        return { final: 'NO_SELECTION', reason: `No box was selected within ${selectionTimeoutMs / HOUR_MS} hour(s)` };
      const { round, choice } = pendingSelection;
      const result = await attempt(point, choice);
      pendingSelection = undefined;
      if (result.outcome === 'reserved') return { reservation: reservationFrom(result, choice) };
      await CancellationScope.nonCancellable(() => search(point));
      state.notice = `${result.message}; choose again`;
      setStatus('AWAITING_SELECTION'); // before answering: the selectBox call returns this state
      selectionsAnswered = round;
    }
  };

  /** Runs a settling activity until it succeeds; a failure retries cannot fix stays visible in the state. */
  const untilDone = async <T>(what: string, step: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await step();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        state.notice = `${what} is failing (${err.cause?.message ?? err.message}); trying again in ${STUCK_RETRY_INTERVAL}`;
        setCurrentDetails(describe(state));
        log.warn(`${what} failed`, { error: err.cause?.message });
        await sleep(STUCK_RETRY_INTERVAL);
      }
    }
  };

  try {
    return await run();
  } catch (err) {
    // Cancelled while geocoding or searching: nothing was reserved, so nothing to release.
    if (isCancellation(err) && !state.reservation)
      return finish('CANCELLED', cancelled() ?? 'Cancelled: the workflow was cancelled');
    // Failing: the update handlers still waiting must answer first, or waiting for them below would never end.
    failure =
      err instanceof ActivityFailure
        ? (err.cause?.message ?? err.message)
        : err instanceof Error
          ? err.message
          : String(err);
    throw err;
  } finally {
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  }
}

/** Markdown for the Web UI's "current details". */
function describe(state: ReservationState): string {
  const lines = [`**${state.status}** — viability \`${state.viabilityId}\``];
  const r = state.reservation;
  if (r) lines.push(`Box **${r.boxName}**, ${r.splitterName}, port **${r.port}**; held until ${r.expiresAt}`);
  else if (state.candidates.length > 0)
    lines.push(`${state.candidates.length} candidate box(es) within ${state.radiusMeters} m`);
  if (state.notice) lines.push(`⚠ ${state.notice}`);
  if (state.outcome && isFinal(state.status)) lines.push(state.outcome.reason);
  return lines.join('\n\n');
}
