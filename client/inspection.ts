/**
 * What Temporal records about runs and task queues, read beyond the SDK's public API: a run's start input from its
 * history, search attributes and timestamps of listed runs, pollers. The one module that imports SDK internals
 * (`@temporalio/common/lib/...`) in the client library, so an SDK upgrade that moves them breaks it here only.
 */
import type { Client } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { optionalTsToDate } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { ReservationStatusKey } from '../contract/search-attributes.ts';

/** The run that holds a viability, with the input it was started with (as recorded in its history). */
export interface StartedRun {
  runId: string;
  status: string;
  /** The ReservationStatus search attribute: known even when no worker is there to answer a query. */
  reservationStatus?: string;
  input: unknown;
}

/** Runs that stop a new start under ALLOW_DUPLICATE_FAILED_ONLY (a failed, terminated, cancelled or timed-out run
 * does not). */
const BLOCKING_RUN_STATUSES = new Set(['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW']);

/**
 * The run of `workflowId` that would stop a new start, with its input (the first history event, read through the
 * client's data converter so that a payload codec applies); undefined when none would. Temporal's errors pass
 * through as they are (a missing workflow is WorkflowNotFoundError).
 */
export async function startedRun(client: Client, workflowId: string): Promise<StartedRun | undefined> {
  const description = await client.workflow.getHandle(workflowId).describe();
  if (!BLOCKING_RUN_STATUSES.has(description.status.name)) return undefined;
  const { namespace } = client.options;
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace,
    execution: { workflowId, runId: description.runId },
    maximumPageSize: 1,
  });
  const payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  const input = await decodeFromPayloadsAtIndex(client.options.loadedDataConverter, 0, payloads, {
    type: 'workflow',
    namespace,
    workflowId,
  });
  const reservationStatus = description.typedSearchAttributes.get(ReservationStatusKey);
  return { runId: description.runId, status: description.status.name, reservationStatus, input };
}

/** A listed execution's search attributes (visibility answers them encoded). */
export const searchAttributesOf = (
  indexedFields: Parameters<typeof decodeTypedSearchAttributes>[0],
): TypedSearchAttributes => decodeTypedSearchAttributes(indexedFields);

/** A protobuf timestamp as a Date (none stays undefined). */
export const dateOf = (timestamp: Parameters<typeof optionalTsToDate>[0]): Date | undefined =>
  optionalTsToDate(timestamp);

/** Workers that polled `taskQueue` in the last `withinMs` (a long poll lasts up to a minute). */
export async function workflowPollers(
  client: Client,
  taskQueue: string,
  withinMs: number,
): Promise<Array<{ identity: string; lastAccessTime?: string }>> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (response.pollers ?? [])
    .map((p) => ({ identity: p.identity ?? '', lastAccessTime: dateOf(p.lastAccessTime)?.toISOString() }))
    .filter((p) => !p.lastAccessTime || Date.now() - Date.parse(p.lastAccessTime) <= withinMs);
}
