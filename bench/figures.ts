/** Every figure of one run of `npm run bench`, as main.ts gathers them and report.ts and goals.ts read them. */
import type { ClusterFigures } from './cluster.ts';
import type { countOzmapCalls, HeldMemory, measureMassExpiry, measureUnsaturated, Throughput } from './measure.ts';
import type { Phases } from './phases.ts';
import type { ReadFigures } from './reads.ts';
import type { TenantFigures } from './tenants.ts';
import { round } from './timing.ts';

export interface Figures {
  throughput: Throughput;
  phases: { baseline: Phases; reservation: Phases };
  unsaturated: Awaited<ReturnType<typeof measureUnsaturated>>['unsaturated'];
  calls: Awaited<ReturnType<typeof countOzmapCalls>>;
  held: HeldMemory;
  reads: ReadFigures | undefined;
  expiry: Awaited<ReturnType<typeof measureMassExpiry>>;
  cluster: ClusterFigures[] | undefined;
  tenants: TenantFigures;
}

/** OZmap calls per expiry in (d): the simulator's count over the reservations that expired. */
export const perExpiryOf = ({ expiry }: Pick<Figures, 'expiry'>, expiring: number): number =>
  round(expiry.expiryStats.totalRequests / expiring, 2);
