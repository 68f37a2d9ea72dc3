/** The worker's memory, part by part (bench/worker.ts's probe), as the bench records and prints it. */
import { round } from './timing.ts';
import type { WorkerMemory } from './worker.ts';

export interface MemorySample {
  held: number;
  rssMiB: number;
  /** The highest RSS since the worker started (VmHWM): the fill's peak, before the GC the probe runs. */
  rssPeakMiB: number;
  rssAnonMiB: number;
  rssFileMiB: number;
  mainHeapUsedMiB: number;
  mainHeapResidentMiB: number;
  externalMiB: number;
  workflowThreadsHeapUsedMiB: number;
  workflowThreadsHeapResidentMiB: number;
  /** Anonymous RSS that no V8 heap accounts for: the SDK core (Rust), buffers, allocator fragmentation. */
  nativeMiB: number;
}

export function sampleOf(held: number, m: WorkerMemory): MemorySample {
  const sum = (f: (t: WorkerMemory['threads'][number]) => number) => m.threads.reduce((a, t) => a + f(t), 0);
  const threadsResident = sum((t) => t.physicalBytes);
  return {
    held,
    rssMiB: mib(m.rss),
    rssPeakMiB: mib(m.rssPeak),
    rssAnonMiB: mib(m.rssAnon),
    rssFileMiB: mib(m.rssFile),
    mainHeapUsedMiB: mib(m.heapUsed),
    mainHeapResidentMiB: mib(m.heapPhysical),
    externalMiB: mib(m.external),
    workflowThreadsHeapUsedMiB: mib(sum((t) => t.usedBytes)),
    workflowThreadsHeapResidentMiB: mib(threadsResident),
    nativeMiB: mib(m.rssAnon - m.heapPhysical - threadsResident),
  };
}

export const fmtMemory = (m: MemorySample) =>
  `RSS ${m.rssMiB} MiB = file ${m.rssFileMiB} + anon ${m.rssAnonMiB} (main heap ${m.mainHeapResidentMiB}, ` +
  `workflow threads' heaps ${m.workflowThreadsHeapResidentMiB}, native ${m.nativeMiB}); peak so far ${m.rssPeakMiB}`;
export const fmtOptions = (m: WorkerMemory) =>
  `${Object.entries(m.options)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ')}, allocator ${m.allocator}`;
export const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
