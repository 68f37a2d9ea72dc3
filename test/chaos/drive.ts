/**
 * Plays a chaos plan on the running services: every planned reservation arrives at its moment (sent twice when the
 * plan says so), its salesperson confirms or cancels it, an operator terminates some, and the disruptions (OZmap
 * faults and outage, late creates, reconciler runs, worker kills, server restarts) happen when planned. What happened
 * is counted in a `Tally`, for the report.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ReservationsClient } from '../../client/reservations.ts';
import {
  InvalidInputError,
  ReservationFailedError,
  ReservationNotFoundError,
  RejectedError,
} from '../../client/errors.ts';
import { runReconcile } from '../../client/reconcile.ts';
import type { ReconcileReport } from '../../contract/reconcile.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import type { Coordinates } from '../../contract/schemas.ts';
import { setFaults, type World } from '../support/world.ts';
import { secondsAsDays } from '../support/short-holds.ts';
import type { ChaosEvent, ChaosPlan, PlannedReservation } from './plan.ts';
import { restartTemporal, type Log, type Services } from './services.ts';
import type { WorkerSupervisor } from './workers.ts';
import { workflowExists } from './reads.ts';

/** Longer than any answer should take (a reservation caught by a kill waits about 30 s for its activity's timeout). */
export const CALL_TIMEOUT_MS = 120_000;
const GIVE_UP_AFTER_MS = 15 * 60_000;

/** What the run did and saw, for the report. */
export interface Tally {
  latencies: number[];
  /**
   * From the request to the moment the workflow recorded its reservation
   * (the rest of a latency is the answer's way back).
   */
  reservedAfter: number[];
  reached: Set<string>;
  terminated: Set<string>;
  faultTotals: { latencySpikes: number; faultTicks: number };
  inFlightAtKills: number[];
  serverDowntimeMs: number[];
  outageMs: number;
  reconcileRuns: ReconcileReport[];
  hungCalls: number;
  clientRetries: number;
  confirms: number;
  cancels: number;
  tooLate: number;
  duplicateMismatches: number;
}

/** A run under way: what it talks to, its clock, what is in flight and what it has counted. */
export interface Run {
  readonly plan: ChaosPlan;
  readonly log: Log;
  readonly services: Services;
  readonly world: World;
  readonly client: Client;
  readonly reservations: ReservationsClient;
  readonly taskQueue: string;
  readonly points: readonly Coordinates[];
  readonly workers: WorkerSupervisor;
  /** The moment the plan's times count from. */
  readonly t0: number;
  /** Calls give up after this: a run that slow has a problem the report should show, not hide by waiting. */
  readonly deadline: number;
  readonly pending: Set<string>;
  signalsPending: number;
  readonly tally: Tally;
}

export type RunSetup = Omit<Run, 't0' | 'deadline' | 'pending' | 'signalsPending' | 'tally'>;

/** The plan's clock starts now. */
export function beginRun(setup: RunSetup): Run {
  const t0 = Date.now();
  return {
    ...setup,
    t0,
    deadline: t0 + setup.plan.endMs + GIVE_UP_AFTER_MS,
    pending: new Set(),
    signalsPending: 0,
    tally: {
      latencies: [],
      reservedAfter: [],
      reached: new Set(),
      terminated: new Set(),
      faultTotals: { latencySpikes: 0, faultTicks: 0 },
      inFlightAtKills: [],
      serverDowntimeMs: [],
      outageMs: 0,
      reconcileRuns: [],
      hungCalls: 0,
      clientRetries: 0,
      confirms: 0,
      cancels: 0,
      tooLate: 0,
      duplicateMismatches: 0,
    },
  };
}

export const elapsed = (run: Run) => `${((Date.now() - run.t0) / 1000).toFixed(1)}s`;
const at = (run: Run, ms: number) => sleep(Math.max(0, run.t0 + ms - Date.now()));

/** Every reservation and every disruption of the plan, each at its moment, with a progress line every 10 s. */
export async function playPlan(run: Run): Promise<void> {
  const disruptions = run.plan.events.map((event) => disrupt(run, event));
  const progress = setInterval(
    () =>
      run.log(
        `[chaos] ${elapsed(run)} ${run.pending.size} reservations awaiting an answer, ` +
          `${run.signalsPending} signals pending`,
      ),
    10_000,
  );
  try {
    await Promise.all([...run.plan.reservations.map((r) => reserveOne(run, r)), ...disruptions]);
  } finally {
    clearInterval(progress);
  }
}

/** A reconciler run by hand (the CLI's way); under chaos it may need a retry like any other Temporal call. */
export const reconcile = (run: Run) => persist(run, () => runReconcile(run.client, run.taskQueue, {}));

/** Calls Temporal until it answers: the server may be restarting. Refusals that mean a bug are not retried. */
export async function persist<T>(run: Run, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      // A call that never answers would stall the run: abort it (gRPC and the SDK's own retries) and call again.
      const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
      setMaxListeners(100, signal); // the SDK's retries each listen to it
      return await run.client.withAbortSignal(signal, call);
    } catch (error) {
      if (isAbort(error)) {
        run.tally.hungCalls++;
        run.log(
          `[chaos] ${elapsed(run)} a Temporal call did not answer within ${CALL_TIMEOUT_MS / 1000} s; calling again`,
        );
      }
      if (isFatal(error) || Date.now() > run.deadline) throw error;
      run.tally.clientRetries++;
      await sleep(Math.min(500 * (attempt + 1), 3000));
    }
  }
}

