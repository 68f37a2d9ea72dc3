/** The bench's one-screen summary and its results file (bench/results/latest.json, quick.json with --quick). */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../scripts/temporal-tools.ts';
import { fmt, fmtCpuVs, fmtPhases } from './format.ts';
import { goalLines, goalsOf } from './goals.ts';
import { perExpiryOf, type Figures } from './figures.ts';
import { CALM_CONCURRENCY } from './measure.ts';
import { fmtOptions, mib, sampleOf, type MemorySample } from './memory.ts';
import type { BenchOptions } from './options.ts';
import { fmtReads } from './reads.ts';
import type { Bench } from './stack.ts';
import { tenantLines } from './tenant-report.ts';
import { round } from './timing.ts';

export function printSummary(bench: Bench, options: BenchOptions, figures: Figures): void {
  const { sizes, fresh } = bench;
  const { throughput, phases, unsaturated, calls, held, cluster } = figures;
  const { real, base, ratios, realCpu, baseCpu, cpuRatio } = throughput;
  const { expiry, baselineExpiry, expiryRatio } = figures.expiry;
  const summary = [
    '',
    `summary (${options.quick ? 'quick' : 'full'}; worker ${fmtOptions(fresh)}; ${os.cpus().length} cores, load ${os
      .loadavg()
      .map((l) => round(l, 1))
      .join(' ')})`,
    `  throughput   reservation ${real.perSecond}/s, baseline ${base.perSecond}/s: ×${ratios.throughput}`,
    `  p50          ${real.p50Ms} vs ${base.p50Ms} ms: ×${ratios.p50}`,
    `  p99          ${real.p99Ms} vs ${base.p99Ms} ms: ×${ratios.p99}`,
    `  CPU          ${fmtCpuVs(realCpu, baseCpu)}: ×${cpuRatio}`,
    `  unsaturated  at concurrency ${CALM_CONCURRENCY}: throughput ×${unsaturated.ratios.throughput}, ` +
      `p50 ${unsaturated.reservation.p50Ms} vs ${unsaturated.baseline.p50Ms} ms ×${unsaturated.ratios.p50}, ` +
      `p99 ×${unsaturated.ratios.p99}`,
    `  where (mean) reservation ${fmtPhases(phases.reservation)}`,
    `               baseline    ${fmtPhases(phases.baseline)}`,
    `  OZmap calls  ${calls.perReservation} per reservation, ${calls.perCancellation} per cancellation, ` +
      `${perExpiryOf(figures, sizes.expiring)} per expiry`,
    `  worker RSS   fresh ${mib(fresh.rss)} MiB; ` +
      held.memory.map((m: MemorySample) => `${m.held.toLocaleString('en')} held ${m.rssMiB}`).join(' · ') +
      ` MiB (after a GC; highest since start ${held.memory.at(-1)?.rssPeakMiB} MiB)`,
    `  query        on a held reservation p50 ${held.queried.p50Ms} ms, p99 ${held.queried.p99Ms} ms`,
    ...fmtReads(figures.reads),
    `  mass expiry  ${sizes.expiring} reservations ${expiry.seconds} s, ${sizes.expiring} baseline timers ` +
      `${baselineExpiry.seconds} s: ×${expiryRatio}; CPU ${fmtCpuVs(expiry.cpu, baselineExpiry.cpu)}`,
    ...(cluster ? cluster.map((f) => `  cluster      ${f.workers} worker(s): reservation ${fmt(f.reservation)}`) : []),
    ...tenantLines(figures.tenants),
    ...goalLines(goalsOf(figures, sizes.expiring)),
  ];
  for (const line of summary) bench.log(line);
}

/** Writes bench/results/<latest|quick>[-cluster].json and says where. */
export async function writeResults(bench: Bench, options: BenchOptions, figures: Figures): Promise<void> {
  const { sizes, fresh } = bench;
  const { quick, onCluster } = options;
  const { throughput, phases, unsaturated, calls, held, cluster } = figures;
  const { expiry, baselineExpiry, expiryRatio, expiryStats, after } = figures.expiry;
  const results = {
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model,
      ramGiB: round(os.totalmem() / 2 ** 30, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverageAtEnd: os.loadavg().map((l) => round(l, 1)),
    },
    setup: {
      server: 'temporal server start-dev, in memory',
      worker: 'child process (bench/worker.ts)',
      workerOptions: fresh.options,
      allocator: fresh.allocator,
      simulator: 'in the bench process, no injected faults or latency',
      quick,
      ...sizes,
      widenedBoxes: bench.widenedBoxes,
    },
    throughput: {
      baseline: throughput.base,
      reservation: throughput.real,
      ratios: throughput.ratios,
      phases,
      cpuMsEach: { baseline: throughput.baseCpu, reservation: throughput.realCpu },
      cpuRatio: throughput.cpuRatio,
      unsaturated,
    },
    ...(cluster && { cluster: { setup: 'npm run start:cluster topology, fresh PostgreSQL', throughput: cluster } }),
    ozmapCalls: { ...calls, perExpiry: perExpiryOf(figures, sizes.expiring), expiryRoutes: expiryStats.requests },
    memory: {
      fresh: sampleOf(0, fresh),
      samples: held.memory,
      afterExpiry: after,
      heldFillSeconds: held.fillSeconds,
      queryOnHeld: held.queried,
    },
    reads: figures.reads ?? null,
    expiry: { ...expiry, count: sizes.expiring, baseline: baselineExpiry, ratio: expiryRatio },
    tenants: figures.tenants,
    goals: goalsOf(figures, sizes.expiring),
  };
  const name = `${quick ? 'quick' : 'latest'}${onCluster ? '-cluster' : ''}.json`;
  const out = path.join(projectRoot, 'bench', 'results', name);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  bench.log(`results: ${path.relative(projectRoot, out)}`);
}
