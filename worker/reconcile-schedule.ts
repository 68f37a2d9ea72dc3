/**
 * The reconciler's Temporal Schedule (docs/architecture.md, "Reconciler"), registered by every worker at start: it
 * runs ReconcileTenantsWorkflow, which reconciles every enabled tenant, each in a child run of its own.
 * Several workers start at once: each creates it, or finds it and updates it when its settings differ (the action's
 * memo carries them, so the comparison does not depend on how the server rewrites a cron expression; a Schedule's
 * own memo cannot be updated), and a worker's start never fails because of it. RECONCILE_SCHEDULE=off pauses an
 * existing Schedule, with a note saying why.
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { ensureSchedule, type ScheduleRegistration } from '../client/schedules.ts';
import type { Config } from '../config/env.ts';
import type { ReconcileSchedule } from '../config/fields.ts';
import {
  RECONCILE_TENANTS_WORKFLOW_TYPE,
  reconcileScheduleIdFor,
  type ReconcileTenantsInput,
} from '../contract/reconcile.ts';

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * What the memo records, compared as a string: the settings one worker registers, and the workflow type it starts (a
 * Schedule registered by an older release, which ran ReconcileWorkflow for `default` alone, differs: it is updated).
 */
const settingsOf = (schedule: ReconcileSchedule, taskQueue: string, pageSize: number): string =>
  JSON.stringify({ schedule, taskQueue, pageSize, workflowType: RECONCILE_TENANTS_WORKFLOW_TYPE });

const OFF_NOTE = 'paused: a worker started with RECONCILE_SCHEDULE=off';

export function reconcileScheduleOptions(
  reconciler: Config['reconciler'],
  taskQueue: string,
): ScheduleOptions & { spec: NonNullable<ScheduleOptions['spec']> } {
  const { schedule, pageSize } = reconciler;
  const args: [ReconcileTenantsInput] = [{ taskQueue, pageSize }];
  return {
    scheduleId: reconcileScheduleIdFor(taskQueue),
    spec:
      schedule.kind === 'interval'
        ? { intervals: [{ every: schedule.every as `${number}${'m' | 'h' | 'd'}` }] }
        : { cronExpressions: [schedule.kind === 'cron' ? schedule.expression : '0 3 * * *'] },
    action: {
      type: 'startWorkflow',
      workflowType: RECONCILE_TENANTS_WORKFLOW_TYPE,
      workflowId: `reconcile-${taskQueue}`,
      taskQueue,
      args,
      staticSummary: "Reconciler: every tenant's OZmap reservations against its reservation workflows",
      memo: { settings: settingsOf(schedule, taskQueue, pageSize) },
    },
    // Two reconciliations at once would only repeat each other's reads; one that overruns skips the next.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    state:
      schedule.kind === 'off' ? { paused: true, note: OFF_NOTE } : { paused: false, note: 'registered by a worker' },
  };
}

/** Creates or updates the Schedule; never throws (a worker that cannot register it still serves reservations). */
export async function registerReconcileSchedule(
  client: Client,
  config: Pick<Config, 'reconciler'> & { temporal: Pick<Config['temporal'], 'taskQueue'> },
  logger: Logger,
): Promise<ScheduleRegistration | 'failed'> {
  const options = reconcileScheduleOptions(config.reconciler, config.temporal.taskQueue);
  try {
    const outcome = await ensureSchedule(client, options, config.reconciler.schedule.kind === 'off', {
      off: OFF_NOTE,
      updated: 'updated by a worker',
    });
    logger.info({ scheduleId: options.scheduleId, outcome }, 'Reconciler schedule');
    return outcome;
  } catch (err) {
    logger.warn(
      { scheduleId: options.scheduleId, error: err instanceof Error ? err.message : String(err) },
      'Reconciler schedule not registered (the worker runs on; `ozres doctor` reports it)',
    );
    return 'failed';
  }
}
