/**
 * Control endpoints under /__sim/ (same API key as /api/v2): fault switches, request statistics, a network summary
 * and a reset to the seeded network. They are the simulator's own, not part of OZmap, and are never faulted.
 */
import { FaultPatch, type FaultInjector } from './faults.ts';
import { ApiError, type ApiResult, ok, validationError } from './http.ts';
import { freePortsOf } from './model.ts';
import { ISOLATED_BOX } from './network.ts';
import { Router } from './router.ts';
import { ResetBody } from './schemas.ts';
import type { Stats } from './stats.ts';
import type { Store, Summary } from './store.ts';

export interface AdminContext {
  store: Store;
  faults: FaultInjector;
  stats: Stats;
  reset(seed?: number): void;
  body: unknown;
}

export type AdminHandler = (ctx: AdminContext) => ApiResult;

export interface SimulatorSummary extends Summary {
  /** The box with exactly 3 free ports far from all others, as it is now. */
  isolatedBox?: { id: string; name: string; lat: number; lng: number; freePorts: number[] };
}

export function summarize(store: Store): SimulatorSummary {
  const isolated = store.boxNamed(ISOLATED_BOX.name);
  if (!isolated) return store.summary();
  const freePorts = store
    .splittersOf(isolated.id)
    .filter((s) => s.isDrop)
    .flatMap((s) => freePortsOf(s));
  return {
    ...store.summary(),
    isolatedBox: { id: isolated.id, name: isolated.name, lat: isolated.lat, lng: isolated.lng, freePorts },
  };
}

function updateFaults(ctx: AdminContext): ApiResult {
  if (ctx.body === undefined) throw new ApiError(400, 'A JSON body is required, e.g. {"errorRate": 0.2}');
  const patch = FaultPatch.safeParse(ctx.body);
  if (!patch.success) throw validationError(patch.error, 'fault configuration');
  return ok(ctx.faults.update(patch.data));
}

export function adminRouter(): Router<AdminHandler> {
  return (
    new Router<AdminHandler>()
      .add('GET', '/__sim/faults', ({ faults }) => ok(faults.config))
      .add('PUT', '/__sim/faults', updateFaults)
      .add('PATCH', '/__sim/faults', updateFaults)
      .add('GET', '/__sim/stats', ({ stats }) => ok(stats.snapshot()))
      .add('POST', '/__sim/stats/reset', ({ stats }) => {
        stats.reset();
        return ok(stats.snapshot());
      })
      .add('GET', '/__sim/summary', ({ store }) => ok(summarize(store)))
      // The whole state as the state file holds it: what a checker reads to prove invariants after a run.
      .add('GET', '/__sim/state', ({ store }) => ok(store.snapshot()))
      .add('POST', '/__sim/reset', (ctx) => {
        const body = ResetBody.safeParse(ctx.body ?? {});
        if (!body.success) throw validationError(body.error, 'reset body');
        ctx.reset(body.data.seed);
        return ok(summarize(ctx.store));
      })
  );
}
