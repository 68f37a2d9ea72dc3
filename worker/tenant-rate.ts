/**
 * Each tenant's share of the activity task queue (docs/tenants.md, "Isolation"): Temporal's per-fairness-key rate
 * limit on the worker's activity task queue, set by every worker at start, as the reconciler's Schedule is. Every
 * reservation carries its tenant as its fairness key, so one tenant's burst is dispatched at most
 * TENANT_ACTIVITIES_PER_SECOND activities a second, and the capacity beyond it stays with the others: a burst no
 * longer saturates the workers while another tenant's reservation waits behind it. 0 lifts the limit. Workflow task
 * queues take no rate limit (the server refuses one); their tasks follow their activities. A server without the
 * call (or without Fairness) keeps the worker running: the outcome is logged, and `ozres doctor` is not affected.
 */
import { type Client } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: no named ESM exports

export type TenantRateRegistration = 'set' | 'lifted' | 'failed';

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export async function registerTenantActivityRate(
  client: Client,
  target: { namespace: string; taskQueue: string; perSecond: number },
  logger: Logger,
): Promise<TenantRateRegistration> {
  const { namespace, taskQueue, perSecond } = target;
  try {
    await client.workflowService.updateTaskQueueConfig({
      namespace,
      identity: client.options.identity,
      taskQueue,
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      // An update without a rate limit clears it.
      updateFairnessKeyRateLimitDefault: {
        ...(perSecond > 0 ? { rateLimit: { requestsPerSecond: perSecond } } : {}),
        reason: `TENANT_ACTIVITIES_PER_SECOND=${perSecond}, set by a worker at start`,
      },
    });
    const outcome = perSecond > 0 ? 'set' : 'lifted';
    logger.info({ taskQueue, perSecond, outcome }, 'Per-tenant activity rate');
    return outcome;
  } catch (err) {
    logger.warn(
      { taskQueue, perSecond, error: err instanceof Error ? err.message : String(err) },
      'Per-tenant activity rate not set (the server may lack Priority and Fairness): tenants share the queue unbounded',
    );
    return 'failed';
  }
}