async function reserveOne(run: Run, r: PlannedReservation): Promise<void> {
  const { tally } = run;
  await at(run, r.arriveAtMs);
  const point = run.points[r.pointIndex]!;
  const input = {
    viabilityId: r.viabilityId,
    customer: { code: `C-${r.viabilityId}`, name: `Cliente ${r.index}` },
    coordinates: { lat: point.lat + r.offset.dLat, lng: point.lng + r.offset.dLng },
    holdDays: secondsAsDays(r.holdSeconds),
  };
  run.pending.add(r.viabilityId);
  const sentAt = Date.now();
  const action = r.action && act(run, r);
  try {
    const calls = [persist(run, () => run.reservations.reserve(input))];
    if (r.duplicate) calls.push(persist(run, () => run.reservations.reserve(input)));
    const states = await Promise.all(calls);
    tally.latencies.push(Date.now() - sentAt);
    const reservedAt = states.find((s) => s.reservation)?.reservation?.reservedAt;
    if (reservedAt) {
      tally.reached.add(r.viabilityId);
      tally.reservedAfter.push(Date.parse(reservedAt) - sentAt);
    }
    if (reservedAt && r.terminateAfterMs !== undefined) await terminate(run, r);
    const [a, b] = states;
    if (a?.reservation && b?.reservation && a.reservation.propertyId !== b.reservation.propertyId) {
      tally.duplicateMismatches++;
      run.log(`[chaos] ${r.viabilityId}: two update-with-start calls answered different reservations`);
    }
  } catch (error) {
    run.log(`[chaos] ${r.viabilityId}: reserve failed: ${String(error)}`);
  } finally {
    run.pending.delete(r.viabilityId);
  }
  await action;
}

/** An operator's terminate while the port is held: the workflow can release nothing, the reconciler must. */
async function terminate(run: Run, r: PlannedReservation): Promise<void> {
  await sleep(r.terminateAfterMs);
  try {
    await persist(run, () =>
      run.client.workflow.getHandle(workflowIdFor(r.viabilityId)).terminate('chaos: terminated by an operator'),
    );
    run.tally.terminated.add(r.viabilityId);
  } catch (error) {
    // Already over (expired meanwhile, or cancelled): nothing was orphaned.
    if (!(error instanceof WorkflowNotFoundError))
      run.log(`[chaos] ${r.viabilityId}: terminate failed: ${String(error)}`);
  }
}

/** The salesperson's confirm or cancel, at its planned moment. */
async function act(run: Run, r: PlannedReservation): Promise<void> {
  const { kind, atMs } = r.action!;
  await at(run, atMs);
  run.signalsPending++;
  try {
    await persist(run, async () => {
      try {
        await (kind === 'confirm'
          ? run.reservations.confirm(r.viabilityId, { note: 'caos' })
          : run.reservations.cancel(r.viabilityId, { reason: 'caos' }));
      } catch (error) {
        // Not there yet (the update-with-start is still on its way) is retried; closed already is too late.
        if (
          error instanceof ReservationNotFoundError &&
          !(await persist(run, () => workflowExists(run.client, r.viabilityId)))
        )
          throw new NotYetStarted();
        throw error;
      }
    });
    run.tally[kind === 'confirm' ? 'confirms' : 'cancels']++;
  } catch (error) {
    if (error instanceof ReservationNotFoundError) run.tally.tooLate++;
    else run.log(`[chaos] ${r.viabilityId}: ${kind} failed: ${String(error)}`);
  } finally {
    run.signalsPending--;
  }
}

async function disrupt(run: Run, event: ChaosEvent): Promise<void> {
  const { tally, world, log } = run;
  await at(run, event.atMs);
  if (event.kind === 'faults') {
    tally.faultTotals.faultTicks++;
    if (event.spike) tally.faultTotals.latencySpikes++;
    await setFaults(world, event.faults);
  } else if (event.kind === 'outage') {
    tally.outageMs = event.durationMs;
    log(`[chaos] ${elapsed(run)} OZmap outage: every request answered 503 for ${event.durationMs / 1000} s`);
    await setFaults(world, { latencyMs: 0, latencyJitterMs: 0, errorRate: 1, resetRate: 0, phase: 'before' });
    await sleep(event.durationMs);
    await setFaults(world, { errorRate: 0, resetRate: 0 });
    log(`[chaos] ${elapsed(run)} OZmap back`);
  } else if (event.kind === 'late-create') {
    await setFaults(world, { lateCreates: 1, lateCreateMs: event.lateMs });
  } else if (event.kind === 'reconcile') {
    log(`[chaos] ${elapsed(run)} reconciler run`);
    tally.reconcileRuns.push(await reconcile(run));
  } else if (event.kind === 'kill-worker') {
    tally.inFlightAtKills.push(run.pending.size);
    log(`[chaos] ${elapsed(run)} SIGKILL to the worker (${run.pending.size} reservations in flight)`);
    await run.workers.current!.kill('SIGKILL');
    await sleep(event.restartAfterMs);
    await run.workers.start();
    log(`[chaos] ${elapsed(run)} worker restarted`);
  } else {
    const down = Date.now();
    log(`[chaos] ${elapsed(run)} restarting the Temporal server (${run.pending.size} reservations in flight)`);
    await restartTemporal(run.services, event.downMs);
    tally.serverDowntimeMs.push(Date.now() - down);
    log(`[chaos] ${elapsed(run)} Temporal server back after ${Date.now() - down} ms`);
  }
}

class NotYetStarted extends Error {}

const isFatal = (error: unknown) =>
  error instanceof InvalidInputError ||
  error instanceof RejectedError ||
  error instanceof ReservationFailedError ||
  error instanceof ReservationNotFoundError;

/** An aborted gRPC call (CANCELLED), or the abort itself, whichever the SDK passes on. */
function isAbort(error: unknown): boolean {
  return (
    (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) ||
    (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 1)
  );
}
