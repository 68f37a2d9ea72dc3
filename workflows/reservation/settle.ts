/**
 * The settle (docs/architecture.md, "Reservation flow"): confirm the installation or release the port, whatever happens
 * to the workflow meanwhile. A confirm or release that fails for a reason retries cannot fix is tried again every hour,
 * visibly; a run stuck like that continues as new every so often, so that its history stays small.
 */
import {
  ActivityFailure,
  CancellationScope,
  TemporalFailure,
  isCancellation,
  log,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReservationState } from '../../contract/schemas.ts';
import { confirmAtOnce, confirmInstallation, releaseAtOnce, releasePort } from './activities.ts';
import type { Reservation } from './reservation.ts';
import { settleRef } from './sweep.ts';

/** Wait between rounds when confirming or releasing fails for a reason retries cannot fix (visible meanwhile). */
const STUCK_RETRY_INTERVAL = '1 hour';

/** Confirms (a sale was confirmed) or releases (a cancel, or the end of the hold); a continued run resumes it. */
export function settle(r: Reservation): Promise<ReservationState> {
  return CancellationScope.nonCancellable(async () => {
    const { state } = r;
    if (state.status !== 'CONFIRMING' && state.status !== 'RELEASING')
      r.setStatus(r.action?.kind === 'confirm' ? 'CONFIRMING' : 'RELEASING');
    else r.showDetails(); // a continued run: its status and search attributes came with it
    const ref = settleRef(r);
    if (state.status === 'CONFIRMING') {
      const note = r.action?.kind === 'confirm' ? r.action.note : undefined;
      const confirmed = await untilDone(
        r,
        'confirming the installation',
        () => confirmAtOnce(ref),
        () => confirmInstallation(ref),
      );
      return confirmed.outcome === 'confirmed'
        ? r.finish('INSTALLED', note ? `Sale confirmed: ${note}` : 'Sale confirmed')
        : r.finish('CANCELLED', 'The reservation was removed in OZmap before the sale was confirmed');
    }
    const released = await untilDone(
      r,
      'releasing the port',
      () => releaseAtOnce(ref),
      () => releasePort(ref),
    );
    if (released.outcome === 'installed')
      return r.finish('INSTALLED', 'The client was already implanted in OZmap: kept, not released');
    // Another client on the property: deleting it would take that client too (OZmap fact O18, Invariant 7).
    if (released.outcome === 'not-ours')
      return r.finish(
        r.cancelled !== undefined ? 'CANCELLED' : 'EXPIRED',
        `${r.cancelled ?? `The hold of ${state.holdDays} day(s) ended`}; nothing released in OZmap: ${released.why}`,
      );
    return r.cancelled !== undefined
      ? r.finish('CANCELLED', r.cancelled)
      : r.finish('EXPIRED', `The hold of ${state.holdDays} day(s) ended without a confirmed sale: port released`);
  });
}

/**
 * Runs a settling step until it succeeds: first `atOnce` (a local activity, in this workflow task), then, should that
 * fail, `step` (the same activity, retried by the server) round after round, the failure shown in the state (status,
 * search attribute, memo) until it succeeds.
 */
async function untilDone<T>(
  r: Reservation,
  what: string,
  atOnce: () => Promise<T>,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await atOnce();
  } catch (err) {
    // A local activity's failure comes as the activity's own (ApplicationFailure, TimeoutFailure), not wrapped.
    if (!(err instanceof TemporalFailure) || isCancellation(err)) throw err;
    log.info(`${what} did not go through at once; trying again as an activity`, { error: err.message });
    r.showStep(); // from now on it may take a while: the status is shown
  }
  for (let round = 1; ; round++) {
    try {
      return await step();
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const why = err.cause?.message ?? err.message;
      r.state.notice = `${what} is failing (${why}); trying again in ${STUCK_RETRY_INTERVAL}`;
      r.settleFailing = true; // waitForReservation answers now: a handler left waiting would block continue-as-new
      r.showStep();
      log.warn(`${what} failed`, { error: err.cause?.message });
      await sleep(STUCK_RETRY_INTERVAL);
      // About 11 events a round: a run stays far below Temporal's 10,240-event warning.
      if (round >= r.settings!.settleRoundsPerRun || workflowInfo().continueAsNewSuggested) await r.continueAsNew();
    }
  }
}
