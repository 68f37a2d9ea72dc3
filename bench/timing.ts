/** Calls run `concurrency` at a time, timed: the latency of each and the overall rate. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface Latencies {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs `count` calls of `fn`, `concurrency` at a time; the latency of each and the overall rate. */
export async function timed(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<unknown>,
): Promise<Latencies> {
  const latencies: number[] = [];
  const started = Date.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const t = performance.now();
      await fn(i);
      latencies.push(performance.now() - t);
    },
  );
  const seconds = (Date.now() - started) / 1000;
  return { count, seconds: round(seconds, 2), perSecond: round(count / seconds, 1), ...quantilesOf(latencies) };
}

/** p50 and p99 of latencies in ms (sorted in place), whole ms; 0 for none. */
export function quantilesOf(latencies: number[]): Pick<Latencies, 'p50Ms' | 'p99Ms'> {
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)]!) : 0;
  return { p50Ms: q(0.5), p99Ms: q(0.99) };
}

/**
 * Runs `fn` over `items`, `concurrency` at a time. After a failure it starts no more and waits for those in flight,
 * then throws the first error: nothing may still be calling the server once the bench tears it down.
 */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (!failure && next < items.length) {
        try {
          await fn(items[next++]!);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting after ${timeoutMs / 1000} s`);
    await sleep(intervalMs);
  }
}

/** Reservation against baseline: throughput, p50 and p99. */
export const ratiosOf = (real: Latencies, base: Latencies) => ({
  throughput: round(real.perSecond / base.perSecond, 2),
  p50: round(real.p50Ms / base.p50Ms, 2),
  p99: round(real.p99Ms / base.p99Ms, 2),
});

export const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
