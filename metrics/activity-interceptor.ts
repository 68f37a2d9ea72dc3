/**
 * Counts what the activities do (docs/operations.md, "Metrics and alerts"): every attempt by type, outcome and
 * tenant, with its duration; ports OZmap refused as taken, confirm/release attempts that failed, and webhook attempts
 * by outcome. Each attempt runs with its tenant in `activityTenant`, so the OZmap requests it makes are counted for
 * that tenant (http-observer.ts). Reads inputs and results only; it never changes them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptors } from '@temporalio/worker';
import { DEFAULT_TENANT_ID, TENANT_ID_PATTERN } from '../contract/ids.ts';
import type { WorkerMetrics } from './worker.ts';

const SETTLE_ACTIVITIES = new Set(['confirmInstallation', 'releasePort']);
const WEBHOOK_ACTIVITY = 'deliverWebhook';

/** The tenant of the activity attempt under way in this async context (undefined outside one). */
export const activityTenant = new AsyncLocalStorage<string>();

/**
 * Whose work an activity does: the `tenantId` its input carries (activities/index.ts `Tenanted`; the webhook
 * delivery's scope, its second argument), `default` without one. A value that is no tenant id is `other`, never
 * itself: the label's values stay the registry's.
 */
export function tenantOfArgs(args: readonly unknown[]): string {
  for (const arg of args) {
    const id = arg !== null && typeof arg === 'object' ? (arg as { tenantId?: unknown }).tenantId : undefined;
    if (id !== undefined) return typeof id === 'string' && TENANT_ID_PATTERN.test(id) ? id : 'other';
  }
  return DEFAULT_TENANT_ID;
}

/** activities/webhooks.ts puts the outcome in the failure's details; anything else (a bug, a cancel) is `error`. */
function webhookOutcome(error: unknown): string {
  const details = error instanceof ApplicationFailure ? (error.details?.[0] as { outcome?: unknown }) : undefined;
  return typeof details?.outcome === 'string' ? details.outcome : 'error';
}

export function activityMetricsInterceptor(metrics: WorkerMetrics): (ctx: Context) => ActivityInterceptors {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const activity = ctx.info.activityType;
        const tenant = tenantOfArgs(input.args);
        const t0 = performance.now();
        const done = (outcome: 'completed' | 'failed') => {
          metrics.activities.inc({ activity, outcome, tenant });
          metrics.activityDuration.observe({ activity, tenant }, (performance.now() - t0) / 1000);
        };
        try {
          const result = await activityTenant.run(tenant, () => next(input));
          done('completed');
          if ((result as { outcome?: unknown } | null)?.outcome === 'port-taken') metrics.portConflicts.inc({ tenant });
          if (activity === WEBHOOK_ACTIVITY) metrics.webhookDeliveries.inc({ outcome: '2xx', tenant });
          return result;
        } catch (error) {
          done('failed');
          if (activity === WEBHOOK_ACTIVITY) metrics.webhookDeliveries.inc({ outcome: webhookOutcome(error), tenant });
          if (SETTLE_ACTIVITIES.has(activity)) {
            const retryable = !(error instanceof ApplicationFailure && error.nonRetryable);
            metrics.settleFailures.inc({ activity, retryable: String(retryable), tenant });
          }
          throw error;
        }
      },
    },
  });
}
