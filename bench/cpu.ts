/**
 * CPU spent by each process of the bench during a phase, read from /proc (Linux): the dev server, the worker (split by
 * thread: node's main thread, its other threads, the SDK core's tokio threads) and this process
 * (the load generator's client and the OZmap simulator). On two cores every one of them competes with the others, so
 * a workflow's CPU cost, not its wall time, is what tells where the reservation's extra time goes.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime: 100 on every Linux the bench targets. */
const TICKS_PER_SECOND = 100;

export type CpuByThread = Record<string, number>;

/** utime + stime in milliseconds of one /proc stat line (the name field may hold spaces and parentheses). */
function cpuMsOf(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Milliseconds of CPU per thread name of a process (threads of one name summed); {} once it has gone. */
export function threadsCpu(pid: number): CpuByThread {
  const out: CpuByThread = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      // The main thread is the process's own id; node's other threads (the workflow thread, V8's helpers) are "node".
      const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out[name] = (out[name] ?? 0) + cpuMsOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      // the thread ended between the listing and the read: its time is gone with it
    }
  }
  return out;
}

export interface CpuMeter {
  /** Per process, per thread name: milliseconds of CPU since the meter was made, divided by `per`. */
  stop(per: number): Record<string, CpuByThread & { total: number }>;
}

/** Starts counting CPU for the named processes. */
export function cpuMeter(pids: Record<string, number>): CpuMeter {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, threadsCpu(pid)]));
  return {
    stop(per) {
      return Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => {
          const now = threadsCpu(pid);
          const was = before[name]!;
          const threads: CpuByThread & { total: number } = { total: 0 };
          for (const [thread, ms] of Object.entries(now)) {
            const spent = ms - (was[thread] ?? 0);
            if (spent <= 0) continue;
            threads[thread] = Math.round((spent / per) * 10) / 10;
            threads.total += spent;
          }
          threads.total = Math.round((threads.total / per) * 10) / 10;
          return [name, threads];
        }),
      );
    },
  };
}
