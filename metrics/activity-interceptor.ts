/**
 * Counts what the activities' results say (docs/deployment.md, "Metrics and alerts"): ports OZmap refused as taken,
 * confirm/release attempts that failed, and webhook attempts by outcome. Reads results only; it never changes them.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptors } from '@temporalio/worker';
import type { WorkerMetrics } from './worker.ts';

const SETTLE_ACTIVITIES = new Set(['confirmInstallation', 'releasePort']);
const WEBHOOK_ACTIVITY = 'deliverWebhook';

/** activities/webhooks.ts puts the outcome in the failure's details; anything else (a bug, a cancel) is `error`. */
function webhookOutcome(error: unknown): string {
  const details = error instanceof ApplicationFailure ? (error.details?.[0] as { outcome?: unknown }) : undefined;
  return typeof details?.outcome === 'string' ? details.outcome : 'error';
}

export function activityMetricsInterceptor(metrics: WorkerMetrics): (ctx: Context) => ActivityInterceptors {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const type = ctx.info.activityType;
        try {
          const result = await next(input);
          if ((result as { outcome?: unknown } | null)?.outcome === 'port-taken') metrics.portConflicts.inc();
          if (type === WEBHOOK_ACTIVITY) metrics.webhookDeliveries.inc({ outcome: '2xx' });
          return result;
        } catch (error) {
          if (type === WEBHOOK_ACTIVITY) metrics.webhookDeliveries.inc({ outcome: webhookOutcome(error) });
          if (SETTLE_ACTIVITIES.has(type)) {
            const retryable = !(error instanceof ApplicationFailure && error.nonRetryable);
            metrics.settleFailures.inc({ activity: type, retryable: String(retryable) });
          }
          throw error;
        }
      },
    },
  });
}
