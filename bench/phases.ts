/**
 * Where the time from update-with-start to the answer goes, read from the workflow's own history (server clock):
 * workflow tasks (scheduled to completed: queue wait plus the worker running workflow code), activities waiting in
 * their queue (scheduled to started) and running (started to completed), until the waitForReservation update
 * completed. Averaged over a sample of runs, for the reservation and the baseline alike.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: no named ESM exports

const { temporal } = proto;
const { EventType } = temporal.api.enums.v1;

export interface Phases {
  runs: number;
  /** Milliseconds, mean per run. */
  totalMs: number;
  workflowTasksMs: number;
  workflowTasks: number;
  activityQueueMs: number;
  activityRunMs: number;
  /** Events of history up to the answer, their bytes, and the bytes of the activities' results in them. */
  events: number;
  historyBytes: number;
  activityResultBytes: number;
  upserts: number;
}

type Event = proto.temporal.api.history.v1.IHistoryEvent;

const ms = (e: Event): number => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;

export function phasesOf(events: Event[]): Omit<Phases, 'runs'> {
  const started = events[0]!;
  const end = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
  const upTo = end < 0 ? events : events.slice(0, end + 1);
  const at = new Map<number, number>(upTo.map((e) => [Number(e.eventId), ms(e)]));
  let workflowTasksMs = 0;
  let workflowTasks = 0;
  let activityQueueMs = 0;
  let activityRunMs = 0;
  let activityResultBytes = 0;
  let upserts = 0;
  for (const e of upTo) {
    const t = ms(e);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        workflowTasks++;
        workflowTasksMs += t - (at.get(Number(e.workflowTaskCompletedEventAttributes?.scheduledEventId)) ?? t);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        activityQueueMs += t - (at.get(Number(e.activityTaskStartedEventAttributes?.scheduledEventId)) ?? t);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const a = e.activityTaskCompletedEventAttributes;
        activityRunMs += t - (at.get(Number(a?.startedEventId)) ?? t);
        activityResultBytes += (a?.result?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);
        break;
      }
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        upserts++;
        break;
    }
  }
  const historyBytes = temporal.api.history.v1.History.encode({ events: upTo }).finish().length;
  return {
    events: upTo.length,
    totalMs: ms(upTo[upTo.length - 1]!) - ms(started),
    workflowTasksMs,
    workflowTasks,
    activityQueueMs,
    activityRunMs,
    historyBytes,
    activityResultBytes,
    upserts,
  };
}

/** The mean phases of these workflows' first runs. */
export async function meanPhases(client: Client, workflowIds: string[]): Promise<Phases> {
  const all = await Promise.all(
    workflowIds.map(async (id) => phasesOf((await client.workflow.getHandle(id).fetchHistory()).events ?? [])),
  );
  const mean = (f: (p: Omit<Phases, 'runs'>) => number) =>
    Math.round((all.reduce((n, p) => n + f(p), 0) / all.length) * 10) / 10;
  return {
    runs: all.length,
    totalMs: mean((p) => p.totalMs),
    workflowTasksMs: mean((p) => p.workflowTasksMs),
    workflowTasks: mean((p) => p.workflowTasks),
    activityQueueMs: mean((p) => p.activityQueueMs),
    activityRunMs: mean((p) => p.activityRunMs),
    events: mean((p) => p.events),
    historyBytes: mean((p) => p.historyBytes),
    activityResultBytes: mean((p) => p.activityResultBytes),
    upserts: mean((p) => p.upserts),
  };
}
