/**
 * WebhookDelivery (docs/architecture.md, "Webhooks"): one event to Ispbox, as a child of the reservation that
 * emitted it and abandoned by it, so that a receiver that is down delays nothing of the reservation. Its one activity
 * is retried for 25 hours; a delivery that gives up fails this workflow, which the Web UI lists as Failed
 * (`WorkflowType = 'WebhookDelivery' AND ExecutionStatus = 'Failed'`).
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { WebhookActivities } from '../../activities/webhooks.ts';
import { FAILURES } from '../../contract/failures.ts';
import type { WebhookBody } from '../../contract/schemas.ts';

/**
 * One signed POST (docs/architecture.md, "Webhooks"): a 10 s answer limit inside a 15 s attempt, retried with
 * backoff up to 15 minutes apart for 25 hours (the contract's "at least 24 hours"), then the delivery gives up.
 */
const { deliverWebhook } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '25 hours',
  retry: {
    initialInterval: '10 seconds',
    backoffCoefficient: 2,
    maximumInterval: '15 minutes',
    nonRetryableErrorTypes: [FAILURES.WebhookNotConfigured],
  },
});

export const WEBHOOK_DELIVERY_TYPE = 'WebhookDelivery';

/** `scope.tenantId`: whose webhook (absent: `default`'s, WEBHOOK_URL). */
export async function WebhookDelivery(
  event: WebhookBody,
  scope: { tenantId?: string } = {},
): Promise<{ status: number }> {
  setCurrentDetails(`**${event.type}** for viability \`${event.viabilityId}\`, event \`${event.id}\``);
  try {
    return await (scope.tenantId === undefined ? deliverWebhook(event) : deliverWebhook(event, scope));
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    throw ApplicationFailure.nonRetryable(
      `Gave up delivering ${event.type} (event ${event.id}): ${err.cause?.message ?? err.message}`,
      FAILURES.WebhookGaveUp,
    );
  }
}
