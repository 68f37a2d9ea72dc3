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
  isGrpcServiceError,
} from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { tsToDate } from '@temporalio/common/lib/time.js';
import type { Config } from '../config/env.ts';
import { temporalConnectionOptions } from '../config/temporal.ts';
import {
  CancelReservationInput,
  ConfirmSaleInput,
  ReservationInput,
  ReservationStatus,
  SelectBoxInput,
  WORKFLOW_TYPE,
  workflowIdFor,
  ViabilityId,
  type ReservationState,
} from '../workflows/contract.ts';
import { cancelReservation, confirmSale, getState, selectBox, waitForReservation } from '../workflows/messages.ts';
import { BoxIdKey, CustomerCodeKey, ReservationExpiresAtKey, ReservationStatusKey, ViabilityIdKey } from '../workflows/search-attributes.ts';
import { InvalidInputError, RejectedError, ReservationFailedError, ReservationNotFoundError } from './errors.ts';
import { ListReservationsQuery, decodePageToken, encodePageToken, visibilityQuery, type ReservationPage } from './listing.ts';

export interface ReservationDefaults {
  radiusMeters: number;
  holdDays: number;
  selectionTimeoutHours: number;
}

export class ReservationsClient {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    readonly defaults: ReservationDefaults,
  ) {}

  static async connect(config: Pick<Config, 'temporal' | 'defaults'>): Promise<ReservationsClient> {
    const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    return new ReservationsClient(new Client({ connection, namespace: config.temporal.namespace }), config.temporal.taskQueue, config.defaults);
  }

  async close(): Promise<void> {
    await this.client.connection.close();
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
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, { ...this.#startOptions(input), workflowIdConflictPolicy: 'USE_EXISTING' });
    try {
      return await this.client.workflow.executeUpdateWithStart(waitForReservation, { startWorkflowOperation });
    } catch (err) {
      // The viability's reservation already finished: answer with its final state rather than start another.
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.get(input.viabilityId);
      throw this.#explain(err, input.viabilityId);
    }
  }

  /** Starts without waiting (fire and forget); returns whether this call started it. */
  async start(raw: unknown): Promise<{ workflowId: string; started: boolean }> {
    const input = this.prepare(raw);
    try {
      const handle = await this.client.workflow.start(WORKFLOW_TYPE, this.#startOptions(input));
      return { workflowId: handle.workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId: workflowIdFor(input.viabilityId), started: false };
      throw err;
    }
  }

  /** The reservation as it stands: live state while running, the final state once closed. */
  async get(viabilityId: string): Promise<ReservationState> {
    const handle = this.#handle(viabilityId);
    try {
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') return await handle.query(getState);
      if (description.status.name === 'COMPLETED') return (await handle.result());
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
      throw new InvalidInputError([{ field: 'pageToken', message: 'is not a nextPageToken of this listing (same filters): start again without it' }]);
    }
    const response = await this.client.workflowService.listWorkflowExecutions({ namespace: this.client.options.namespace, query, pageSize, nextPageToken: serverToken });
    const reservations = (response.executions ?? []).flatMap((execution) => {
      const workflowId = execution.execution?.workflowId ?? '';
      const attributes = decodeTypedSearchAttributes(execution.searchAttributes?.indexedFields);
      const viabilityId = attributes.get(ViabilityIdKey) ?? workflowId.replace(/^reservation-/, '');
      const status = ReservationStatus.safeParse(attributes.get(ReservationStatusKey));
      const started = execution.startTime ? tsToDate(execution.startTime) : undefined;
      const closed = execution.closeTime ? tsToDate(execution.closeTime) : undefined;
      return started
        ? [{
            viabilityId,
            workflowId,
            status: status.success ? status.data : undefined,
            customerCode: attributes.get(CustomerCodeKey),
            boxId: attributes.get(BoxIdKey),
            expiresAt: attributes.get(ReservationExpiresAtKey)?.toISOString(),
            startedAt: started.toISOString(),
            closedAt: closed?.toISOString(),
          }]
        : [];
    });
    const next = response.nextPageToken && response.nextPageToken.length > 0 ? encodePageToken(query, response.nextPageToken) : undefined;
    return { reservations, ...(next ? { nextPageToken: next } : {}) };
  }

  /** Waits for the final state (a confirm or cancel takes effect within moments; an untouched hold takes its days). */
  async result(viabilityId: string): Promise<ReservationState> {
    try {
      return (await this.#handle(viabilityId).result());
    } catch (err) {
      throw this.#explain(err, viabilityId);
    }
  }

  #handle(viabilityId: string) {
    const id = ViabilityId.safeParse(viabilityId);
    if (!id.success) throw InvalidInputError.fromZod(id.error, 'viabilityId');
    return this.client.workflow.getHandle<(input: ReservationInput) => Promise<ReservationState>>(workflowIdFor(id.data));
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

  #explain(err: unknown, viabilityId: string): unknown {
    if (err instanceof InvalidInputError || err instanceof ReservationFailedError) return err;
    if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === grpcStatus.NOT_FOUND)) return new ReservationNotFoundError(viabilityId);
    if (err instanceof WorkflowUpdateFailedError) return new RejectedError(err.cause?.message ?? err.message);
    if (isGrpcServiceError(err) && err.code === grpcStatus.INVALID_ARGUMENT) return new RejectedError(err.details ?? err.message);
    return err;
  }
}
