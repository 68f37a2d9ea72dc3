/**
 * ReservationWorkflow (docs/architecture.md, "Reservation flow"): locate the customer, search the radius for a box with
 * a free port, select one, reserve it as a "Não implantado" client in OZmap, hold it up to `holdDays`, then settle:
 * confirm the installation or release the port.
 *
 * A cancellation of the workflow itself counts as a cancelReservation signal: whatever was reserved is released
 * in a non-cancellable scope, so nothing is ever left holding a port.
 */
import { ApplicationFailure, CancellationScope, setHandler } from '@temporalio/workflow';
import { FAILURES } from '../../contract/failures.ts';
import {
  cancelReservation,
  changeBox,
  confirmSale,
  extendHold,
  getState,
  selectBox,
  waitForReservation,
} from '../../contract/messages.ts';
import {
  readContinuedV1,
  readRecordedInputV1,
  type ContinuedV1,
  type ReadResult,
  type RecordedInputV1,
} from '../../contract/recorded-input.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import { Changes } from './living.ts';
import { Reservation } from './reservation.ts';
import { Selection } from './selection.ts';
import { settle } from './settle.ts';
import { hold, locate, recordProspect, reserveChosen, reserveNearest } from './steps.ts';

/** `continued` is there only in a run continued as new: a long hold (steps.ts), or a stuck settle (settle.ts). */
export async function ReservationWorkflow(
  recorded: RecordedInputV1,
  continued?: ContinuedV1,
): Promise<ReservationState> {
  const input = accepted(readRecordedInputV1(recorded));
  const resumed = continued === undefined ? undefined : accepted(readContinuedV1(continued));
  const r = new Reservation(recorded, input, resumed);
  const selection = new Selection(r);
  const changes = new Changes(r);

  // Every message this workflow takes, registered before any step so that one sent with the start comes first.
  setHandler(getState, () => r.state);
  setHandler(waitForReservation, () => r.settled());
  setHandler(selectBox, (choice) => selection.reserve(choice), { validator: (choice) => selection.validate(choice) });
  setHandler(confirmSale, (payload) => r.confirm(payload));
  setHandler(cancelReservation, (payload) => r.cancel(payload));
  setHandler(changeBox, (change) => changes.move(change), { validator: (change) => changes.validateMove(change) });
  setHandler(extendHold, (extension) => changes.extend(extension), {
    validator: (extension) => changes.validateExtension(extension),
  });
  CancellationScope.current().cancelRequested.catch(() => r.cancel(undefined, 'Cancelled: the workflow was cancelled'));

  if (resumed) return r.run(() => resume(r)); // carry on where the last run stopped
  r.announce();
  return r.run(async () => {
    await r.acceptSettings();
    const point = await locate(r);
    if ('final' in point) return r.finish(point.final, point.reason);
    if (r.cancelled) return r.finish('CANCELLED', r.cancelled);
    // Search, select and reserve: a port someone else took meanwhile is never forced.
    const reserved = r.input.selection === 'auto' ? await reserveNearest(r, point) : await reserveChosen(r, point);
    if ('final' in reserved && reserved.final === 'NO_COVERAGE')
      return r.finish('NO_COVERAGE', await recordProspect(r, point, reserved.reason));
    if ('final' in reserved) return r.finish(reserved.final, reserved.reason);
    r.reserved(reserved.reservation, reserved.notice);
    await hold(r);
    return settle(r);
  });
}

/** A continued run: the hold goes on (a long one continued as new), or the settle that kept failing. */
async function resume(r: Reservation): Promise<ReservationState> {
  await r.acceptSettings();
  if (r.state.status === 'RESERVED') {
    r.showDetails();
    r.events.resumeReminders();
    await hold(r);
  }
  return settle(r);
}

/** What the workflow cannot run without is missing: it fails at once, naming each problem. */
function accepted<T>(read: ReadResult<T>): T {
  if (read.ok) return read.value;
  throw ApplicationFailure.nonRetryable(
    `Invalid reservation input: ${read.problems.join('; ')}`,
    FAILURES.InvalidReservationInput,
  );
}
