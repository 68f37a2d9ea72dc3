/**
 * Late creates (docs/architecture.md, "Invariants" 1 and "Failures"): a create whose answer was lost may still be
 * applied by OZmap after the retry that looked for it found nothing. So a reserve that was not the first attempt of
 * the first round is swept again once such a create would have landed, and confirm and release sweep first: every
 * property with the viability's marker but the held one is released, never an implanted one.
 */
import { CancellationScope, log, sleep } from '@temporalio/workflow';
import type { ReservationRef } from '../../activities/index.ts';
import { sweepDuplicates } from './activities.ts';
import type { Reservation } from './reservation.ts';

/**
 * How late a create may still land: far beyond the 30 s an attempt may take and the OZmap client's timeout. A
 * create OZmap applies later than this, after the settle's own sweep too, is not caught.
 */
export const LATE_CREATE_GRACE = '10 minutes';

/**
 * Once, in the background of the hold: the grace, then a sweep that keeps `held`. Not waited for: a reservation
 * that settles sooner is swept by its confirm or release.
 */
export function sweepLater(r: Reservation, held: { propertyId: string }): void {
  const marker = { viabilityId: r.input.viabilityId, customerCode: r.input.customer.code, ...r.tenant };
  r.sweepPending = true;
  CancellationScope.nonCancellable(async () => {
    await sleep(LATE_CREATE_GRACE);
    const swept = await sweepDuplicates({ ...marker, keep: { propertyId: held.propertyId } });
    if (swept.released + swept.implanted + (swept.suspect ?? 0) > 0) log.warn('Late creates swept', { ...swept });
  })
    .catch((err: unknown) => log.warn('The late-create sweep failed', { error: String(err) }))
    .finally(() => (r.sweepPending = false));
}

/** What confirm and release act on: the held reservation, and the marker to sweep first. */
export function settleRef(r: Reservation): ReservationRef {
  const { propertyId, clientId } = r.state.reservation!;
  const sweep = { viabilityId: r.input.viabilityId, customerCode: r.input.customer.code, ...r.tenant };
  return { propertyId, clientId, ...r.tenant, sweep };
}
