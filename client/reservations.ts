/**
 * The typed client library for Ispbox-facing code (CLI, HTTP API, integrators' TypeScript).
 * One way in: every caller validates with the same schemas and talks to the workflow through these calls.
 */
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  defaultGrpcRetryOptions,
  isGrpcServiceError,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import proto from '@temporalio/proto';
import { status as grpcStatus } from '@grpc/grpc-js';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { tsToDate } from '@temporalio/common/lib/time.js';
import { dataConverterFor } from '../codec/data-converter.ts';
import type { Config } from '../config/env.ts';
import { temporalConnectionOptions } from '../config/temporal.ts';
import {
  CancelReservationInput,
  ConfirmSaleInput,
  ReservationInput,
  ReservationStatus,
  SelectBoxInput,
  ViabilityId,
  type ReservationState,
} from '../contract/schemas.ts';
import { WORKFLOW_TYPE } from '../contract/defaults.ts';
import { isSettled } from '../contract/statuses.ts';
import { viabilityIdOf, workflowIdFor } from '../contract/ids.ts';
import { cancelReservation, confirmSale, getState, selectBox, waitForReservation } from '../contract/messages.ts';
import {
  BoxIdKey,
  CustomerCodeKey,
  ReservationExpiresAtKey,
  ReservationStatusKey,
  ViabilityIdKey,
} from '../contract/search-attributes.ts';
import {
  ConflictError,
  InvalidInputError,
  RejectedError,
  ReservationFailedError,
  ReservationNotFoundError,
  type FieldProblem,
} from './errors.ts';
import {
  ListReservationsQuery,
  decodePageToken,
  encodePageToken,
  visibilityQuery,
  type ReservationPage,
} from './listing.ts';

export interface ReservationDefaults {
  radiusMeters: number;
  holdDays: number;
  selectionTimeoutHours: number;
}

/** What `submit` did: whether this call started the reservation, and whether the state is one `reserve` would answer with. */
export interface Submission {
  created: boolean;
  /** RESERVED, AWAITING_SELECTION or final; false when the wait was cut short (the workflow carries on). */
  settled: boolean;
  state: ReservationState;
}

/** The run that holds a viability, with the input it was started with (as recorded in its history). */
export interface StartedRun {
  runId: string;
  status: string;
  /** The ReservationStatus search attribute: known even when no worker is there to answer a query. */
  reservationStatus?: string;
  input: unknown;
}

/** Runs that stop a new start under ALLOW_DUPLICATE_FAILED_ONLY (a failed, terminated, cancelled or timed-out run does not). */
const BLOCKING_RUN_STATUSES = new Set(['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW']);

