/**
 * What a chaos run will do, decided up front from one seed: which reservations arrive when and where, what each
 * salesperson then does, when the worker dies, when the Temporal server restarts, and how OZmap misbehaves.
 * Pure, so a seed always gives the same plan (the interleaving on real servers still depends on timing).
 */
import { mulberry32, type Random } from '../../simulator/random.ts';
import type { FaultConfig } from '../../simulator/faults.ts';

export interface ChaosOptions {
  seed: number;
  reservations: number;
  /** Reservations arrive uniformly over this window. */
  arrivalSeconds: number;
  workerKills: number;
  serverRestarts: number;
  /** Each reservation holds for a random time in this range (given to the workflow as a fraction of a day). */
  holdSeconds: [number, number];
  /** Distinct customer locations, each on a box with free ports: fewer points, more contention. */
  points: number;
  /** Shares of reservations that get a confirmSale / a cancelReservation (the rest expire). */
  confirmShare: number;
  cancelShare: number;
  /** Share of reservations whose update-with-start is sent twice at once. */
  duplicateShare: number;
  /** OZmap's fault configuration changes this often. */
  faultTickSeconds: number;
  /** How long, after every reservation has answered and the longest hold has passed, workflows get to finish. */
  drainSeconds: number;
  /** One full OZmap outage (every request answered 503) this long, during the arrivals; 0 for none. */
  outageSeconds: number;
  /** Share of reservations an operator terminates while they hold a port: orphans only the reconciler can find. */
  terminateShare: number;
  /** Creates OZmap applies only after their caller gave up (late creates), spread over the arrivals. */
  lateCreates: number;
  /** Reconciler runs during the chaos (a final one always follows the drain when the reconciler is on). */
  reconcileRuns: number;
}

/** `short` runs inside `npm test` (about two minutes on two cores); `full` is `npm run test:chaos`. */
export const PROFILES = {
  short: {
    seed: 0,
    reservations: 40,
    arrivalSeconds: 20,
    workerKills: 1,
    serverRestarts: 1,
    holdSeconds: [3, 8],
    points: 12,
    confirmShare: 0.3,
    cancelShare: 0.25,
    duplicateShare: 0.1,
    faultTickSeconds: 2,
    drainSeconds: 90,
    outageSeconds: 0,
    terminateShare: 0.05,
    lateCreates: 4,
    reconcileRuns: 1,
  },
  full: {
    seed: 0,
    reservations: 1000,
    arrivalSeconds: 300,
    workerKills: 5,
    serverRestarts: 2,
    holdSeconds: [3, 15],
    points: 60,
    confirmShare: 0.3,
    cancelShare: 0.25,
    duplicateShare: 0.1,
    faultTickSeconds: 2,
    drainSeconds: 180,
    outageSeconds: 130,
    terminateShare: 0.02,
    lateCreates: 20,
    reconcileRuns: 2,
  },
} as const satisfies Record<string, ChaosOptions>;

export type Action = { kind: 'confirm' | 'cancel'; atMs: number };

export interface PlannedReservation {
  index: number;
  viabilityId: string;
  pointIndex: number;
  /** A few metres off the point, so that distances to the boxes around it differ. */
  offset: { dLat: number; dLng: number };
  arriveAtMs: number;
  holdSeconds: number;
  /** May land before the reservation exists (remembered), during the hold, or after it ended (too late). */
  action?: Action;
  /** An operator terminates the workflow this long after its port is reserved (never with an action). */
  terminateAfterMs?: number;
  duplicate: boolean;
}

export type FaultPatch = Pick<FaultConfig, 'latencyMs' | 'latencyJitterMs' | 'errorRate' | 'resetRate' | 'phase'>;

export type ChaosEvent =
  | { kind: 'faults'; atMs: number; faults: FaultPatch; spike: boolean }
  | { kind: 'kill-worker'; atMs: number; restartAfterMs: number }
  | { kind: 'restart-server'; atMs: number; downMs: number }
  | { kind: 'outage'; atMs: number; durationMs: number }
  | { kind: 'reconcile'; atMs: number }
  | { kind: 'late-create'; atMs: number; lateMs: number };

export interface ChaosPlan {
  options: ChaosOptions;
  reservations: PlannedReservation[];
  /** In time order. */
  events: ChaosEvent[];
  /** When the last reservation's hold ends at the latest (ms after the start). */
  endMs: number;
}

/** Kills and the server restart keep this far apart, so each one's effect can be told apart in the logs. */
const EVENT_SPACING_MS = 6_000;

