/**
 * The typed client library for Ispbox-facing code (CLI, HTTP API, integrators' TypeScript).
 * One way in: every caller validates with the same schemas and talks to the workflow through these calls.
 * This class is the facade; each job lives in a module of its own (see docs/architecture.md): connection.ts,
 * prepare.ts, submit.ts, inspection.ts (SDK internals), listing.ts, temporal-errors.ts.
 */
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  CancelReservationInput,
  type BriefState,
  ChangeBoxInput,
  ConfirmSaleInput,
  ExtendHoldInput,
  SelectBoxInput,
  ViabilityId,
  type ReservationInput,
  ReservationState,
} from '../contract/schemas.ts';
import { WORKFLOW_TYPE } from '../contract/defaults.ts';
import type { HoldLimits } from '../contract/limits.ts';
import { DEFAULT_TENANT_ID, scopedViabilityId, workflowIdFor } from '../contract/ids.ts';
import { isFinal, isSettled } from '../contract/statuses.ts';
import {
  cancelReservation,
  changeBox,
  confirmSale,
  extendHold,
  getState,
  selectBox,
  waitForReservation,
} from '../contract/messages.ts';
import { CustomerCodeKey, ReservationStatusKey, TenantIdKey, ViabilityIdKey } from '../contract/search-attributes.ts';
import { STATE_MEMO_KEY } from '../contract/memo.ts';
import { RecentSurveys, surveyAround, type CandidateSurvey } from './candidate-survey.ts';
import { connectClient, lazyClient } from './connection.ts';
import type { ConnectionConfig } from './connection.ts';
import {
  ChangeRefusedError,
  InvalidInputError,
  ReservationEndedError,
  ReservationFailedError,
  ReservationNotFoundError,
  SelectionRefusedError,
} from './errors.ts';
import { startedRun, workflowPollers, type StartedRun } from './inspection.ts';
import { listReservations, pageTokenKey as makePageTokenKey, type ReservationPage } from './listing.ts';
import { inputSchemaFor, parseInput, prepareInput, type ReservationDefaults } from './prepare.ts';
import { submit, type Submission } from './submit.ts';
import { explain } from './temporal-errors.ts';

export type { ReservationDefaults } from './prepare.ts';
export type { StartedRun } from './inspection.ts';
export type { Submission } from './submit.ts';
export type { CandidateSurvey } from './candidate-survey.ts';

/**
 * `limits` bound the hold a caller may ask for (Config.limits); `http.ispboxApiKey`, when given, keys the page tokens
 * (listing.ts): they then outlive the process.
 */
type ClientConfig = ConnectionConfig & {
  defaults: ReservationDefaults;
  limits?: HoldLimits;
  http?: { ispboxApiKey: string };
};

const defaultsOf = (config: ClientConfig): ReservationDefaults =>
  config.limits ? { ...config.defaults, limits: config.limits } : config.defaults;

/** The workflow's input: the request, and the tenant it runs for (absent: `default`), which no caller names. */
export type ReservationWorkflowInput = ReservationInput & { tenantId?: string };
type ReservationWorkflowType = (input: ReservationWorkflowInput) => Promise<ReservationState>;
type ReservationHandle = WorkflowHandle<ReservationWorkflowType>;

export class ReservationsClient {
  /** The input schema with this deployment's limits: what `prepare` validates with and the HTTP API documents. */
  readonly inputSchema: ReturnType<typeof inputSchemaFor>;
  /** moveCandidates' recent answers, per viability (candidate-survey.ts), shared by every tenant's view. */
  readonly #surveys: RecentSurveys;