export class ReservationsClient {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    readonly defaults: ReservationDefaults,
  ) {}

  static async connect(
    config: Pick<Config, 'temporal' | 'defaults'> & Partial<Pick<Config, 'payloadEncryption'>>,
  ): Promise<ReservationsClient> {
    const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    // The same data converter as the worker's: with encryption on, both sides encrypt and decrypt.
    const dataConverter = dataConverterFor(config.payloadEncryption);
    return new ReservationsClient(
      new Client({ connection, namespace: config.temporal.namespace, dataConverter }),
      config.temporal.taskQueue,
      config.defaults,
    );
  }

  /**
   * A client that connects on first use and reconnects by itself, for servers that must start and answer while
   * Temporal is down (the HTTP API). `grpcAttempts` bounds the SDK's retries of an unavailable server (default 10
   * attempts, several seconds), so callers learn quickly that Temporal is down.
   */
  static lazy(
    config: Pick<Config, 'temporal' | 'defaults'> & Partial<Pick<Config, 'payloadEncryption'>>,
    options: { grpcAttempts?: number } = {},
  ): ReservationsClient {
    const connection = Connection.lazy({
      ...temporalConnectionOptions(config.temporal),
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: options.grpcAttempts ?? 3 }))],
    });
    const dataConverter = dataConverterFor(config.payloadEncryption);
    return new ReservationsClient(
      new Client({ connection, namespace: config.temporal.namespace, dataConverter }),
      config.temporal.taskQueue,
      config.defaults,
    );
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  /** Runs `fn` with every Temporal call in it cancelled when `signal` aborts (gRPC CANCELLED): a bound on waiting. */
  within<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    return this.client.withAbortSignal(signal, fn);
  }

  /** Validates raw input and fills the configured defaults, so the workflow's history records the exact terms. */
  prepare(raw: unknown): ReservationInput {
    const parsed = ReservationInput.safeParse(raw);
    if (!parsed.success) throw InvalidInputError.fromZod(parsed.error);
    return {
      ...parsed.data,
      radiusMeters: parsed.data.radiusMeters ?? this.defaults.radiusMeters,
      selection: parsed.data.selection ?? 'auto',
      holdDays: parsed.data.holdDays ?? this.defaults.holdDays,
      selectionTimeoutHours: parsed.data.selectionTimeoutHours ?? this.defaults.selectionTimeoutHours,
    };
  }

  /**
   * Starts (or finds) the viability's reservation and returns as soon as it is RESERVED, AWAITING_SELECTION or final:
   * one update-with-start call. Duplicates and retries land on the same workflow (USE_EXISTING).
   */
  async reserve(raw: unknown): Promise<ReservationState> {
    const input = this.prepare(raw);
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      ...this.#startOptions(input),
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    try {
      return await this.client.workflow.executeUpdateWithStart(waitForReservation, { startWorkflowOperation });
    } catch (err) {
      // The viability's reservation already finished: answer with its final state rather than start another.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.get(input.viabilityId);
      throw this.#explain(err, input.viabilityId);
    }
  }

  /**
   * `reserve` for callers that must tell a new reservation from a repeated request, and must not wait for ever
   * (the HTTP API). Update-with-start does not say whether it started the run, so it looks first: an existing run
   * with other terms is refused (ConflictError) before anything is sent; with the same terms (compared after
   * `prepare` fills the defaults) it answers that run's state. When nothing existed, it checks afterwards that the
   * run it landed on has its terms: a concurrent request with other terms may have started it first.
   * When `signal` aborts the wait, it answers the state as it stands (`settled: false`); the workflow carries on.
   */
  async submit(raw: unknown, options: { signal?: AbortSignal } = {}): Promise<Submission> {
    const input = this.prepare(raw);
    const before = await this.startedWith(input.viabilityId);
    if (before) this.#assertSameTerms(input, before);
    let state: ReservationState | undefined;
    let waitError: unknown;
    try {
      state = options.signal ? await this.within(options.signal, () => this.reserve(input)) : await this.reserve(input);
    } catch (err) {
      if (!options.signal?.aborted) throw err;
      waitError = err;
    }
    // After an aborted wait Temporal may be what is slow: these look-ups get a few seconds of their own.
    const lookUp = <T>(fn: () => Promise<T>) => (waitError ? this.client.withDeadline(Date.now() + 5000, fn) : fn());
    const run = before ?? (await lookUp(() => this.startedWith(input.viabilityId)));
    if (!run) throw waitError instanceof Error ? waitError : new ReservationNotFoundError(input.viabilityId); // the start never reached Temporal
    if (!before) this.#assertSameTerms(input, run);
    state ??= await lookUp(() => this.get(input.viabilityId)).catch(() => this.#pendingState(input, run));
    return { created: !before, settled: isSettled(state.status), state };
  }

  /**
   * The run that holds the viability and the input it started with (its first history event, read through this
   * client's data converter so that a payload codec applies), or undefined when none would stop a new start.
   */
  async startedWith(viabilityId: string): Promise<StartedRun | undefined> {
    const handle = this.#handle(viabilityId);
    try {
      const description = await handle.describe();
      if (!BLOCKING_RUN_STATUSES.has(description.status.name)) return undefined;
      const { namespace } = this.client.options;
      const page = await this.client.workflowService.getWorkflowExecutionHistory({
        namespace,
        execution: { workflowId: handle.workflowId, runId: description.runId },
        maximumPageSize: 1,
      });
      const payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
      const input = await decodeFromPayloadsAtIndex(this.client.options.loadedDataConverter, 0, payloads, {
        type: 'workflow',
        namespace,
        workflowId: handle.workflowId,
      });
      const reservationStatus = description.typedSearchAttributes.get(ReservationStatusKey);
      return { runId: description.runId, status: description.status.name, reservationStatus, input };
    } catch (err) {
      const explained = this.#explain(err, viabilityId);
      if (explained instanceof ReservationNotFoundError) return undefined;
      throw explained;
    }
  }

  /** Workers that polled the task queue in the last `withinMs` (a long poll lasts up to a minute). Throws when Temporal is unreachable. */
  async pollers(withinMs = 120_000): Promise<Array<{ identity: string; lastAccessTime?: string }>> {
    const response = await this.client.workflowService.describeTaskQueue({
      namespace: this.client.options.namespace,
      taskQueue: { name: this.taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (response.pollers ?? [])
      .map((p) => ({
        identity: p.identity ?? '',
        lastAccessTime: p.lastAccessTime ? tsToDate(p.lastAccessTime).toISOString() : undefined,
      }))
      .filter((p) => !p.lastAccessTime || Date.now() - Date.parse(p.lastAccessTime) <= withinMs);
  }

  /** Starts without waiting (fire and forget); returns whether this call started it. */
  async start(raw: unknown): Promise<{ workflowId: string; started: boolean }> {
    const input = this.prepare(raw);
    try {
      const handle = await this.client.workflow.start(WORKFLOW_TYPE, this.#startOptions(input));
      return { workflowId: handle.workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        return { workflowId: workflowIdFor(input.viabilityId), started: false };
      throw err;
    }
  }

  /** The reservation as it stands: live state while running, the final state once closed. */
  async get(viabilityId: string): Promise<ReservationState> {
    const handle = this.#handle(viabilityId);
    try {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') return await handle.query(getState);
      if (description.status.name === 'COMPLETED') return await handle.result();
      throw new ReservationFailedError(viabilityId, `workflow ${description.status.name.toLowerCase()}`);
    } catch (err) {
      throw this.#explain(err, viabilityId);
    }
  }

  /** Manual mode: reserve the salesperson's choice; answers with the state (RESERVED, or AWAITING_SELECTION with a notice). */
  async select(viabilityId: string, raw: unknown): Promise<ReservationState> {
    const selection = SelectBoxInput.safeParse(raw);
    if (!selection.success) throw InvalidInputError.fromZod(selection.error);
    try {
      return await this.#handle(viabilityId).executeUpdate(selectBox, { args: [selection.data] });
    } catch (err) {
      throw this.#explain(err, viabilityId);
    }
  }

  async confirm(viabilityId: string, raw: unknown = {}): Promise<void> {
    const payload = ConfirmSaleInput.safeParse(raw);
    if (!payload.success) throw InvalidInputError.fromZod(payload.error);
    await this.#signal(viabilityId, () => this.#handle(viabilityId).signal(confirmSale, payload.data));
  }

  async cancel(viabilityId: string, raw: unknown = {}): Promise<void> {
    const payload = CancelReservationInput.safeParse(raw);
    if (!payload.success) throw InvalidInputError.fromZod(payload.error);
    await this.#signal(viabilityId, () => this.#handle(viabilityId).signal(cancelReservation, payload.data));
  }

  /** Reservations by status, customer code or expiry, newest first, a page at a time (Temporal visibility). */
  async list(raw: unknown = {}): Promise<ReservationPage> {
    const parsed = ListReservationsQuery.safeParse(raw);
    if (!parsed.success) throw InvalidInputError.fromZod(parsed.error);
    const { pageSize = 20, pageToken, ...filters } = parsed.data;
    const query = visibilityQuery(filters, WORKFLOW_TYPE);
    const serverToken = pageToken === undefined ? undefined : decodePageToken(query, pageToken);
    if (pageToken !== undefined && serverToken === undefined) {
      throw new InvalidInputError([
        {
          field: 'pageToken',
          message: 'is not a nextPageToken of this listing (same filters): start again without it',
        },
      ]);
    }
    const response = await this.client.workflowService.listWorkflowExecutions({
      namespace: this.client.options.namespace,
      query,
      pageSize,
      nextPageToken: serverToken,
    });
    const reservations = (response.executions ?? []).flatMap((execution) => {
      const workflowId = execution.execution?.workflowId ?? '';
      const attributes = decodeTypedSearchAttributes(execution.searchAttributes?.indexedFields);
      const viabilityId = attributes.get(ViabilityIdKey) ?? viabilityIdOf(workflowId) ?? workflowId;
      const status = ReservationStatus.safeParse(attributes.get(ReservationStatusKey));
      const started = execution.startTime ? tsToDate(execution.startTime) : undefined;
      const closed = execution.closeTime ? tsToDate(execution.closeTime) : undefined;
      return started
        ? [
            {
              viabilityId,
              workflowId,
              status: status.success ? status.data : undefined,
              customerCode: attributes.get(CustomerCodeKey),
              boxId: attributes.get(BoxIdKey),
              expiresAt: attributes.get(ReservationExpiresAtKey)?.toISOString(),
              startedAt: started.toISOString(),
              closedAt: closed?.toISOString(),
            },
          ]
        : [];
    });
    const next =
      response.nextPageToken && response.nextPageToken.length > 0
        ? encodePageToken(query, response.nextPageToken)
        : undefined;
    return { reservations, ...(next ? { nextPageToken: next } : {}) };
  }

  /** Waits for the final state (a confirm or cancel takes effect within moments; an untouched hold takes its days). */
  async result(viabilityId: string): Promise<ReservationState> {
    try {
      return await this.#handle(viabilityId).result();
    } catch (err) {
      throw this.#explain(err, viabilityId);
    }
  }

  #handle(viabilityId: string) {
    const id = ViabilityId.safeParse(viabilityId);
    if (!id.success) throw InvalidInputError.fromZod(id.error, 'viabilityId');
    return this.client.workflow.getHandle<(input: ReservationInput) => Promise<ReservationState>>(
      workflowIdFor(id.data),
    );
  }

  async #signal(viabilityId: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      throw this.#explain(err, viabilityId);
    }
  }

  #startOptions(input: ReservationInput) {
    return {
      workflowId: workflowIdFor(input.viabilityId),
      taskQueue: this.taskQueue,
      args: [input] as [ReservationInput],
      // A viability is reserved once: a finished reservation is never started again, unless it failed.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY' as const,
      typedSearchAttributes: [
        { key: ViabilityIdKey, value: input.viabilityId },
        { key: CustomerCodeKey, value: input.customer.code },
        { key: ReservationStatusKey, value: input.coordinates ? 'SEARCHING' : 'GEOCODING' },
      ],
      staticSummary: `Port reservation for viability ${input.viabilityId}`,
    };
  }

  /** Refuses other terms for a viability that already has a reservation, naming each field that differs. */
  #assertSameTerms(input: ReservationInput, run: StartedRun): void {
    const problems: FieldProblem[] = [];
    const compare = (ours: unknown, theirs: unknown, path: string[]) => {
      if (isPlainObject(ours) && isPlainObject(theirs)) {
        for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)]))
          compare(ours[key], theirs[key], [...path, key]);
      } else if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        problems.push({
          field: path.join('.') || '(body)',
          message: 'differs from the reservation already started for this viability',
        });
      }
    };
    compare(input, run.input, []);
    if (problems.length > 0) throw new ConflictError(input.viabilityId, problems);
  }

  /** What can be said without a worker: the run's status search attribute and the terms it was started with. */
  #pendingState(input: ReservationInput, run: StartedRun): ReservationState {
    const status = ReservationStatus.safeParse(run.reservationStatus);
    return {
      viabilityId: input.viabilityId,
      status: status.success ? status.data : input.coordinates ? 'SEARCHING' : 'GEOCODING',
      selection: input.selection ?? 'auto',
      radiusMeters: input.radiusMeters ?? this.defaults.radiusMeters,
      holdDays: input.holdDays ?? this.defaults.holdDays,
      candidates: [],
    };
  }

  #explain(err: unknown, viabilityId: string): unknown {
    if (err instanceof InvalidInputError || err instanceof ReservationFailedError) return err;
    if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === grpcStatus.NOT_FOUND))
      return new ReservationNotFoundError(viabilityId);
    if (err instanceof WorkflowUpdateFailedError) return new RejectedError(err.cause?.message ?? err.message);
    if (isGrpcServiceError(err) && err.code === grpcStatus.INVALID_ARGUMENT)
      return new RejectedError(err.details ?? err.message);
    return err;
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
