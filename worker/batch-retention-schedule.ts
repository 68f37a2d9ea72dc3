/**
 * Batch retention's Temporal Schedule (docs/demand.md, "Batch feasibility: how it works"), registered by every worker
 * at start: every hour, BatchRetentionWorkflow deletes the batches whose retention (BATCH_RETENTION_DAYS after they
 * ended) is over.
 *
 * Why a Schedule: it is durable and visible (the Web UI lists it and its runs), covers every way a batch ends
 * (completed, cancelled by the API, failed) and batches of workers long gone, and costs one short workflow an hour.
 * The batch workflow's own 30-day timer would keep a run open per batch and would not outlive a cancel; a timer in
 * the worker process would be invisible; the reconciler's run belongs to OZmap's reservations, not to this store.
 */
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';

/** The workflow type the Schedule starts (workflows/batch-retention). */
export const BATCH_RETENTION_WORKFLOW_TYPE = 'BatchRetentionWorkflow';
export const batchRetentionScheduleIdFor = (taskQueue: string): string => `batch-retention-${taskQueue}`;

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export function batchRetentionScheduleOptions(taskQueue: string): ScheduleOptions {
  return {
    scheduleId: batchRetentionScheduleIdFor(taskQueue),
    spec: { intervals: [{ every: '1h' }] },
    action: {
      type: 'startWorkflow',
      workflowType: BATCH_RETENTION_WORKFLOW_TYPE,
      workflowId: `batch-retention-${taskQueue}`,
      taskQueue,
      args: [],
      staticSummary: 'Batch feasibility: deletes the batches past their retention',
    },
    // A run that overruns skips the next: the one after deletes whatever is left.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
  };
}

/** Creates the Schedule, or finds it made by another worker; never throws (the worker runs on without it). */
export async function registerBatchRetentionSchedule(
  client: Client,
  taskQueue: string,
  logger: Logger,
): Promise<'created' | 'exists' | 'failed'> {
  const options = batchRetentionScheduleOptions(taskQueue);
  try {
    await client.schedule.create(options);
    logger.info({ scheduleId: options.scheduleId }, 'Batch retention schedule created');
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    logger.warn(
      { scheduleId: options.scheduleId, error: err instanceof Error ? err.message : String(err) },
      'Batch retention schedule not registered (the worker runs on; expired batches wait for the next worker)',
    );
    return 'failed';
  }
}
