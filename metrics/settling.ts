/**
 * Reservations stuck settling: a confirm or release that fails for a reason retries cannot fix stays in CONFIRMING
 * or RELEASING and is retried hourly (docs/architecture.md). Visibility counts them; the gauge feeds the alert.
 */
import type { Client } from '@temporalio/client';
import type { WorkerMetrics } from './worker.ts';

export function pollSettling(client: Client, metrics: WorkerMetrics, intervalMs = 60_000): () => void {
  let stopped = false;
  const tick = async () => {
    for (const status of ['CONFIRMING', 'RELEASING']) {
      try {
        const query = `ExecutionStatus = "Running" AND ReservationStatus = "${status}"`;
        const { count } = await client.workflow.count(query);
        metrics.settling.set({ status }, count);
      } catch {
        // Temporal unreachable for now: keep the last value; the SDK's own metrics show the outage.
      }
    }
  };
  const timer = setInterval(() => {
    if (!stopped) void tick();
  }, intervalMs);
  timer.unref();
  void tick();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
