/**
 * One reservation as its workflow holds it (docs/architecture.md, "Reservation flow"): its state and what the state
 * shows (status, search attributes, the Web UI's details, webhook events), the settings it runs by, the first confirm
 * or cancel, and the run's own course (failing visibly, continuing as new). The message handlers (workflow.ts, with
 * selection.ts and living.ts) and the steps read and change it: samples-typescript's safe-message-handlers shape.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  ActivityFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  makeContinueAsNewFunc,
  setCurrentDetails,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { DEFAULT_TENANT_ID } from '../../contract/ids.ts';
import { FAILURES } from '../../contract/failures.ts';
import type { ContinuedV1, RunInputV1, SettleAction } from '../../contract/recorded-input.ts';
import { CANDIDATES_KEPT, CHANGES_KEPT, holdDaysProblem, type ReservationSettings } from '../../contract/limits.ts';
import { PASSING_STATUSES, STATE_MEMO_KEY, UNHELD_STATUSES } from '../../contract/memo.ts';
import type { BoxSearch } from '../../activities/index.ts';
import type {
  BriefState,
  CancelReservationInput,
  ConfirmSaleInput,
  Coordinates,
  DropRoute,
  PortChoice,
  PortPlace,
  Reservation as ReservationTerms,
  ReservationChange,
  ReservationState,
} from '../../contract/schemas.ts';
import {
  BoxIdKey,
  CustomerCodeKey,
  ReservationExpiresAtKey,
  ReservationStatusKey,
  TenantIdKey,
  ViabilityIdKey,
} from '../../contract/search-attributes.ts';
import { isSettled, type FinalStatus, type ReservationStatus } from '../../contract/statuses.ts';
import { reservationSettings } from './activities.ts';
import { placeOf } from './changes.ts';
import { keptCandidates } from './decisions.ts';
import { Events } from './events.ts';
import { describe, withoutCandidates } from './views.ts';

/** A salesperson's choice, from the selectBox call that made it until that call is answered. */
export interface PendingSelection {
  choice: PortChoice;
  answered: boolean;
}

export class Reservation {
  readonly state: ReservationState;
  /** The first confirm or cancel wins; one that arrives before the reservation exists is applied once it does. */
  action?: SettleAction;
  /** The selectBox call waiting for the select step; answered with the state once its port is reserved or taken. */
  pick?: PendingSelection;
  /** A confirm or release that keeps failing: waitForReservation answers with it instead of waiting for the end. */
  settleFailing = false;
  /** A changeBox or extendHold under way (living.ts runs them one at a time): the hold's end waits for it. */
  changing = false;
  /** changeBox calls that reached OZmap (a fresh search each), moved or not: bounded by MOVE_ATTEMPTS_PER_MOVE. */
  moveAttempts: number;
  /** The late-create sweep is still to run (sweep.ts): the run does not continue as new before it. */
  sweepPending = false;
  /** The worker's settings once read (the first thing a run does): what validators check changes against. */
  settings?: ReservationSettings;
  private settingsRead?: Promise<ReservationSettings>;
  /** Set when the workflow is about to fail, so that waiting update handlers answer instead of holding it open. */
  failure?: string;
  /** The webhook events to Ispbox (events.ts). */
  readonly events: Events;
  /** The ReservationStatus search attribute as it stands (undefined: a start that did not set it). */
  private shownStatus?: ReservationStatus;
  /** The state the memo holds, as JSON: a publish that would change nothing writes nothing. */
  private shownState?: string;

  constructor(
    /** The input exactly as recorded: what a continued run is started with again. */
    private readonly recorded: unknown,
    readonly input: RunInputV1,
    continued?: ContinuedV1,
  ) {
    this.state = continued?.state ?? {
      viabilityId: input.viabilityId,
      status: input.coordinates ? 'SEARCHING' : 'GEOCODING',
      selection: input.selection,
      radiusMeters: input.radiusMeters,
      holdDays: input.holdDays,
      candidates: [],
    };
    this.action = continued?.action;
    this.settleFailing = continued !== undefined && continued.state.status !== 'RESERVED';
    this.moveAttempts = continued?.moveAttempts ?? 0;
    if (continued?.settings) this.settingsRead = Promise.resolve((this.settings = continued.settings));
    this.events = new Events(this.state, () => this.readSettings(), continued?.remindersSent, this.tenant);
    // What the start set (the client library; continueAsNew, below, for a continued run).
    const { typedSearchAttributes, memo } = workflowInfo();
    this.shownStatus = typedSearchAttributes.get(ReservationStatusKey) as ReservationStatus | undefined;
    if (memo?.[STATE_MEMO_KEY] !== undefined) this.shownState = JSON.stringify(memo[STATE_MEMO_KEY]);
  }

