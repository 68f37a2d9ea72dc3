/**
 * Counts what the activities' results say (docs/deployment.md, "Metrics and alerts"): ports OZmap refused as taken,
 * and confirm/release attempts that failed. Reads results only; it never changes them.
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptors } from '@temporalio/worker';
import type { WorkerMetrics } from './worker.ts';

const SETTLE_ACTIVITIES = new Set(['confirmInstallation', 'releasePort']);

export function activityMetricsInterceptor(metrics: WorkerMetrics): (ctx: Context) => ActivityInterceptors {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const type = ctx.info.activityType;
        try {
          const result = await next(input);
          if ((result as { outcome?: unknown } | null)?.outcome === 'port-taken') metrics.portConflicts.inc();
          return result;
        } catch (error) {
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
