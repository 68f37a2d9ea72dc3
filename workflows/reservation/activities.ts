/** The activities as the reservation workflow calls them, with their timeouts and retry policies. */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ReservationActivities } from '../../activities/index.ts';
import type { ProspectActivities } from '../../activities/prospects.ts';
import type { SettingsActivities } from '../../activities/settings.ts';

/** Reading: cancellable, retried until OZmap or the geocoder answers (the status shows where it waits). */
export const { geocode, surveyBoxes } = proxyActivities<ReservationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Writing: always run to completion (non-cancellable scope); idempotent, so retries are safe. */
export const { reservePort, confirmInstallation, releasePort, sweepDuplicates, movePort } =
  proxyActivities<ReservationActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });

/**
 * A settle's first attempts, in the workflow task that decided it (the hold's end, a confirm, a cancel): when OZmap
 * answers, as it nearly always does, no activity task and no second workflow task. A few quick attempts only: one that
 * keeps failing goes on as the activity above, visibly and without bound (settle.ts).
 */
export const { confirmInstallation: confirmAtOnce, releasePort: releaseAtOnce } =
  proxyLocalActivities<ReservationActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
  });

/**
 * A changeBox's fresh search: someone waits for the answer, so an unreachable OZmap refuses the move after a few
 * attempts (with the reason) instead of holding the update, and every other change, open.
 */
export const { surveyBoxes: surveyForChange } = proxyActivities<ReservationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 4 },
});

/**
 * The worker's limits and webhook switch (contract/limits.ts): configuration, not I/O, read once per run as a local
 * activity, so history keeps what the run goes by.
 */
export const { reservationSettings } = proxyLocalActivities<SettingsActivities>({ startToCloseTimeout: '10 seconds' });

/**
 * A NO_COVERAGE's prospect (docs/demand.md, "Prospects"): idempotent, so retried, but a bounded number of times (about
 * three minutes at worst): an OZmap that will not take it leaves the reservation NO_COVERAGE without one, saying so.
 */
export const { ensureProspect } = proxyActivities<ProspectActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});