  /** The worker's limits and webhook switch, read once per run (a local activity; a continued run brings them). */
  readSettings(): Promise<ReservationSettings> {
    return (this.settingsRead ??= reservationSettings(this.tenant).then((settings) => (this.settings = settings)));
  }

  /**
   * Whose reservation, as every activity input says it (docs/tenants.md): nothing for `default`, whose inputs stay
   * as they always were.
   */
  get tenant(): { tenantId?: string } {
    return this.input.tenantId === undefined ? {} : { tenantId: this.input.tenantId };
  }

  /**
   * The first step of a run: the settings read, and the input's hold checked against them. A direct start that
   * bypassed the boundary's check fails here, naming the limit, before anything is reserved.
   */
  async acceptSettings(): Promise<void> {
    const problem = holdDaysProblem(this.input.holdDays, await this.readSettings());
    if (problem)
      throw ApplicationFailure.nonRetryable(
        `Invalid reservation input: holdDays: ${problem}`,
        FAILURES.InvalidReservationInput,
      );
  }

  /** The reason of a cancel, once one came. */
  get cancelled(): string | undefined {
    return this.action?.kind === 'cancel' ? this.action.reason : undefined;
  }

  /** confirmSale: the first confirm or cancel wins; one before the reservation exists is applied once it does. */
  confirm(payload?: ConfirmSaleInput): void {
    this.action ??= { kind: 'confirm', note: payload?.note };
  }

  /** cancelReservation, or a cancellation of the workflow itself (`reason` then says so). */
  cancel(payload?: CancelReservationInput, reason?: string): void {
    this.action ??= {
      kind: 'cancel',
      reason: reason ?? (payload?.reason ? `Cancelled: ${payload.reason}` : 'Cancelled by Ispbox'),
    };
  }

  /** waitForReservation: the state once RESERVED, AWAITING_SELECTION or final (or a settle failing, or the run). */
  async settled(): Promise<ReservationState> {
    await condition(() => isSettled(this.state.status) || this.settleFailing || this.failure !== undefined);
    this.throwIfFailed();
    return this.state;
  }

  /**
   * Makes the reservation findable in the Web UI and by the client library's listing. The client library starts it
   * with these search attributes already set (client/reservations.ts); a start that did not set them gets them here.
   */
  announce(): void {
    const given = workflowInfo().typedSearchAttributes;
    const keys = [TenantIdKey, ViabilityIdKey, CustomerCodeKey, ReservationStatusKey] as const;
    if (keys.some((key) => given.get(key) === undefined)) {
      upsertSearchAttributes([
        { key: TenantIdKey, value: this.input.tenantId ?? DEFAULT_TENANT_ID },
        { key: ViabilityIdKey, value: this.input.viabilityId },
        { key: CustomerCodeKey, value: this.input.customer.code },
        { key: ReservationStatusKey, value: this.state.status },
      ]);
      this.shownStatus = this.state.status;
    }
    this.showDetails();
  }

  /**
   * The one place the status changes. `attributes`: search attributes that change with it (one upsert for all). A
   * passing status (PASSING_STATUSES) is not shown: the next resting one follows within the same step.
   */
  setStatus(status: ReservationStatus, attributes: SearchAttributeUpdatePair[] = []): void {
    const changed = status !== this.state.status;
    this.state.status = status;
    this.show(attributes, !PASSING_STATUSES.has(status));
    if (changed) this.events.statusChanged(status);
  }

  /** A passing status whose step keeps failing: shown after all (search attribute, memo with the notice). */
  showStep(): void {
    this.show([], true);
  }

