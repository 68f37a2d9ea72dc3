/** The per-tenant figures' summary lines (bench/tenants.ts), as bench/main.ts and bench/tenants-main.ts print them. */
import { fmtCpu } from './format.ts';
import type { LookupCost } from './tenant-lookup.ts';
import { fmtTaskWaits } from './task-waits.ts';
import { MEMORY_GOAL_MIB, NOISE_GOAL, type TenantFigures } from './tenants.ts';

const goal = (met: boolean) => (met ? 'met' : 'NOT met');
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n}`;
const cost = (what: string, c: LookupCost) =>
  `${what} ${c.cachedUs} µs cached (×${c.cachedRatio}), ${c.uncachedUs} µs uncached (×${c.uncachedRatio}) ` +
  `against ${c.baselineUs} µs without a look-up`;

export function tenantLines({ sizes, noise, memory, lookups }: TenantFigures): string[] {
  const { alone, loaded, phases, taskWaits } = noise;
  return [
    `  tenants      A p50 ${alone.p50Ms} ms alone, ${loaded.p50Ms} ms while B's OZmap hangs (${sizes.broken} in ` +
      `flight) and C starts ${sizes.burst}: ×${noise.p50Ratio} (goal ≤ ${NOISE_GOAL}: ${goal(noise.met)}); p99 ` +
      `${alone.p99Ms} vs ${loaded.p99Ms} ms ×${noise.p99Ratio} (${sizes.measured} each, ${sizes.concurrency} at once)`,
    `               A's time (means) alone ${phases.alone.totalMs} ms, under noise ${phases.loaded.totalMs}: ` +
      `activities queued ${phases.alone.activityQueueMs} → ${phases.loaded.activityQueueMs} ms, running ` +
      `${phases.alone.activityRunMs} → ${phases.loaded.activityRunMs}; workflow tasks alone ` +
      `${fmtTaskWaits(taskWaits.alone)}; under noise ${fmtTaskWaits(taskWaits.loaded)}; C's ${noise.burst.reserved} ` +
      `reserved ${noise.burst.seconds} s after the burst began`,
    `               CPU, % of a core, alone: ${fmtCpu(noise.cpu.alone)}; under noise: ${fmtCpu(noise.cpu.loaded)}`,
    `               worker RSS one tenant ${memory.oneTenantAgain.rssMiB} MiB (${signed(memory.driftMiB)} from as ` +
      `many reservations before), ${sizes.registered.toLocaleString('en')} registered and ${sizes.active} active ` +
      `${memory.manyTenants.rssMiB} MiB: ${signed(memory.overOneMiB)} MiB (goal ≤ ${MEMORY_GOAL_MIB}: ` +
      `${goal(memory.met)}; after a GC; main heap used ${memory.oneTenantAgain.mainHeapUsedMiB} → ` +
      `${memory.manyTenants.mainHeapUsedMiB} MiB)`,
    `               look-up per activity, ${lookups.tenants.toLocaleString('en')} registered: ` +
      `${cost('OZmap client', lookups.ozmap)}; ${cost('settings', lookups.settings)}; a tenant's first ` +
      `${lookups.firstUs} µs`,
  ];
}