  /**
   * `tenantId`: whose reservations this client acts on (docs/tenants.md); every id, marker, listing and start is
   * that tenant's. `forTenant` makes one for another tenant on the same connection.
   */
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    readonly defaults: ReservationDefaults,
    private readonly pageTokenKey: Buffer = makePageTokenKey(),
    readonly tenantId: string = DEFAULT_TENANT_ID,
    surveys: RecentSurveys = new RecentSurveys(),
  ) {
    this.inputSchema = inputSchemaFor(defaults);
    this.#surveys = surveys;
  }

  /** The same connection acting for `tenantId`, with its settings as the defaults a request leaves out. */
  forTenant(tenantId: string, defaults: ReservationDefaults): ReservationsClient {
    return new ReservationsClient(this.client, this.taskQueue, defaults, this.pageTokenKey, tenantId, this.#surveys);
  }

  static async connect(config: ClientConfig): Promise<ReservationsClient> {
    return new ReservationsClient(
      await connectClient(config),
      config.temporal.taskQueue,
      defaultsOf(config),
      makePageTokenKey(config.http?.ispboxApiKey),
    );
  }

  /** Connects on first use, for servers that must start and answer while Temporal is down (the HTTP API). */
  static lazy(config: ClientConfig, options: { grpcAttempts?: number } = {}): ReservationsClient {
    return new ReservationsClient(
      lazyClient(config, options),
      config.temporal.taskQueue,
      defaultsOf(config),
      makePageTokenKey(config.http?.ispboxApiKey),
    );
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  /** Runs `fn` with every Temporal call in it cancelled when `signal` aborts (gRPC CANCELLED): a bound on waiting. */
  within<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    return this.client.withAbortSignal(signal, fn);
  }

  /**
   * Validates raw input and fills the configured defaults, so the workflow's history records the exact terms, and
   * the tenant (left out for `default`, whose input stays as it always was).
   */
  prepare(raw: unknown): ReservationWorkflowInput {
    const input = prepareInput(this.#ownTenantDropped(raw), this.defaults, this.inputSchema);
    return this.tenantId === DEFAULT_TENANT_ID ? input : { ...input, tenantId: this.tenantId };
  }

  /**
   * Starts (or finds) the viability's reservation and returns as soon as it is RESERVED, AWAITING_SELECTION or
   * final: one update-with-start call. Duplicates and retries land on the same workflow (USE_EXISTING).
   */
  async reserve(raw: unknown): Promise<ReservationState> {
    const input = this.prepare(raw);
    // Already there to answer: read, not updated. Every update is recorded in the run's history, so a caller that
    // repeats its request (a reload, a retry loop) would otherwise grow it without end.
    const known = await this.#settledRun(input.viabilityId);
    if (known) return this.#stateOf(input.viabilityId, known.handle, known.description);
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      ...this.#startOptions(input),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      return await this.client.workflow.executeUpdateWithStart(waitForReservation, { startWorkflowOperation });
    } catch (err) {
      // The viability's reservation already finished: answer with its final state rather than start another.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.get(input.viabilityId);
      throw explain(err, input.viabilityId);
    }
  }

  /**
   * `reserve` for callers that must tell a new reservation from a repeated request (ConflictError for other terms)
   * and must not wait for ever (`signal`): see submit.ts.
   */
  submit(raw: unknown, options: { signal?: AbortSignal } = {}): Promise<Submission> {
    return submit(this, raw, options);
  }

  /** The run that holds the viability and the input it started with, or undefined when none would stop a start. */
  async startedWith(viabilityId: string): Promise<StartedRun | undefined> {
    const workflowId = this.#workflowId(viabilityId);
    try {
      return await startedRun(this.client, workflowId);
    } catch (err) {
      const explained = explain(err, viabilityId);
      if (explained instanceof ReservationNotFoundError) return undefined;
      throw explained;
    }
  }

  /** Workers that polled the task queue in the last `withinMs`. Throws when Temporal is unreachable. */
  pollers(withinMs = 120_000): Promise<Array<{ identity: string; lastAccessTime?: string }>> {
    return workflowPollers(this.client, this.taskQueue, withinMs);
  }

  /**
   * Fresh candidates for changeBox: the boxes within the reservation's radius as OZmap shows them now (a short
   * read-only workflow on the worker, see candidate-survey.ts). Only while RESERVED, else ChangeRefusedError.
   */
  async moveCandidates(viabilityId: string): Promise<CandidateSurvey> {
    const state = await this.get(viabilityId);
    const { coordinates } = state;
    if (state.status !== 'RESERVED' || !coordinates)
      throw new ChangeRefusedError(viabilityId, 'box', `the reservation is ${state.status}: only a RESERVED one moves`);
    return this.#surveys.get(scopedViabilityId(viabilityId, this.tenantId), () =>
      surveyAround(this.client, this.taskQueue, { ...state, coordinates }, this.tenantId),
    );
  }

  /** Starts without waiting (fire and forget); returns whether this call started it. */
  async start(raw: unknown): Promise<{ workflowId: string; started: boolean }> {
    const input = this.prepare(raw);
    try {
      const handle = await this.client.workflow.start(WORKFLOW_TYPE, this.#startOptions(input));
      return { workflowId: handle.workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        return { workflowId: workflowIdFor(input.viabilityId, this.tenantId), started: false };
      throw err;
    }
  }

  /** The reservation as it stands: live state while running, the final state once closed. */
  async get(viabilityId: string): Promise<ReservationState> {
    const handle = this.#handle(viabilityId);
    try {
      return await this.#stateOf(viabilityId, handle, await handle.describe());
    } catch (err) {
      throw explain(err, viabilityId);
    }
  }

  /**
   * The state of a described run: live while running (from its memo once a port is held, which Temporal's server
   * answers without a worker; asked of the workflow before that), its result once completed.
   */
  async #stateOf(
    viabilityId: string,
    handle: ReservationHandle,
    description: WorkflowExecutionDescription,
  ): Promise<ReservationState> {
    try {
      if (description.status.name === 'RUNNING') return memoState(description.memo) ?? (await handle.query(getState));
      if (description.status.name === 'COMPLETED') return await handle.result();
      throw new ReservationFailedError(viabilityId, `workflow ${description.status.name.toLowerCase()}`);
    } catch (err) {
      throw explain(err, viabilityId);
    }
  }

  /** The viability's run when it is RESERVED, AWAITING_SELECTION or final (by its search attribute), else nothing. */
  async #settledRun(
    viabilityId: string,
  ): Promise<{ handle: ReservationHandle; description: WorkflowExecutionDescription } | undefined> {
    const handle = this.#handle(viabilityId);
    let description: WorkflowExecutionDescription;
    try {
      description = await handle.describe();
    } catch (err) {
      const explained = explain(err, viabilityId);
      if (explained instanceof ReservationNotFoundError) return undefined;
      throw explained;
    }
    const status = description.typedSearchAttributes.get(ReservationStatusKey);
    const answers = description.status.name === 'RUNNING' || description.status.name === 'COMPLETED';
    return answers && status !== undefined && isSettled(status) ? { handle, description } : undefined;
  }

  /**
   * Manual mode: reserve the salesperson's choice; answers the state (RESERVED, or AWAITING_SELECTION + notice).
   * A choice the workflow refuses (not a candidate, not AWAITING_SELECTION) is SelectionRefusedError.
   */
  async select(viabilityId: string, raw: unknown): Promise<ReservationState> {
    const selection = parseInput(SelectBoxInput, raw);
    try {
      return await this.#handle(viabilityId).executeUpdate(selectBox, { args: [selection] });
    } catch (err) {
      const explained = explain(err, viabilityId, (message) => new SelectionRefusedError(viabilityId, message));
      // As for changes: an update to a closed workflow is "not found" to Temporal; an ended reservation is refused.
      if (explained instanceof ReservationNotFoundError) await this.#refuseIfEnded(viabilityId, 'select');
      throw explained;
    }
  }

  /**
   * While RESERVED: moves the reservation to another free port within its radius (the same OZmap client and
   * property); answers the state with the new place. A refusal (not RESERVED, a box outside the radius or without a
   * free port, a port taken meanwhile) is ChangeRefusedError, and nothing was changed.
   */
  async changeBox(viabilityId: string, raw: unknown): Promise<BriefState> {
    const input = parseInput(ChangeBoxInput, raw);
    const state = await this.#change(viabilityId, 'box', () =>
      this.#handle(viabilityId).executeUpdate(changeBox, { args: [input] }),
    );
    // The boxes around it changed: the next look is a fresh one.
    this.#surveys.forget(scopedViabilityId(viabilityId, this.tenantId));
    return state;
  }

  /**
   * While RESERVED: pushes the hold's end later by `days`; answers the state with the new `expiresAt`. A hold that
   * would end beyond RESERVATION_MAX_HOLD_DAYS after reservedAt, or a reservation not RESERVED, is
   * ChangeRefusedError naming why, and nothing was changed.
   */
  async extendHold(viabilityId: string, raw: unknown): Promise<BriefState> {
    const input = parseInput(ExtendHoldInput, raw);
    return this.#change(viabilityId, 'extension', () =>
      this.#handle(viabilityId).executeUpdate(extendHold, { args: [input] }),
    );
  }

  /** Sends confirmSale; a reservation that has already ended is ReservationEndedError (with how it ended). */
  async confirm(viabilityId: string, raw: unknown = {}): Promise<void> {
    const payload = parseInput(ConfirmSaleInput, raw);
    await this.#signal(viabilityId, 'confirm', () => this.#handle(viabilityId).signal(confirmSale, payload));
  }

  /** Sends cancelReservation; a reservation that has already ended is ReservationEndedError. */
  async cancel(viabilityId: string, raw: unknown = {}): Promise<void> {
    const payload = parseInput(CancelReservationInput, raw);
    await this.#signal(viabilityId, 'cancel', () => this.#handle(viabilityId).signal(cancelReservation, payload));
  }

  /** Reservations by status, customer code or expiry, newest first, a page at a time (Temporal visibility). */
  list(raw: unknown = {}): Promise<ReservationPage> {
    return listReservations(this.client, raw, this.pageTokenKey, this.tenantId);
  }

  /** Waits for the final state (a confirm or cancel takes effect within moments; an untouched hold takes days). */
  async result(viabilityId: string): Promise<ReservationState> {
    try {
      return await this.#handle(viabilityId).result();
    } catch (err) {
      throw explain(err, viabilityId);
    }
  }

  /**
   * A prepared input comes back through `reserve` (submit.ts) with this client's tenant in it: dropped before the
   * request's schema, which knows no tenant. Any other tenant named is refused: the key decides, never the request.
   */
  #ownTenantDropped(raw: unknown): unknown {
    if (typeof raw !== 'object' || raw === null || !('tenantId' in raw)) return raw;
    const { tenantId, ...request } = raw as Record<string, unknown>;
    if (tenantId !== this.tenantId)
      throw new InvalidInputError([{ field: 'tenantId', message: "is not the request's to name: the key decides" }]);
    return request;
  }

  #workflowId(viabilityId: string): string {
    return workflowIdFor(parseInput(ViabilityId, viabilityId, 'viabilityId'), this.tenantId);
  }

  /** Validates the id before Temporal is touched: a bad id is InvalidInputError, never a call. */
  #handle(viabilityId: string): ReservationHandle {
    const workflowId = this.#workflowId(viabilityId);
    return this.client.workflow.getHandle<ReservationWorkflowType>(workflowId);
  }

  async #signal(viabilityId: string, action: 'confirm' | 'cancel', send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      const explained = explain(err, viabilityId);
      // Temporal answers "not found" for a workflow that has closed too: say that it ended, and how.
      if (explained instanceof ReservationNotFoundError) await this.#refuseIfEnded(viabilityId, action);
      throw explained;
    }
  }

  async #change(
    viabilityId: string,
    change: 'box' | 'extension',
    send: () => Promise<BriefState>,
  ): Promise<BriefState> {
    try {
      return await send();
    } catch (err) {
      const explained = explain(err, viabilityId, (message) => new ChangeRefusedError(viabilityId, change, message));
      // As for signals: an update to a closed workflow is "not found" to Temporal; an ended reservation is refused.
      if (explained instanceof ReservationNotFoundError)
        await this.#refuseIfEnded(viabilityId, change === 'box' ? 'move' : 'extend');
      throw explained;
    }
  }

  async #refuseIfEnded(viabilityId: string, action: ReservationEndedError['action']): Promise<void> {
    let state: ReservationState;
    try {
      state = await this.get(viabilityId);
    } catch (err) {
      // Truly not there, or failed rather than ended: "not found" stands. Anything else (Temporal down) is told.
      if (err instanceof ReservationNotFoundError || err instanceof ReservationFailedError) return;
      throw err;
    }
    if (isFinal(state.status)) throw new ReservationEndedError(viabilityId, state.status, action);
  }

  #startOptions(input: ReservationWorkflowInput) {
    return {
      workflowId: workflowIdFor(input.viabilityId, this.tenantId),
      taskQueue: this.taskQueue,
      args: [input] as [ReservationWorkflowInput],
      // A viability is reserved once: a finished reservation is never started again, unless it failed.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' as const,
      typedSearchAttributes: [
        { key: ViabilityIdKey, value: input.viabilityId },
        { key: CustomerCodeKey, value: input.customer.code },
        { key: ReservationStatusKey, value: input.coordinates ? 'SEARCHING' : 'GEOCODING' },
        { key: TenantIdKey, value: this.tenantId },
      ],
      // Tasks are dispatched fairly between tenants (docs/tenants.md, "Isolation"); activities and children inherit.
      priority: { fairnessKey: this.tenantId },
      staticSummary:
        this.tenantId === DEFAULT_TENANT_ID
          ? `Port reservation for viability ${input.viabilityId}`
          : `Port reservation for viability ${input.viabilityId} of ${this.tenantId}`,
    };
  }
}

/**
 * The state a running reservation keeps in its memo (contract/memo.ts), checked like any answer from outside; none
 * (before a port is held, or a memo this version cannot read) means asking the workflow.
 */
function memoState(memo: Record<string, unknown> | undefined): ReservationState | undefined {
  const kept = memo?.[STATE_MEMO_KEY];
  if (kept === undefined) return undefined;
  const parsed = ReservationState.safeParse(kept);
  return parsed.success ? parsed.data : undefined;
}
