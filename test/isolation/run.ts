/**
 * `npm run test:isolation` (docs/tenants.md, "Isolation"): the isolation bench (measure.ts) at full size. Prints A's
 * p50 and p90 alone and under load and their ratio, and exits 1 when A's p50 under load is more than BOUND times A's
 * alone (one of A's reservations not ending RESERVED fails it too). ISOLATION_ROUNDS, ISOLATION_BURST,
 * ISOLATION_BROKEN, ISOLATION_FAIRNESS=off and ISOLATION_TIMELINE=1 (the history of A's last reservation under load,
 * with times) vary it; the worker takes the usual WORKER_* settings from the environment. Run it on a quiet machine.
 */
import { measureIsolation, percentile } from './measure.ts';

const BOUND = 1.5;
const say = (line: string) => console.log(`[isolation] ${line}`);
const ms = (times: number[]) =>
  `p50 ${percentile(times, 50).toFixed(0)} ms, p90 ${percentile(times, 90).toFixed(0)} ms`;

async function main(): Promise<number> {
  const result = await measureIsolation({
    rounds: Number(process.env.ISOLATION_ROUNDS ?? 12),
    burst: Number(process.env.ISOLATION_BURST ?? 200),
    broken: Number(process.env.ISOLATION_BROKEN ?? 20),
    fairness: process.env.ISOLATION_FAIRNESS !== 'off',
    log: say,
  });
  say(`A alone: ${ms(result.alone)}`);
  say(`A under load: ${ms(result.loaded)} (${result.loadedSeconds.toFixed(1)} s after the burst began)`);
  say(`p50 ratio, A under load / A alone: ×${result.ratio.toFixed(2)} (bound ×${BOUND})`);
  if (process.env.ISOLATION_TIMELINE) for (const line of result.timeline) say(`  ${line}`);
  return result.ratio <= BOUND ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