  /**
   * What Temporal shows of the reservation follows its state, one upsert of each kind at most: the search attributes
   * (`attributes`, and the status when `withStatus` and it changed), the memo once a port is held (contract/memo.ts),
   * and the Web UI's details.
   */
  private show(attributes: SearchAttributeUpdatePair[], withStatus: boolean): void {
    const { status } = this.state;
    const changes = [...attributes];
    if (withStatus && status !== this.shownStatus) {
      changes.push({ key: ReservationStatusKey, value: status });
      this.shownStatus = status;
    }
    if (changes.length > 0) upsertSearchAttributes(changes);
    if (withStatus && !UNHELD_STATUSES.has(status)) {
      const json = JSON.stringify(this.state);
      if (json !== this.shownState) upsertMemo({ [STATE_MEMO_KEY]: this.state });
      this.shownState = json;
    }
    this.showDetails();
  }

  showDetails(): void {
    setCurrentDetails(describe(this.state));
  }

  /**
   * The port is held: BoxId and ReservationExpiresAt follow, and a waiting selectBox call gets the state. `notice`:
   * what the reserve saw and left alone (a record carrying the marker that is not this reservation's).
   */
  reserved(reservation: ReservationTerms, notice?: string): void {
    this.state.reservation = reservation;
    this.state.notice = notice;
    // The search's lists matter only to a person choosing, and the boxes that could not take the customer only until
    // one could: what stays is small (DESIGN §2, "candidates"), as every state answered is recorded in history.
    this.state.candidates = keptCandidates(this.state.candidates, reservation.boxId, CANDIDATES_KEPT);
    delete this.state.unavailableBoxes;
    this.setStatus('RESERVED', [
      { key: BoxIdKey, value: reservation.boxId },
      { key: ReservationExpiresAtKey, value: new Date(reservation.expiresAt) },
    ]);
    this.answerPick();
  }

  /**
   * Where to look for boxes around `point`: the radius, whose OZmap, and in pole mode the drop's fallback limit (the
   * settings, read first, say which mode). The state shows the mode.
   */
  searchArea(point: Coordinates): BoxSearch & { tenantId?: string } {
    const poles = this.settings?.poles;
    if (poles) this.state.viabilityMode = 'poles';
    return { ...point, radiusMeters: this.state.radiusMeters, ...this.tenant, ...(poles ? { poles } : {}) };
  }

  /** The search that picks the port: in auto mode only the nearest few come back (the first is taken). */
  pickingSearch(point: Coordinates): BoxSearch & { tenantId?: string } {
    const area = this.searchArea(point);
    return this.input.selection === 'auto' ? { ...area, nearest: CANDIDATES_KEPT } : area;
  }

  /**
   * The reservation now sits on `to` (the same OZmap property and client), its drop along `drop` in pole mode:
   * state, changes, BoxId, details follow.
   */
  moved(to: PortPlace, reason?: string, drop?: DropRoute): ReservationChange {
    const reservation = this.state.reservation!;
    const change: ReservationChange = { kind: 'box', at: new Date().toISOString(), from: placeOf(reservation), to };
    if (reason !== undefined) change.reason = reason;
    Object.assign(reservation, placeOf(to));
    if (drop) reservation.drop = drop;
    else delete reservation.drop;
    this.record(change);
    this.state.moves = (this.state.moves ?? 0) + 1;
    this.show([{ key: BoxIdKey, value: reservation.boxId }], true);
    this.events.boxChanged();
    return change;
  }

  /** The hold now ends at `expiresAt`: state, changes, ReservationExpiresAt and details follow (the timer too). */
  extended(expiresAt: string, reason?: string): ReservationChange {
    const reservation = this.state.reservation!;
    const change: ReservationChange = {
      kind: 'extension',
      at: new Date().toISOString(),
      from: { expiresAt: reservation.expiresAt },
      to: { expiresAt },
    };
    if (reason !== undefined) change.reason = reason;
    reservation.expiresAt = expiresAt;
    this.record(change);
    this.show([{ key: ReservationExpiresAtKey, value: new Date(expiresAt) }], true);
    this.events.extended(); // the reminders not sent yet re-arm at the new end (events.ts)
    return change;
  }

