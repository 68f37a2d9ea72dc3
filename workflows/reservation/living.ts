/**
 * The living reservation's updates (docs/architecture.md, "A living reservation"): changeBox moves the held port to
 * another box or splitter port, extendHold pushes the hold's end later. One change at a time; a confirm or cancel
 * that arrives meanwhile is applied once it is done (the hold waits for it, steps.ts). The validators refuse what
 * the state alone can refuse, before anything is recorded; the pure rules are in changes.ts.
 */
import { ApplicationFailure, CancellationScope, condition } from '@temporalio/workflow';
import { FAILURES } from '../../contract/failures.ts';
import { MOVE_ATTEMPTS_PER_MOVE } from '../../contract/limits.ts';
import type { BriefState, ChangeBoxInput, ExtendHoldInput } from '../../contract/schemas.ts';
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

export class Changes {
  constructor(private readonly r: Reservation) {}

  validateMove(payload: unknown): void {
    const problems = changeBoxProblems(payload);
    if (problems.length > 0) throw new Error(`Invalid change: ${problems.join('; ')}`);
    this.refuseUnlessHeld('changeBox');
    // Refused here, before anything is recorded: a caller repeating moves past the limit grows no history.
    this.refuseBeyondMoveLimits();
    const problem = moveTargetProblem(this.r.state, payload as ChangeBoxInput);
    if (problem) throw new Error(problem);
  }

  move(change: ChangeBoxInput): Promise<BriefState> {
    const { r } = this;
    return this.exclusively(async () => {
      this.refuseUnlessHeld('changeBox');
      this.refuseBeyondMoveLimits();
      r.moveAttempts++;
      const current = r.state.reservation!;
      // A fresh search (the state's candidates may be days old); the state itself changes only once moved.
      const { lat, lng } = r.state.coordinates!;
      const survey = await CancellationScope.nonCancellable(() => surveyForChange(r.searchArea({ lat, lng })));
      const target = resolveMove(survey.candidates, change);
      if ('error' in target) throw refused(target.error);
      const moved = await CancellationScope.nonCancellable(() =>
        movePort({ propertyId: current.propertyId, from: choiceOf(current), to: target, ...r.tenant }),
      );
      if (moved.outcome === 'port-taken') throw refused(`${moved.message}: the reservation stays where it was`);
      // The drop OZmap drew is the target box's (a move never lands elsewhere: movePort refuses instead).
      r.moved(
        placeOf({ ...target, boxId: moved.boxId, splitterId: moved.splitterId, port: moved.port }),
        change.reason,
        survey.candidates.find((c) => c.boxId === moved.boxId)?.drop,
      );
      return r.view();
    });
  }

  validateExtension(payload: unknown): void {
    const problems = extendHoldProblems(payload);
    if (problems.length > 0) throw new Error(`Invalid extension: ${problems.join('; ')}`);
    this.refuseUnlessHeld('extendHold');
    // A hold beyond the limit is refused before anything is recorded (unless a change under way moves the end).
    if (this.r.changing) return;
    const end = extendedEnd(this.r.state.reservation!, (payload as ExtendHoldInput).days, this.maxHoldDays());
    if ('error' in end) throw new Error(`extendHold refused: ${end.error}`);
  }

  extend(extension: ExtendHoldInput): Promise<BriefState> {
    // Nothing to wait for once its turn comes (a move under way goes first): the limit came with the settings.
    return this.exclusively(() => {
      this.refuseUnlessHeld('extendHold');
      const end = extendedEnd(this.r.state.reservation!, extension.days, this.maxHoldDays());
      if ('error' in end) throw refused(`extendHold refused: ${end.error}`);
      this.r.extended(end.expiresAt, extension.reason);
      return Promise.resolve(this.r.view());
    });
  }

  /** Runs one change at a time, in the order they came. */
  private async exclusively<T>(change: () => Promise<T>): Promise<T> {
    const { r } = this;
    // Re-checked after each wake-up: two waiters may be woken together, and only the first may go.
    while (r.changing) await condition(() => !r.changing);
    r.changing = true;
    try {
      return await change();
    } finally {
      r.changing = false;
    }
  }

  /** Only a held reservation changes: not before it is reserved, nor once a confirm, cancel or the end came. */
  private refuseUnlessHeld(update: string): void {
    const { r } = this;
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
  private refuseBeyondMoveLimits(): void {
    const { r } = this;
    const { maxMoves } = r.settings!;
    const moves = r.state.moves ?? 0;
    if (moves >= maxMoves)
      throw refused(
        `changeBox refused: the reservation has moved ${moves} time(s), the most RESERVATION_MAX_MOVES ` +
          `(${maxMoves}) allows; cancel it and reserve again to move it further`,
      );
    if (r.moveAttempts >= maxMoves * MOVE_ATTEMPTS_PER_MOVE)
      throw refused(
        `changeBox refused: ${r.moveAttempts} moves were tried, the most allowed ` +
          `(${MOVE_ATTEMPTS_PER_MOVE} × RESERVATION_MAX_MOVES, ${maxMoves})`,
      );
  }

  /** A held reservation's run has read its settings (the first thing it does). */
  private maxHoldDays(): number {
    return this.r.settings!.maxHoldDays;
  }
}

const refused = (message: string) => ApplicationFailure.nonRetryable(message, FAILURES.ChangeRefused);
