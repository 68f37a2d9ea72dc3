/**
 * The summary's last lines: each figure the lean-reservation work set a goal for (bench/README.md), its goal, and
 * whether this run met it. Computed from the run's own figures; nothing here is measured.
 */
import { perExpiryOf, type Figures } from './figures.ts';
import { round } from './timing.ts';

export interface Goal {
  figure: string;
  measured: string;
  goal: string;
  met: boolean;
}

const serverAndWorker = (cpu: Figures['throughput']['realCpu']) => (cpu.server?.total ?? 0) + (cpu.worker?.total ?? 0);
const ms = (cpu: Figures['throughput']['realCpu']) => round(serverAndWorker(cpu), 1);
const kb = (bytes: number) => round(bytes / 1024, 1);

export function goalsOf(figures: Figures, expiring: number): Goal[] {
  const { throughput, phases, expiry, reads, tenants } = figures;
  const cpu = round(serverAndWorker(throughput.realCpu) / serverAndWorker(throughput.baseCpu), 2);
  const history = phases.reservation;
  const perExpiry = perExpiryOf(figures, expiring);
  const goals: Goal[] = [
    {
      figure: 'CPU per workflow, server + worker, reservation / baseline',
      measured: `×${cpu} (${ms(throughput.realCpu)} vs ${ms(throughput.baseCpu)} ms)`,
      goal: '≤ ×1.3',
      met: cpu <= 1.3,
    },
    {
      figure: 'throughput, reservation / baseline',
      measured: `×${throughput.ratios.throughput}`,
      goal: '≥ ×0.77',
      met: throughput.ratios.throughput >= 0.77,
    },
    {
      figure: 'history to the answer',
      measured:
        `${history.events} events, ${kb(history.historyBytes)} KB ` +
        `(baseline ${phases.baseline.events}, ${kb(phases.baseline.historyBytes)} KB)`,
      goal: '≤ 22 events, ≤ 8 KB',
      met: history.events <= 22 && history.historyBytes <= 8 * 1024,
    },
    {
      figure: 'upserts to the answer',
      measured: `${history.upserts}`,
      goal: '≤ 3',
      met: history.upserts <= 3,
    },
    {
      figure: `${expiring.toLocaleString('en')} holds ending at once / as many baseline timers`,
      measured: `×${expiry.expiryRatio} (${expiry.expiry.seconds} vs ${expiry.baselineExpiry.seconds} s)`,
      goal: '≤ ×1.5',
      met: expiry.expiryRatio <= 1.5,
    },
    {
      figure: 'OZmap calls per expiry',
      measured: `${perExpiry}`,
      goal: '3.0',
      met: perExpiry <= 3,
    },
  ];
  if (reads)
    goals.push({
      figure: `GET reads / query reads, ${reads.ids} held, ${reads.connections} at once`,
      measured: `×${reads.ratio} (${reads.get.perSecond} vs ${reads.query.perSecond}/s), GET p99 ${reads.get.p99Ms} ms`,
      goal: '≥ ×10, p99 < 100 ms',
      met: reads.ratio >= 10 && reads.get.p99Ms < 100,
    });
  goals.push(
    {
      figure: "noisy neighbour: tenant A's p50 with B hung and C's burst / alone",
      measured: `×${tenants.noise.p50Ratio} (${tenants.noise.loaded.p50Ms} vs ${tenants.noise.alone.p50Ms} ms)`,
      goal: '≤ ×1.2',
      met: tenants.noise.met,
    },
    {
      figure:
        `worker RSS, ${tenants.sizes.registered.toLocaleString('en')} tenants registered and ` +
        `${tenants.sizes.active} active, over one`,
      measured: `${tenants.memory.overOneMiB >= 0 ? '+' : ''}${tenants.memory.overOneMiB} MiB`,
      goal: '≤ 30 MiB',
      met: tenants.memory.met,
    },
  );
  return goals;
}

/** The goals as the summary prints them, one a line. */
export function goalLines(goals: readonly Goal[]): string[] {
  const width = Math.max(...goals.map((g) => g.figure.length));
  return [
    '  goals',
    ...goals.map(
      (g) => `    ${g.met ? 'met    ' : 'NOT met'}  ${g.figure.padEnd(width)}  ${g.measured}; goal ${g.goal}`,
    ),
  ];
}
