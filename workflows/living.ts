/**
 * The living reservation's updates (docs/architecture.md, "A living reservation"): changeBox moves the held port to
 * another box or splitter port, extendHold pushes the hold's end later. One change at a time; a confirm or cancel
 * that arrives meanwhile is applied once it is done (the hold waits for it, steps.ts).
 */
import { ApplicationFailure, CancellationScope, patched, setHandler } from '@temporalio/workflow';
import { FAILURES } from '../contract/failures.ts';
import { changeBox, extendHold } from '../contract/messages.ts';
import type { ChangeBoxInput, ExtendHoldInput } from '../contract/schemas.ts';
import { MOVE_ATTEMPTS_PER_MOVE } from '../contract/limits.ts';
import { movePort, surveyForChange } from './activities.ts';
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
        refuseBeyondMoveLimits(r);
        patched(LIVING_RESERVATION_PATCH);
        r.moveAttempts++;
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
        return r.view();
      }),
    {
      validator: (change: unknown) => {
        const problems = changeBoxProblems(change);
        if (problems.length > 0) throw new Error(`Invalid change: ${problems.join('; ')}`);
        refuseUnlessHeld(r, 'changeBox');
        // Refused here, before anything is recorded: a caller repeating moves past the limit grows no history.
        refuseBeyondMoveLimits(r);
        const problem = moveTargetProblem(r.state, change as ChangeBoxInput);
        if (problem) throw new Error(problem);
      },
    },
  );

  setHandler(
    extendHold,
    (extension) =>
      // Nothing to wait for once its turn comes (a move under way goes first): the limit came with the settings.
      r.exclusively(() => {
        refuseUnlessHeld(r, 'extendHold');
        patched(LIVING_RESERVATION_PATCH);
        const end = extendedEnd(r.state.reservation!, extension.days, maxHoldDaysOf(r));
        if ('error' in end) throw refused(`extendHold refused: ${end.error}`);
        r.extended(end.expiresAt, extension.reason);
        return Promise.resolve(r.view());
      }),
    {
      validator: (extension: unknown) => {
        const problems = extendHoldProblems(extension);
        if (problems.length > 0) throw new Error(`Invalid extension: ${problems.join('; ')}`);
        refuseUnlessHeld(r, 'extendHold');
        // A hold beyond the limit is refused before anything is recorded (unless a change under way moves the end).
        if (r.changing) return;
        const end = extendedEnd(r.state.reservation!, (extension as ExtendHoldInput).days, maxHoldDaysOf(r));
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

/**
 * RESERVATION_MAX_MOVES moves per reservation, and MOVE_ATTEMPTS_PER_MOVE times as many tries: each try is a fresh
 * OZmap search and a few events, so neither a caller nor a flapping OZmap can repeat them without end.
 */
function refuseBeyondMoveLimits(r: Reservation): void {
  const { maxMoves } = r.settings!;
  const moves = r.state.moves ?? 0;
  if (moves >= maxMoves)
    throw refused(
      `changeBox refused: the reservation has moved ${moves} time(s), the most RESERVATION_MAX_MOVES (${maxMoves}) ` +
        'allows; cancel it and reserve again to move it further',
    );
  if (r.moveAttempts >= maxMoves * MOVE_ATTEMPTS_PER_MOVE)
    throw refused(
      `changeBox refused: ${r.moveAttempts} moves were tried, the most allowed ` +
        `(${MOVE_ATTEMPTS_PER_MOVE} × RESERVATION_MAX_MOVES, ${maxMoves})`,
    );
}

/** A held reservation's run has read its settings (the first thing it does). */
const maxHoldDaysOf = (r: Reservation): number => r.settings!.maxHoldDays;

const refused = (message: string) => ApplicationFailure.nonRetryable(message, FAILURES.ChangeRefused);
