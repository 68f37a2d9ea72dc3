/** How the bench prints its figures: rates and latencies, where a workflow's time goes, CPU per workflow. */
import type { CpuMeter } from './cpu.ts';
import type { Phases } from './phases.ts';
import { round, type Latencies } from './timing.ts';

export const fmt = (l: Latencies) =>
  `${l.perSecond}/s (${l.count} in ${l.seconds} s), p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`;
export const fmtPhases = (p: Phases) =>
  `history: ${p.totalMs} ms to the answer = ${p.workflowTasks} workflow tasks ${p.workflowTasksMs} ms, ` +
  `activities queued ${p.activityQueueMs} ms, running ${p.activityRunMs} ms; ${p.upserts} upserts, ` +
  `${p.events} events, ${p.historyBytes} B of history (activity results ${p.activityResultBytes} B)`;
export type CpuPhase = ReturnType<CpuMeter['stop']>;
/** "reservation vs baseline ms per workflow", in all and by process. */
export const fmtCpuVs = (real: CpuPhase, base: CpuPhase) =>
  `${totalCpu(real)} vs ${totalCpu(base)} ms per workflow (` +
  Object.keys(real)
    .map((p) => `${p} ${real[p]!.total} vs ${base[p]!.total}`)
    .join(', ') +
  ')';
export const totalCpu = (cpu: CpuPhase) =>
  round(
    Object.values(cpu).reduce((sum, p) => sum + p.total, 0),
    1,
  );
export const fmtCpu = (cpu: CpuPhase) =>
  Object.entries(cpu)
    .map(
      ([name, { total, ...threads }]) =>
        `${name} ${total} (` +
        Object.entries(threads)
          .sort((a, b) => b[1] - a[1])
          .filter(([, ms]) => ms >= 0.5)
          .map(([t, ms]) => `${t} ${ms}`)
          .join(', ') +
        ')',
    )
    .join('; ');
