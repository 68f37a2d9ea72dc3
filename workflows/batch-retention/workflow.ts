/**
 * BatchRetentionWorkflow (docs/demand.md, "Batch feasibility: how it works"): deletes the feasibility batches past
 * their retention. Run by a Schedule every worker registers (worker/batch-retention-schedule.ts); one activity.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { BatchActivities } from '../../activities/batch.ts';

const { deleteExpiredBatches } = proxyActivities<BatchActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  // The next run of the Schedule tries again: a few attempts are enough.
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
});

export async function BatchRetentionWorkflow(): Promise<{ deleted: number }> {
  const deleted = await deleteExpiredBatches();
  setCurrentDetails(`Deleted ${deleted} batch(es) past their retention`);
  return { deleted };
}