export function planChaos(options: ChaosOptions): ChaosPlan {
  const rng = mulberry32(options.seed);
  const windowMs = options.arrivalSeconds * 1000;
  const reservations: PlannedReservation[] = [];
  for (let index = 0; index < options.reservations; index++) {
    const arriveAtMs = Math.round(rng.between(0, windowMs));
    const holdSeconds = round(rng.between(options.holdSeconds[0], options.holdSeconds[1]), 1);
    const roll = rng.next();
    const kind: Action['kind'] | undefined =
      roll < options.confirmShare
        ? 'confirm'
        : roll < options.confirmShare + options.cancelShare
          ? 'cancel'
          : undefined;
    // From right after the start to a little past the hold's end: early, in time, and too late all happen.
    const action: Action | undefined = kind && {
      kind,
      atMs: arriveAtMs + Math.round(rng.between(0, (holdSeconds + 3) * 1000)),
    };
    const terminate = !action && rng.chance(options.terminateShare);
    reservations.push({
      index,
      viabilityId: `CH${options.seed}-${index}`,
      pointIndex: rng.int(0, options.points - 1),
      offset: { dLat: rng.between(-0.0001, 0.0001), dLng: rng.between(-0.0001, 0.0001) },
      arriveAtMs,
      holdSeconds,
      ...(action ? { action } : {}),
      ...(terminate ? { terminateAfterMs: Math.round(rng.between(0, holdSeconds * 500)) } : {}),
      duplicate: rng.chance(options.duplicateShare),
    });
  }
  reservations.sort((a, b) => a.arriveAtMs - b.arriveAtMs);
  const endMs = Math.max(...reservations.map((r) => r.arriveAtMs + r.holdSeconds * 1000), windowMs);

  const events: ChaosEvent[] = [];
  const disruptions: number[] = [];
  const placeDisruption = (fromMs: number, toMs: number): number => {
    for (let tries = 0; ; tries++) {
      const at = Math.round(rng.between(fromMs, toMs));
      if (tries > 200 || disruptions.every((d) => Math.abs(d - at) >= EVENT_SPACING_MS)) {
        disruptions.push(at);
        return at;
      }
    }
  };
  // The server restart in the middle of the arrivals; worker kills anywhere from early arrivals to the first expiries.
  for (let i = 0; i < options.serverRestarts; i++) {
    events.push({
      kind: 'restart-server',
      atMs: placeDisruption(windowMs * 0.35, windowMs * 0.65),
      downMs: Math.round(rng.between(500, 2000)),
    });
  }
  for (let i = 0; i < options.workerKills; i++) {
    events.push({
      kind: 'kill-worker',
      atMs: placeDisruption(windowMs * 0.1, windowMs * 0.9 + 5_000),
      restartAfterMs: Math.round(rng.between(500, 3000)),
    });
  }
  // The outage starts in the first half of the arrivals, away from the disruptions' own spacing rule: a kill or a
  // restart during it is fine (that is what production looks like); fault ticks inside it are left out.
  const outage =
    options.outageSeconds > 0
      ? { atMs: Math.round(rng.between(windowMs * 0.15, windowMs * 0.45)), durationMs: options.outageSeconds * 1000 }
      : undefined;
  if (outage) events.push({ kind: 'outage', ...outage });
  const inOutage = (atMs: number) => outage && atMs >= outage.atMs && atMs < outage.atMs + outage.durationMs;
  for (let atMs = 0; atMs < endMs; atMs += options.faultTickSeconds * 1000) {
    const tick = faultsFor(rng);
    if (!inOutage(atMs)) events.push({ kind: 'faults', ...tick, atMs });
  }
  // Each lands 5-40 s after its POST: past the worker's OZmap timeout, often past the activity's retry and look-up.
  for (let i = 0; i < options.lateCreates; i++) {
    events.push({ kind: 'late-create', atMs: Math.round(rng.between(0, windowMs)), lateMs: rng.int(5_000, 40_000) });
  }
  for (let i = 0; i < options.reconcileRuns; i++) {
    events.push({ kind: 'reconcile', atMs: Math.round(windowMs * ((i + 1) / (options.reconcileRuns + 1))) });
  }
  events.sort((a, b) => a.atMs - b.atMs);
  return { options, reservations, events, endMs };
}

/**
 * One tick of OZmap weather: mostly some 503s and resets, sometimes clear, sometimes a latency spike longer than
 * the worker's OZmap timeout. 'after' applies the request and then loses the answer (a reservation that happened
 * although the caller saw an error): the case that proves idempotency.
 */
function faultsFor(rng: Random): { faults: FaultPatch; spike: boolean } {
  const spike = rng.chance(0.1);
  const clear = !spike && rng.chance(0.2);
  return {
    spike,
    faults: {
      latencyMs: spike ? rng.int(1500, 3000) : rng.int(0, 30),
      latencyJitterMs: spike ? 3000 : 250,
      errorRate: clear ? 0 : rng.pick([0.02, 0.05, 0.1]),
      resetRate: clear ? 0 : rng.pick([0.01, 0.03, 0.05]),
      phase: rng.chance(0.5) ? 'after' : 'before',
    },
  };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
