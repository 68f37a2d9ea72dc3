/**
 * The living reservation's updates (docs/architecture.md, "A living reservation"): changeBox moves the held port to
 * another box or splitter port, extendHold pushes the hold's end later. One change at a time; a confirm or cancel
 * that arrives meanwhile is applied once it is done (the hold waits for it, steps.ts).
 */
import { ApplicationFailure, CancellationScope, patched, setHandler } from '@temporalio/workflow';
import { FAILURES } from '../contract/failures.ts';
import { changeBox, extendHold } from '../contract/messages.ts';
import type { ChangeBoxInput, ExtendHoldInput } from '../contract/schemas.ts';
import { holdLimit, movePort, surveyForChange } from './activities.ts';
import {
  changeBoxProblems,
  choiceOf,
  extendHoldProblems,
  extendedEnd,
  moveTargetProblem,
  placeOf,
  resolveMove,
} from './changes.ts';
import type { Reservation } from './reservation.ts';

/**
 * Marks, before a change's first command, the runs that moved or extended: later code can tell them apart. The hold
 * itself needs no branch: until an extension (which no older history holds) it issues the one timer it always did.
 */
export const LIVING_RESERVATION_PATCH = 'living-reservation';

export function listenForChanges(r: Reservation): void {
  setHandler(
    changeBox,
    (change) =>
      r.exclusively(async () => {
        refuseUnlessHeld(r, 'changeBox');
        patched(LIVING_RESERVATION_PATCH);
        const current = r.state.reservation!;
        // A fresh search (the state's candidates may be days old); the state itself changes only once moved.
        const { lat, lng } = r.state.coordinates!;
        const survey = await CancellationScope.nonCancellable(() =>
          surveyForChange({ lat, lng, radiusMeters: r.state.radiusMeters }),
        );
        const target = resolveMove(survey.candidates, change);
        if ('error' in target) throw refused(target.error);
        const moved = await CancellationScope.nonCancellable(() =>
          movePort({ propertyId: current.propertyId, from: choiceOf(current), to: target }),
        );
        if (moved.outcome === 'port-taken') throw refused(`${moved.message}: the reservation stays where it was`);
        r.moved(
          placeOf({ ...target, boxId: moved.boxId, splitterId: moved.splitterId, port: moved.port }),
          change.reason,
        );
        return r.state;
      }),
    {
      validator: (change: unknown) => {
        const problems = changeBoxProblems(change);
        if (problems.length > 0) throw new Error(`Invalid change: ${problems.join('; ')}`);
        refuseUnlessHeld(r, 'changeBox');
        const problem = moveTargetProblem(r.state, change as ChangeBoxInput);
        if (problem) throw new Error(problem);
      },
    },
  );

  setHandler(
    extendHold,
    (extension) =>
      r.exclusively(async () => {
        refuseUnlessHeld(r, 'extendHold');
        patched(LIVING_RESERVATION_PATCH);
        // Read once per run: the limit in force when this reservation first extended, recorded in its history.
        r.maxHoldDays ??= (await holdLimit()).maxHoldDays;
        const end = extendedEnd(r.state.reservation!, extension.days, r.maxHoldDays);
        if ('error' in end) throw refused(`extendHold refused: ${end.error}`);
        r.extended(end.expiresAt, extension.reason);
        return r.state;
      }),
    {
      validator: (extension: unknown) => {
        const problems = extendHoldProblems(extension);
        if (problems.length > 0) throw new Error(`Invalid extension: ${problems.join('; ')}`);
        refuseUnlessHeld(r, 'extendHold');
        // Once the limit is known, a hold beyond it is refused before anything is recorded.
        if (r.maxHoldDays === undefined || r.changing) return;
        const end = extendedEnd(r.state.reservation!, (extension as ExtendHoldInput).days, r.maxHoldDays);
        if ('error' in end) throw new Error(`extendHold refused: ${end.error}`);
      },
    },
  );
}

/** Only a held reservation changes: not before it is reserved, nor once a confirm, cancel or the end came. */
function refuseUnlessHeld(r: Reservation, update: string): void {
  if (r.state.status !== 'RESERVED' || !r.state.reservation)
    throw refused(`${update} is only accepted while RESERVED; the reservation is ${r.state.status}`);
  if (r.action !== undefined)
    throw refused(
      `${update} refused: the reservation is being ${r.action.kind === 'confirm' ? 'confirmed' : 'released'}`,
    );
}

const refused = (message: string) => ApplicationFailure.nonRetryable(message, FAILURES.ChangeRefused);
