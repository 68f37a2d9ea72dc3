/**
 * BatchFeasibilityWorkflow (docs/demand.md, "Batch feasibility: how it works"): works through one batch's rows a page
 * at a time, each page an activity that reads its rows from the batches' store and writes their results back. Only
 * counts pass through history; the run continues as new every PAGES_PER_RUN pages, so no history grows with the
 * batch. Started by client/batches.ts with [BatchWorkflowInput] under batchWorkflowIdFor(tenantId, batchId); a
 * cancel (the API marks the batch CANCELLED, then cancels the run) stops it between or during pages.
 */
import {
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  workflowInfo,
} from '@temporalio/workflow';
import type { BatchActivities, BatchPageResult } from '../../activities/batch.ts';
import type { BatchStatus, BatchWorkflowInput } from '../../contract/demand.ts';
import { BATCH_ID_PATTERN } from '../../contract/demand-ids.ts';
import { TENANT_ID_PATTERN } from '../../contract/ids.ts';

const { processBatchPage } = proxyActivities<BatchActivities>({
  // A page geocodes for at most ~30 s and surveys its areas; it heartbeats every 5 s, so a dead worker's page is
  // retried elsewhere after 20 s.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '20 seconds',
  // An OZmap or geocoder outage is waited out for about half an hour before the batch is FAILED.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 40 },
});

const { finishBatch } = proxyActivities<BatchActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
});

/** Pages per run: about 6 events each, a run stays near 600 events whatever the batch's size. */
export const PAGES_PER_RUN = 100;

/** Carried over by continue-as-new: where the batch is, never its rows. */
export interface BatchResume {
  nextIdx: number;
  pages: number;
  runs: number;
}

/** What a run ends with (the Web UI's result): counts only. */
export interface BatchSummary {
  batchId: string;
  status: BatchStatus;
  total: number;
  done: number;
  viable: number;
  notViable: number;
  addressNotFound: number;
  invalid: number;
}

export async function BatchFeasibilityWorkflow(
  input: BatchWorkflowInput & { resume?: BatchResume; pagesPerRun?: number },
): Promise<BatchSummary> {
  const { tenantId, batchId } = validated(input);
  // Tests make runs short to see continue-as-new; the API never sets it.
  const pagesPerRun =
    Number.isInteger(input.pagesPerRun) && input.pagesPerRun! >= 1
      ? Math.min(input.pagesPerRun!, PAGES_PER_RUN)
      : PAGES_PER_RUN;
  const resume = input.resume ?? { nextIdx: 0, pages: 0, runs: 1 };
  const ref = { tenantId, batchId };
  let last: BatchPageResult | undefined;
  let next: number | null = resume.nextIdx;
  setCurrentDetails(describeBatch(batchId, undefined, resume));
  try {
    for (let pages = 0; next !== null; pages++) {
      if (pages >= pagesPerRun || workflowInfo().continueAsNewSuggested) break;
      last = await processBatchPage({ ...ref, fromIdx: next });
      next = last.nextIdx;
      resume.pages++;
      setCurrentDetails(describeBatch(batchId, last, resume));
    }
    if (next === null && last?.status !== 'CANCELLED' && last?.status !== 'FAILED')
      await finishBatch({ ...ref, status: 'COMPLETED' });
  } catch (err) {
    // The API marked the batch CANCELLED before cancelling the run; finishing is idempotent either way.
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => finishBatch({ ...ref, status: 'CANCELLED' }));
      setCurrentDetails(`${describeBatch(batchId, last, resume)}\n\n**Cancelled**`);
    } else {
      await finishBatch({ ...ref, status: 'FAILED' });
      setCurrentDetails(`${describeBatch(batchId, last, resume)}\n\n**Failed**: the results so far are kept`);
    }
    throw err;
  }
  if (next !== null)
    return continueAsNew<typeof BatchFeasibilityWorkflow>({
      tenantId,
      batchId,
      resume: { nextIdx: next, pages: resume.pages, runs: resume.runs + 1 },
      ...(pagesPerRun !== PAGES_PER_RUN ? { pagesPerRun } : {}),
    });
  const status: BatchStatus = last && last.status !== 'RUNNING' ? last.status : 'COMPLETED';
  const summary: BatchSummary = {
    batchId,
    status,
    total: last?.total ?? 0,
    done: last?.done ?? 0,
    ...(last?.counts ?? { viable: 0, notViable: 0, addressNotFound: 0, invalid: 0 }),
  };
  setCurrentDetails(`${describeBatch(batchId, last, resume)}\n\n**${status === 'COMPLETED' ? 'Done' : status}**`);
  return summary;
}

/** The input as client/batches.ts sends it; anything else fails the run at once (a direct start gone wrong). */
function validated(input: BatchWorkflowInput): BatchWorkflowInput {
  const ok =
    typeof input === 'object' &&
    input !== null &&
    typeof input.tenantId === 'string' &&
    TENANT_ID_PATTERN.test(input.tenantId) &&
    typeof input.batchId === 'string' &&
    // The API made it; the store has the rest.
    BATCH_ID_PATTERN.test(input.batchId);
  if (!ok)
    throw ApplicationFailure.nonRetryable(
      'Invalid batch input: tenantId must be a tenant id and batchId a batch id (fb_ and 20 of a-z, 2-7)',
      'InvalidBatchInput',
    );
  return { tenantId: input.tenantId, batchId: input.batchId };
}

/** Markdown for the Web UI's "current details": how far the batch is, and what its rows came to so far. */
export function describeBatch(batchId: string, page: BatchPageResult | undefined, resume: BatchResume): string {
  const where = `Batch \`${batchId}\`: page ${resume.pages}, run ${resume.runs}`;
  if (!page) return `${where}\n\nStarting`;
  const share = page.total > 0 ? Math.floor((page.done / page.total) * 100) : 100;
  const c = page.counts;
  return [
    where,
    `**${page.done} of ${page.total} rows** (${share} %)`,
    `Viable ${c.viable}, not viable ${c.notViable}, address not found ${c.addressNotFound}, invalid ${c.invalid}`,
  ].join('\n\n');
}