  /** The state lists the most recent changes only; history and the webhook events keep every one. */
  private record(change: ReservationChange): void {
    const changes = (this.state.changes ??= []);
    changes.push(change);
    if (changes.length > CHANGES_KEPT) changes.splice(0, changes.length - CHANGES_KEPT);
  }

  /**
   * What changeBox and extendHold answer: the state without the candidate lists, which a move makes stale and
   * getState still has. Every answer is recorded in history, so it stays small whatever the search found.
   */
  view(): BriefState {
    return withoutCandidates(this.state);
  }

  /**
   * Temporal suggests a fresh run (history long or large) and nothing is half done: no change under way, no sweep to
   * come. Asked by the hold, which then continues as new with the state as it stands.
   */
  shouldContinueAsNew(): boolean {
    return workflowInfo().continueAsNewSuggested && !this.changing && !this.sweepPending;
  }

  /** Answers the waiting selectBox call with the state as it is now. */
  answerPick(): void {
    if (this.pick) this.pick.answered = true;
    this.pick = undefined;
  }

  finish(status: FinalStatus, reason: string): ReservationState {
    this.state.outcome = { reason, at: new Date().toISOString() };
    this.state.notice = undefined;
    this.setStatus(status);
    this.answerPick();
    return this.state;
  }

  /**
   * Runs the steps. A cancellation before anything was reserved ends CANCELLED; any other failure is told to the
   * waiting update handlers before the run fails, and the run never ends with a handler still working.
   */
  async run(steps: () => Promise<ReservationState>): Promise<ReservationState> {
    try {
      return await steps();
    } catch (err) {
      if (err instanceof ContinueAsNew) throw err;
      // Cancelled while geocoding or searching: nothing was reserved, so nothing to release.
      if (isCancellation(err) && !this.state.reservation)
        return this.finish('CANCELLED', this.cancelled ?? 'Cancelled: the workflow was cancelled');
      this.failure =
        err instanceof ActivityFailure
          ? (err.cause?.message ?? err.message)
          : err instanceof Error
            ? err.message
            : String(err);
      this.events.failed();
      throw err;
    } finally {
      await CancellationScope.nonCancellable(async () => {
        await condition(allHandlersFinished);
        await this.events.started(); // the last events' deliveries are started before the run ends
      });
    }
  }

  /**
   * Goes on in a fresh run with this state (a long hold, a settle that keeps failing), once every handler has
   * answered and every event's delivery is started. The search attributes are carried over as they stand.
   */
  async continueAsNew(): Promise<never> {
    await condition(allHandlersFinished);
    await this.events.started(); // every event emitted so far has its delivery started
    const continued: ContinuedV1 = {
      state: this.state,
      ...(this.action ? { action: this.action } : {}),
      ...(this.settings ? { settings: this.settings } : {}),
      remindersSent: this.events.remindersSent(),
      moveAttempts: this.moveAttempts,
    };
    const { reservation } = this.state;
    const continueAsNew = makeContinueAsNewFunc({
      ...(UNHELD_STATUSES.has(this.state.status) ? {} : { memo: { [STATE_MEMO_KEY]: this.state } }),
      typedSearchAttributes: [
        { key: TenantIdKey, value: this.input.tenantId ?? DEFAULT_TENANT_ID },
        { key: ViabilityIdKey, value: this.input.viabilityId },
        { key: CustomerCodeKey, value: this.input.customer.code },
        ...(this.shownStatus ? [{ key: ReservationStatusKey, value: this.shownStatus }] : []),
        ...(reservation
          ? [
              { key: BoxIdKey, value: reservation.boxId },
              { key: ReservationExpiresAtKey, value: new Date(reservation.expiresAt) },
            ]
          : []),
      ],
    });
    return continueAsNew(this.recorded, continued);
  }

  /** A waiting handler's answer once the run is failing: the failure, rather than a wait for ever. */
  throwIfFailed(): void {
    if (this.failure !== undefined)
      throw ApplicationFailure.nonRetryable(`The reservation failed: ${this.failure}`, FAILURES.ReservationFailed);
  }
}
