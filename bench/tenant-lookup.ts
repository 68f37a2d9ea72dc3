/**
 * What finding its tenant costs an activity (docs/tenants.md): a micro-benchmark in this process on the registry the
 * bench registered its tenants in. An OZmap activity goes through onTenantOzmap (the tenant's client, from the
 * registry, in its bulkhead) and the settings activity through the tenant's settings; each is timed against the
 * same call for the environment's tenant, which needs no look-up (a single fixed client, the base settings).
 * "Cached": within the registry's CACHE_MS, as most look-ups of a busy tenant are; "uncached": the registry's clock
 * moved past it before each call, so the row is read and its key unsealed again (its client is kept: same version).
 */
import { ozmapClientFor } from '../activities/clients.ts';
import type { OzmapClient } from '../activities/ozmap/client.ts';
import { createSettingsActivities, polesOf, prospectsOf } from '../activities/settings.ts';
import { onTenantOzmap } from '../activities/tenant-ozmaps.ts';
import { webhookSettingsOf } from '../activities/webhooks.ts';
import type { Config } from '../config/env.ts';
import { DEFAULT_LIMITS } from '../contract/limits.ts';
import { openRegistry } from '../registry/open.ts';
import { CACHE_MS } from '../registry/registry.ts';
import { tenantParts } from '../worker/tenants.ts';
import { round } from './timing.ts';

export interface LookupCost {
  /** µs per call: the environment's tenant (no look-up), a registered tenant cached and uncached. */
  baselineUs: number;
  cachedUs: number;
  uncachedUs: number;
  cachedRatio: number;
  uncachedRatio: number;
}

export interface LookupFigures {
  tenants: number;
  ozmap: LookupCost;
  settings: LookupCost;
  /** µs for a tenant's first OZmap look-up in a process: the row read, its key unsealed, its client built. */
  firstUs: number;
}

const ROUNDS = 5;

/** `calls` look-ups per round (uncached ones a tenth of them), rounds interleaved; the median round of each. */
export async function measureLookups(config: Config, tenantIds: string[], calls: number): Promise<LookupFigures> {
  let clock = Date.now();
  const registry = await openRegistry(config, { now: () => clock });
  const fixed = ozmapClientFor(config.ozmap);
  const parts = tenantParts(registry, config, fixed);
  const base = {
    ...DEFAULT_LIMITS,
    webhooks: webhookSettingsOf(undefined),
    ...polesOf(undefined),
    ...prospectsOf(undefined),
  };
  const { reservationSettings } = createSettingsActivities(base, parts.settings);
  const act = (ozmap: OzmapClient) => Promise.resolve(ozmap);
  const withTenants = { ozmap: fixed, tenants: parts.ozmaps };
  try {
    const first = await perCall(tenantIds.length, (i) => onTenantOzmap(withTenants, tenantIds[i], act));
    const id = (i: number) => tenantIds[i % tenantIds.length]!;
    const stale = () => (clock += CACHE_MS + 1);
    const ozmapOf = (i: number) => onTenantOzmap(withTenants, id(i), act);
    const settingsOf = (i: number) => reservationSettings({ tenantId: id(i) });
    const ozmap: number[][] = [[], [], []];
    const settings: number[][] = [[], [], []];
    for (let r = 0; r < ROUNDS; r++) {
      // Every tenant's entry fresh (the uncached calls leave them stale), then the cached calls.
      stale();
      for (const tenantId of tenantIds) await registry.get(tenantId);
      ozmap[0]!.push(await perCall(calls, () => onTenantOzmap({ ozmap: fixed }, undefined, act)));
      ozmap[1]!.push(await perCall(calls, ozmapOf));
      settings[0]!.push(await perCall(calls, () => reservationSettings({})));
      settings[1]!.push(await perCall(calls, settingsOf));
      ozmap[2]!.push(await perCall(calls / 10, (i) => (stale(), ozmapOf(i))));
      settings[2]!.push(await perCall(calls / 10, (i) => (stale(), settingsOf(i))));
    }
    return {
      tenants: tenantIds.length,
      ozmap: costOf(ozmap),
      settings: costOf(settings),
      firstUs: round(first, 1),
    };
  } finally {
    await parts.ozmaps.close();
    await fixed.close();
    await registry.close();
  }
}

/** µs per call of `fn`, called `n` times one after another. */
async function perCall(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - started) * 1000) / n;
}

function costOf([baseline, cached, uncached]: number[][]): LookupCost {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const [b, c, u] = [median(baseline!), median(cached!), median(uncached!)];
  return {
    baselineUs: round(b, 2),
    cachedUs: round(c, 2),
    uncachedUs: round(u, 1),
    cachedRatio: round(c / b, 1),
    uncachedRatio: round(u / b, 0),
  };
}
