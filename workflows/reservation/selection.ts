/**
 * selectBox, manual mode's choice (docs/architecture.md, "Reservation flow"): the validator refuses a pick outside
 * AWAITING_SELECTION or off the candidates before anything is recorded; the handler hands the pick to the select
 * step (steps.ts, reserveChosen) and answers once that port is reserved, or taken meanwhile (fresh candidates).
 */
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { FAILURES } from '../../contract/failures.ts';
import type { ReservationState, SelectBoxInput } from '../../contract/schemas.ts';
import { resolveSelection, selectionProblems } from './decisions.ts';
import type { PendingSelection, Reservation } from './reservation.ts';

export class Selection {
  constructor(private readonly r: Reservation) {}

  /** Checked by hand: payloads come from any client, and the workflow bundle carries no schema library. */
  validate(payload: unknown): void {
    const { r } = this;
    const problems = selectionProblems(payload);
    if (problems.length > 0) throw new Error(`Invalid selection: ${problems.join('; ')}`);
    if (r.state.status !== 'AWAITING_SELECTION')
      throw new Error(`selectBox is only accepted while AWAITING_SELECTION; the reservation is ${r.state.status}`);
    if (r.pick || r.cancelled !== undefined) throw new Error('another selection is already being reserved');
    const choice = resolveSelection(r.state.candidates, payload as SelectBoxInput);
    if ('error' in choice) throw new Error(choice.error);
  }

  async reserve(selection: SelectBoxInput): Promise<ReservationState> {
    const { r } = this;
    const choice = resolveSelection(r.state.candidates, selection);
    // The validator already refused anything unresolvable; this only narrows the type.
    if ('error' in choice) throw ApplicationFailure.nonRetryable(choice.error, FAILURES.InvalidSelection);
    const pick: PendingSelection = { choice, answered: false };
    r.pick = pick;
    await condition(() => pick.answered || r.failure !== undefined);
    r.throwIfFailed();
    return r.state;
  }
}
