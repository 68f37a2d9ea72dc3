/** The activities as the reservation workflow calls them, with their timeouts and retry policies. */
import { proxyActivities } from '@temporalio/workflow';
import type { ReservationActivities } from '../activities/index.ts';

/** Reading: cancellable, retried until OZmap or the geocoder answers (the status shows where it waits). */
export const { geocode, searchBoxes, surveyBoxes } = proxyActivities<ReservationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Writing: always run to completion (non-cancellable scope); idempotent, so retries are safe. */
export const { reservePort, confirmInstallation, releasePort, sweepDuplicates } =
  proxyActivities<ReservationActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
