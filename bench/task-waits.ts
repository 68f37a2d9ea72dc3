/**
 * Where a run's workflow tasks waited, read from its history up to the answer (server clock): in the shared queue,
 * where Fairness orders tenants, or in the worker's sticky queue, first come first served, until the sticky timeout
 * moves them (docs/tenants.md, "Isolation"); and how long the worker took once it had one. The noisy-neighbour
 * figure's "why" (bench/tenants.ts).
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: no named ESM exports
import { round } from './timing.ts';

const { EventType, TaskQueueKind } = proto.temporal.api.enums.v1;
type Event = proto.temporal.api.history.v1.IHistoryEvent;

/** Milliseconds and counts, mean per run. */
export interface TaskWaits {
  /** Workflow tasks scheduled on the shared queue, and their wait from scheduled to started. */
  sharedTasks: number;
  sharedWaitMs: number;
  /** The same on the sticky queue; those that timed out there were scheduled again on the shared one. */
  stickyTasks: number;
  stickyWaitMs: number;
  stickyTimedOut: number;
  /** From started to completed: the worker's time on them. */
  runMs: number;
}

const ms = (e: Event): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

export function taskWaitsOf(events: Event[]): TaskWaits {
  const end = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
  const upTo = end < 0 ? events : events.slice(0, end + 1);
  const scheduled = new Map<number, { at: number; sticky: boolean }>();
  const started = new Map<number, number>();
  const waits: TaskWaits = {
    sharedTasks: 0,
    sharedWaitMs: 0,
    stickyTasks: 0,
    stickyWaitMs: 0,
    stickyTimedOut: 0,
    runMs: 0,
  };
  for (const e of upTo) {
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED: {
        const sticky = e.workflowTaskScheduledEventAttributes?.taskQueue?.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY;
        scheduled.set(Number(e.eventId), { at: ms(e), sticky });
        if (sticky) waits.stickyTasks++;
        else waits.sharedTasks++;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: {
        const task = scheduled.get(Number(e.workflowTaskStartedEventAttributes?.scheduledEventId));
        started.set(Number(e.eventId), ms(e));
        if (task?.sticky) waits.stickyWaitMs += ms(e) - task.at;
        else if (task) waits.sharedWaitMs += ms(e) - task.at;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        waits.runMs += ms(e) - (started.get(Number(e.workflowTaskCompletedEventAttributes?.startedEventId)) ?? ms(e));
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT: {
        const task = scheduled.get(Number(e.workflowTaskTimedOutEventAttributes?.scheduledEventId));
        if (task?.sticky) {
          waits.stickyTimedOut++;
          waits.stickyWaitMs += ms(e) - task.at;
        }
        break;
      }
    }
  }
  return waits;
}

/** The mean over these workflows' first runs. */
export async function meanTaskWaits(client: Client, workflowIds: string[]): Promise<TaskWaits> {
  const all = await Promise.all(
    workflowIds.map(async (id) => taskWaitsOf((await client.workflow.getHandle(id).fetchHistory()).events ?? [])),
  );
  const mean = (k: keyof TaskWaits) => round(all.reduce((n, w) => n + w[k], 0) / all.length, 1);
  return {
    sharedTasks: mean('sharedTasks'),
    sharedWaitMs: mean('sharedWaitMs'),
    stickyTasks: mean('stickyTasks'),
    stickyWaitMs: mean('stickyWaitMs'),
    stickyTimedOut: mean('stickyTimedOut'),
    runMs: mean('runMs'),
  };
}

export const fmtTaskWaits = (w: TaskWaits) =>
  `shared queue ${w.sharedTasks} tasks waiting ${w.sharedWaitMs} ms, sticky ${w.stickyTasks} waiting ` +
  `${w.stickyWaitMs} ms (${w.stickyTimedOut} timed out), worker ${w.runMs} ms`;
