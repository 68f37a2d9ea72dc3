/**
 * WebhookDelivery (docs/architecture.md, "Webhooks"): one event to Ispbox, as a child of the reservation that
 * emitted it and abandoned by it, so that a receiver that is down delays nothing of the reservation. Its one activity
 * is retried for 25 hours; a delivery that gives up fails this workflow, which the Web UI lists as Failed
 * (`WorkflowType = 'WebhookDelivery' AND ExecutionStatus = 'Failed'`).
 */
import { ActivityFailure, ApplicationFailure, setCurrentDetails } from '@temporalio/workflow';
import { FAILURES } from '../contract/failures.ts';
import type { WebhookEvent } from '../contract/schemas.ts';
import { deliverWebhook } from './activities.ts';

export const WEBHOOK_DELIVERY_TYPE = 'WebhookDelivery';

export async function WebhookDelivery(event: WebhookEvent): Promise<{ status: number }> {
  setCurrentDetails(`**${event.type}** for viability \`${event.viabilityId}\`, event \`${event.id}\``);
  try {
    return await deliverWebhook(event);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    throw ApplicationFailure.nonRetryable(
      `Gave up delivering ${event.type} (event ${event.id}): ${err.cause?.message ?? err.message}`,
      FAILURES.WebhookGaveUp,
    );
  }
}
