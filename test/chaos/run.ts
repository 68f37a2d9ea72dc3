/**
 * A chaos run on real processes: a Temporal dev server persisted to SQLite (restarted mid-run), the worker as a
 * child process (killed with SIGKILL and restarted), and the OZmap simulator injecting 503s, connection resets and
 * latency spikes, while hundreds of reservations arrive, get confirmed, cancelled or left to expire. At the end the
 * checker reads what is left and proves docs/architecture.md, "Invariants" 1-4.
 *
 * Timing budget: an activity running in a killed worker is retried only once its 30 s start-to-close timeout passes,
 * and its workflow task once the 10 s task timeout does; so every kill adds about 30 s to the reservations it caught,
 * and the run's tail is about 30 s after the last kill (plus the longest hold).
 */
import { setMaxListeners } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { findFreePort, startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import {
  InvalidInputError,
  ReservationFailedError,
  ReservationNotFoundError,
  RejectedError,
} from '../../client/errors.ts';
import { WORKFLOWS_PATH } from '../../worker/worker.ts';
import { runReconcile } from '../../client/reconcile.ts';
import type { ReconcileReport } from '../../contract/reconcile.ts';
import { getState } from '../../contract/messages.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { type ReservationState } from '../../contract/schemas.ts';
import type { StatsSnapshot } from '../../simulator/stats.ts';
import { spawnWorker, type WorkerProcess } from '../support/stack.ts';
import { SIM_API_KEY, reservablePoints, setFaults, startWorld, type World } from '../support/world.ts';
import {
  checkInvariants,
  countByKind,
  type SimState,
  type Violation,
  type ViolationKind,
  type WorkflowOutcome,
} from './checker.ts';
import { planChaos, type ChaosOptions, type ChaosPlan, type PlannedReservation } from './plan.ts';
import { SHORT_HOLD_ENV, SHORT_HOLD_LIMITS, secondsAsDays } from '../support/short-holds.ts';

const TASK_QUEUE = 'chaos';
/** The worker's per-request OZmap timeout: below the longest latency spike, so some requests time out too. */
const OZMAP_TIMEOUT_MS = 4000;
const WORKER_READY_TIMEOUT_MS = 60_000;
const WORKER_START_ATTEMPTS = 10;
/** Longer than any answer should take (a reservation caught by a kill waits about 30 s for its activity's timeout). */
const CALL_TIMEOUT_MS = 120_000;
const GIVE_UP_AFTER_MS = 15 * 60_000;

export interface ChaosReport {
  seed: number;
  options: ChaosOptions;
  restarted: string;
  durationSeconds: number;
  reservations: number;
  duplicateRequests: number;
  /** Reservations whose update-with-start answered with a reserved port. */
  reachedReserved: number;
  reserveLatencyMs: { p50: number; p99: number; max: number };
  /** From the update-with-start to the workflow's reservedAt. */
  reservedAfterMs: { p50: number; p99: number; max: number };
  signals: { confirms: number; cancels: number; tooLate: number };
  workerKills: number;
  /** Reservations the client was still waiting on at each kill. */
  inFlightAtKills: number[];
  unexpectedWorkerExits: number;
  /** Worker starts that failed (Temporal unreachable at that moment) and were tried again. */
  failedWorkerStarts: number;
  serverRestarts: number;
  serverDowntimeMs: number[];
  /** The full OZmap outage's length (0 when the plan had none). */
  outageMs: number;
  /** Reservations an operator terminated while they held a port. */
  terminated: number;
  /** Each reconciler run's counts, the final one last. */
  reconciler: Array<ReconcileReport['counts']>;
  /** Calls the driver repeated because Temporal was unreachable or the workflow not yet there. */
  clientRetries: number;
  /** Temporal calls that had not answered after CALL_TIMEOUT_MS and were made again. */
  hungCalls: number;
  faults: {
    errors503: number;
    resets: number;
    delayedRequests: number;
    latencySpikes: number;
    faultTicks: number;
    /** Creates OZmap held past their caller's patience and applied afterwards. */
    lateCreates: number;
  };
  ozmap: { requests: number; portTakenAnswers: number; byRoute: Record<string, number> };
  statuses: Record<string, number>;
  nondeterminismErrors: number;
  duplicateMismatches: number;
  violations: Violation[];
  violationCounts: Record<ViolationKind, number>;
}

type Log = (line: string) => void;

/**
 * A Temporal service the run uses instead of its own dev server (the cluster, docs/deployment.md): `restartServer`
 * is its equivalent of the dev server's restart, and `taskQueue` keeps the run's workflows apart from others there.
 */
export interface ChaosTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  /** What is restarted, for the report, e.g. "history service SIGKILL". */
  restartLabel: string;
  restartServer(): Promise<void>;
  /** Added to the workers' environment. */
  workerEnv?: NodeJS.ProcessEnv;
}

/** `workerLog`: a file to which every worker's output is written at the end (for a failed run's post-mortem). */
export async function runChaos(
  options: ChaosOptions,
  log: Log = (l) => process.stderr.write(`${l}\n`),
  workerLog?: string,
  target?: ChaosTarget,
): Promise<ChaosReport> {
  const taskQueue = target?.taskQueue ?? TASK_QUEUE;
  const started = Date.now();
  const plan = planChaos(options);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ozres-chaos-'));
  const dbFile = path.join(tmp, 'temporal.sqlite');
  // The server's own log lines (errors of updates cut short by the restart, etc.) are expected here: leave them out.
  const quiet: Log = (line) => {
    if (!/^\[temporal\] (time=|dev server)/.test(line)) log(line);
  };
  let world: World | undefined;
  let server: DevServer | undefined;
  let connection: Connection | undefined;
  let worker: WorkerProcess | undefined;
  const workers: WorkerProcess[] = [];
  try {
    // A pre-built bundle makes every worker restart take a second rather than a fresh compile of the workflow code.
    const bundlePath = path.join(tmp, 'workflow-bundle.js');
    const [{ code }, w, port] = await Promise.all([
      bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silentLogger }),
      startWorld(),
      findFreePort(),
    ]);
    world = w;
    await writeFile(bundlePath, code);
    if (!target) server = await startDevServerAt(port, dbFile, quiet);
    const address = target?.address ?? server!.address;
    const namespace = target?.namespace ?? server!.namespace;
    connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace });
    const reservations = new ReservationsClient(client, taskQueue, {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
      limits: SHORT_HOLD_LIMITS,
    });

    const points = await reservablePoints(world.ozmap, options.points, 150);
    const before = await simAdmin<SimState>(world, 'GET', '/__sim/state');
    await simAdmin(world, 'POST', '/__sim/stats/reset');

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: taskQueue,
      OZMAP_URL: world.simUrl,
      OZMAP_API_KEY: SIM_API_KEY,
      OZMAP_TIMEOUT_MS: String(OZMAP_TIMEOUT_MS),
      GEOCODER_MIN_INTERVAL_MS: '0',
      WORKFLOW_BUNDLE_PATH: bundlePath,
      ...SHORT_HOLD_ENV,
      ...target?.workerEnv,
    };
    const counters = {
      hungCalls: 0,
      clientRetries: 0,
      unexpectedWorkerExits: 0,
      confirms: 0,
      cancels: 0,
      tooLate: 0,
      duplicateMismatches: 0,
      failedWorkerStarts: 0,
    };
    let stopping = false;
    /**
     * Starts a worker as a supervisor would: one that cannot start (Temporal down at that moment: a restart of the
     * server overlapping the worker's own) is started again after a pause. One that dies on its own after it
     * started (not by our kill) is replaced and counted: that should not happen.
     */
    const startWorker = async (): Promise<WorkerProcess> => {
      for (let attempt = 1; ; attempt++) {
        const next = spawnWorker(env);
        workers.push(next);
        try {
          await withTimeout(next.ready, WORKER_READY_TIMEOUT_MS, 'the worker did not start');
        } catch (error) {
          await next.kill('SIGKILL');
          if (attempt >= WORKER_START_ATTEMPTS || stopping) throw error;
          counters.failedWorkerStarts++;
          log(`[chaos] a worker did not start (${firstLine(error)}); starting it again`);
          await sleep(2000);
          continue;
        }
        watchForUnexpectedExit(next);
        return next;
      }
    };
    const watchForUnexpectedExit = (next: WorkerProcess) => {
      let killedByUs = false;
      const kill = next.kill.bind(next);
      next.kill = (signal) => {
        killedByUs = true;
        return kill(signal);
      };
      next.child.once('exit', (code, signal) => {
        if (killedByUs || stopping) return;
        counters.unexpectedWorkerExits++;
        log(
          `[chaos] the worker exited by itself (${signal ?? code}); starting another. Its last output:\n${next.output.slice(-5).join('')}`,
        );
        void startWorker().then(
          (w) => (worker = w),
          (error: unknown) => log(`[chaos] could not restart the worker: ${String(error)}`),
        );
      });
    };
    worker = await startWorker();

    const t0 = Date.now();
    const at = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()));
    const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
    const pending = new Set<string>();
    const latencies: number[] = [];
    /**
     * From the request to the moment the workflow recorded its reservation
     * (the rest of a latency is the answer's way back).
     */
    const reservedAfter: number[] = [];
    const reached = new Set<string>();
    const terminated = new Set<string>();
    const faultTotals = { latencySpikes: 0, faultTicks: 0 };
    const inFlightAtKills: number[] = [];
    const serverDowntimeMs: number[] = [];
    let outageMs = 0;
    const reconcileRuns: ReconcileReport[] = [];
    /** A reconciler run by hand (the CLI's way); under chaos it may need a retry like any other Temporal call. */
    const reconcile = () => persist(() => runReconcile(client, taskQueue, {}));
    /** Calls give up after this: a run that slow has a problem the report should show, not hide by waiting. */
    const deadline = t0 + plan.endMs + GIVE_UP_AFTER_MS;

    /** Calls Temporal until it answers: the server may be restarting. Refusals that mean a bug are not retried. */
    const persist = async <T>(call: () => Promise<T>): Promise<T> => {
      for (let attempt = 0; ; attempt++) {
        try {
          // A call that never answers would stall the run: abort it (gRPC and the SDK's own retries) and call again.
          const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
          setMaxListeners(100, signal); // the SDK's retries each listen to it
          return await client.withAbortSignal(signal, call);
        } catch (error) {
          if (isAbort(error)) {
            counters.hungCalls++;
            log(
              `[chaos] ${elapsed()} a Temporal call did not answer within ${CALL_TIMEOUT_MS / 1000} s; calling again`,
            );
          }
          if (isFatal(error) || Date.now() > deadline) throw error;
          counters.clientRetries++;
          await sleep(Math.min(500 * (attempt + 1), 3000));
        }
      }
    };

    const reserveOne = async (r: PlannedReservation) => {
      await at(r.arriveAtMs);
      const point = points[r.pointIndex]!;
      const input = {
        viabilityId: r.viabilityId,
        customer: { code: `C-${r.viabilityId}`, name: `Cliente ${r.index}` },
        coordinates: { lat: point.lat + r.offset.dLat, lng: point.lng + r.offset.dLng },
        holdDays: secondsAsDays(r.holdSeconds),
      };
      pending.add(r.viabilityId);
      const sentAt = Date.now();
      const action = r.action && act(r);
      try {
        const calls = [persist(() => reservations.reserve(input))];
        if (r.duplicate) calls.push(persist(() => reservations.reserve(input)));
        const states = await Promise.all(calls);
        latencies.push(Date.now() - sentAt);
        const reservedAt = states.find((s) => s.reservation)?.reservation?.reservedAt;
        if (reservedAt) {
          reached.add(r.viabilityId);
          reservedAfter.push(Date.parse(reservedAt) - sentAt);
        }
        if (reservedAt && r.terminateAfterMs !== undefined) await terminate(r);
        const [a, b] = states;
        if (a?.reservation && b?.reservation && a.reservation.propertyId !== b.reservation.propertyId) {
          counters.duplicateMismatches++;
          log(`[chaos] ${r.viabilityId}: two update-with-start calls answered different reservations`);
        }
      } catch (error) {
        log(`[chaos] ${r.viabilityId}: reserve failed: ${String(error)}`);
      } finally {
        pending.delete(r.viabilityId);
      }
      await action;
    };

    /** An operator's terminate while the port is held: the workflow can release nothing, the reconciler must. */
    const terminate = async (r: PlannedReservation) => {
      await sleep(r.terminateAfterMs);
      try {
        await persist(() =>
          client.workflow.getHandle(workflowIdFor(r.viabilityId)).terminate('chaos: terminated by an operator'),
        );
        terminated.add(r.viabilityId);
      } catch (error) {
        // Already over (expired meanwhile, or cancelled): nothing was orphaned.
        if (!(error instanceof WorkflowNotFoundError))
          log(`[chaos] ${r.viabilityId}: terminate failed: ${String(error)}`);
      }
    };

    let signalsPending = 0;
    const act = async (r: PlannedReservation): Promise<void> => {
      const { kind, atMs } = r.action!;
      await at(atMs);
      signalsPending++;
      try {
        await persist(async () => {
          try {
            await (kind === 'confirm'
              ? reservations.confirm(r.viabilityId, { note: 'caos' })
              : reservations.cancel(r.viabilityId, { reason: 'caos' }));
          } catch (error) {
            // Not there yet (the update-with-start is still on its way) is retried; closed already is too late.
            if (
              error instanceof ReservationNotFoundError &&
              !(await persist(() => workflowExists(client, r.viabilityId)))
            )
              throw new NotYetStarted();
            throw error;
          }
        });
        counters[kind === 'confirm' ? 'confirms' : 'cancels']++;
      } catch (error) {
        if (error instanceof ReservationNotFoundError) counters.tooLate++;
        else log(`[chaos] ${r.viabilityId}: ${kind} failed: ${String(error)}`);
      } finally {
        signalsPending--;
      }
    };

    const disruptions = plan.events.map(async (event) => {
      await at(event.atMs);
      if (event.kind === 'faults') {
        faultTotals.faultTicks++;
        if (event.spike) faultTotals.latencySpikes++;
        await setFaults(world!, event.faults);
      } else if (event.kind === 'outage') {
        outageMs = event.durationMs;
        log(`[chaos] ${elapsed()} OZmap outage: every request answered 503 for ${event.durationMs / 1000} s`);
        await setFaults(world!, { latencyMs: 0, latencyJitterMs: 0, errorRate: 1, resetRate: 0, phase: 'before' });
        await sleep(event.durationMs);
        await setFaults(world!, { errorRate: 0, resetRate: 0 });
        log(`[chaos] ${elapsed()} OZmap back`);
      } else if (event.kind === 'late-create') {
        await setFaults(world!, { lateCreates: 1, lateCreateMs: event.lateMs });
      } else if (event.kind === 'reconcile') {
        log(`[chaos] ${elapsed()} reconciler run`);
        reconcileRuns.push(await reconcile());
      } else if (event.kind === 'kill-worker') {
        inFlightAtKills.push(pending.size);
        log(`[chaos] ${elapsed()} SIGKILL to the worker (${pending.size} reservations in flight)`);
        await worker!.kill('SIGKILL');
        await sleep(event.restartAfterMs);
        worker = await startWorker();
        log(`[chaos] ${elapsed()} worker restarted`);
      } else {
        const down = Date.now();
        log(`[chaos] ${elapsed()} restarting the Temporal server (${pending.size} reservations in flight)`);
        if (target) await target.restartServer();
        else {
          await server!.stop();
          await sleep(event.downMs);
          server = await startDevServerAt(port, dbFile, quiet);
        }
        serverDowntimeMs.push(Date.now() - down);
        log(`[chaos] ${elapsed()} Temporal server back after ${Date.now() - down} ms`);
      }
    });

    const progress = setInterval(
      () =>
        log(`[chaos] ${elapsed()} ${pending.size} reservations awaiting an answer, ${signalsPending} signals pending`),
      10_000,
    );
    try {
      await Promise.all([...plan.reservations.map(reserveOne), ...disruptions]);
    } finally {
      clearInterval(progress);
    }
    await setFaults(world, { latencyMs: 0, latencyJitterMs: 0, errorRate: 0, resetRate: 0 });
    log(`[chaos] ${elapsed()} every reservation sent and every disruption done; waiting for the workflows to finish`);
    // Every reservation has answered: what is left are holds (the longest ends drainSeconds before this gives up).
    const lastHoldMs = Math.max(...plan.reservations.map((r) => r.holdSeconds * 1000));
    await waitForNoneRunning(
      client,
      taskQueue,
      Math.min(deadline, Date.now() + lastHoldMs + options.drainSeconds * 1000),
      persist,
    );
    // The final run: whatever the operator's terminations and the latest late creates left, it must release.
    if (options.reconcileRuns > 0) {
      log(`[chaos] ${elapsed()} the reconciler's final run`);
      reconcileRuns.push(await reconcile());
    }
    log(`[chaos] ${elapsed()} reading results`);

    const outcomes = await mapLimit(plan.reservations, 16, async (r) => ({
      ...(await persist(() => outcomeOf(client, r.viabilityId))),
      ...(terminated.has(r.viabilityId) ? { terminatedOnPurpose: true } : {}),
    }));
    const after = await simAdmin<SimState>(world, 'GET', '/__sim/state');
    const stats = await simAdmin<StatsSnapshot>(world, 'GET', '/__sim/stats');
    const violations = checkInvariants({ before, after, outcomes });
    stopping = true;

    const statuses: Record<string, number> = {};
    for (const o of outcomes) {
      const key =
        o.execution === 'COMPLETED'
          ? (o.state?.status ?? '?')
          : `${o.execution}${o.state ? ` (${o.state.status})` : ''}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const sortedReserved = [...reservedAfter].sort((a, b) => a - b);
    return {
      seed: options.seed,
      options,
      restarted: target?.restartLabel ?? 'dev server restart, SQLite kept',
      durationSeconds: Math.round((Date.now() - started) / 1000),
      reservations: plan.reservations.length,
      duplicateRequests: plan.reservations.filter((r) => r.duplicate).length,
      reachedReserved: reached.size,
      reserveLatencyMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? 0 },
      reservedAfterMs: {
        p50: quantile(sortedReserved, 0.5),
        p99: quantile(sortedReserved, 0.99),
        max: sortedReserved.at(-1) ?? 0,
      },
      signals: { confirms: counters.confirms, cancels: counters.cancels, tooLate: counters.tooLate },
      workerKills: inFlightAtKills.length,
      inFlightAtKills,
      unexpectedWorkerExits: counters.unexpectedWorkerExits,
      failedWorkerStarts: counters.failedWorkerStarts,
      serverRestarts: serverDowntimeMs.length,
      serverDowntimeMs,
      outageMs,
      terminated: terminated.size,
      reconciler: reconcileRuns.map((run) => run.counts),
      clientRetries: counters.clientRetries,
      hungCalls: counters.hungCalls,
      faults: {
        errors503: stats.faults.error,
        resets: stats.faults.reset,
        delayedRequests: stats.faults.delayed,
        lateCreates: stats.faults.late,
        ...faultTotals,
      },
      ozmap: { requests: stats.totalRequests, portTakenAnswers: stats.statuses['422'] ?? 0, byRoute: stats.requests },
      statuses,
      nondeterminismErrors: workers.reduce((n, w) => n + (w.output.join('').match(/nondetermin/gi)?.length ?? 0), 0),
      duplicateMismatches: counters.duplicateMismatches,
      violations,
      violationCounts: countByKind(violations),
    };
  } finally {
    await Promise.allSettled(workers.map((w) => w.kill('SIGTERM')));
    if (workerLog)
      await writeFile(workerLog, workers.map((w, i) => `===== worker ${i + 1}\n${w.output.join('')}`).join('\n'));
    await connection?.close().catch(() => undefined);
    await server?.stop();
    await world?.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Whether the run kept every rule, and did what it planned. */
export function problemsOf(report: ChaosReport): string[] {
  const problems = report.violations.map((v) => `${v.kind}${v.viabilityId ? ` ${v.viabilityId}` : ''}: ${v.detail}`);
  if (report.nondeterminismErrors > 0)
    problems.push(`the worker logged ${report.nondeterminismErrors} nondeterminism error(s)`);
  if (report.duplicateMismatches > 0)
    problems.push(`${report.duplicateMismatches} duplicate update-with-start pair(s) answered different reservations`);
  if (report.workerKills !== report.options.workerKills)
    problems.push(`planned ${report.options.workerKills} worker kills, did ${report.workerKills}`);
  if (report.options.outageSeconds > 0 && report.outageMs !== report.options.outageSeconds * 1000)
    problems.push(`planned an OZmap outage of ${report.options.outageSeconds} s, did ${report.outageMs / 1000} s`);
  const reconciles = report.options.reconcileRuns > 0 ? report.options.reconcileRuns + 1 : 0;
  if (report.reconciler.length !== reconciles)
    problems.push(`planned ${reconciles} reconciler runs (the final one included), did ${report.reconciler.length}`);
  if (report.serverRestarts !== report.options.serverRestarts)
    problems.push(`planned ${report.options.serverRestarts} server restarts, did ${report.serverRestarts}`);
  return problems;
}

export function formatReport(r: ChaosReport): string {
  const counts = Object.entries(r.violationCounts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const statuses = Object.entries(r.statuses)
    .sort(([, a], [, b]) => b - a)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return [
    `chaos seed ${r.seed} (replay: CHAOS_SEED=${r.seed}; reservations ${r.options.reservations}, arrivals over ${r.options.arrivalSeconds}s, holds ${r.options.holdSeconds.join('-')}s, ${r.options.points} points)`,
    `reservations      ${r.reservations} (${r.duplicateRequests} sent twice at once); ${r.reachedReserved} reached RESERVED; update-with-start p50 ${r.reserveLatencyMs.p50} ms, p99 ${r.reserveLatencyMs.p99} ms, max ${r.reserveLatencyMs.max} ms`,
    `                  port reserved (workflow's reservedAt) p50 ${r.reservedAfterMs.p50} ms, p99 ${r.reservedAfterMs.p99} ms, max ${r.reservedAfterMs.max} ms after the request`,
    `signals           ${r.signals.confirms} confirms, ${r.signals.cancels} cancels delivered; ${r.signals.tooLate} too late (reservation already over)`,
    `worker kills      ${r.workerKills} (SIGKILL; ${r.inFlightAtKills.join(', ')} reservations in flight), unexpected worker exits ${r.unexpectedWorkerExits}, worker starts tried again ${r.failedWorkerStarts}`,
    `server restarts   ${r.serverRestarts} (down ${r.serverDowntimeMs.join(', ')} ms; ${r.restarted})`,
    `OZmap outage      ${r.outageMs / 1000} s (every request answered 503); ${r.terminated} reservations terminated by an operator while held`,
    ...r.reconciler.map(
      (c, i) =>
        `reconciler run ${i + 1}  ${c.scanned} marked read, ${c.held} held, ${c.orphans} orphans (${c.released} released), ${c.implantedHeld} implanted while held (${c.confirmed} confirmed), ${c.gone} gone, ${c.changed} changed before the delete`,
    ),
    `faults injected   ${r.faults.errors503} × 503, ${r.faults.resets} connection resets, ${r.faults.delayedRequests} delayed requests (${r.faults.latencySpikes} latency spikes in ${r.faults.faultTicks} fault ticks), ${r.faults.lateCreates} late creates`,
    `OZmap             ${r.ozmap.requests} requests, ${r.ozmap.portTakenAnswers} answered "port taken" (422)`,
    `client retries    ${r.clientRetries} (Temporal unreachable or workflow not there yet); ${r.hungCalls} calls unanswered after ${CALL_TIMEOUT_MS / 1000} s`,
    `final statuses    ${statuses}`,
    `violations        ${r.violations.length} (${counts})`,
    `nondeterminism    ${r.nondeterminismErrors}`,
    `duration          ${r.durationSeconds} s`,
    ...r.violations.slice(0, 20).map((v) => `  ✗ ${v.kind}${v.viabilityId ? ` ${v.viabilityId}` : ''}: ${v.detail}`),
  ].join('\n');
}

class NotYetStarted extends Error {}

const firstLine = (error: unknown) => String(error instanceof Error ? error.message : error).split('\n')[0];

const isFatal = (error: unknown) =>
  error instanceof InvalidInputError ||
  error instanceof RejectedError ||
  error instanceof ReservationFailedError ||
  error instanceof ReservationNotFoundError;

async function startDevServerAt(port: number, dbFile: string, log: Log): Promise<DevServer> {
  const server = await startDevServer({ port, dbFile, headless: true, logLevel: 'error', log });
  if (server.reused) throw new Error(`port ${port} was taken by another server meanwhile; run again`);
  return server;
}

async function workflowExists(client: Client, viabilityId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowIdFor(viabilityId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

async function waitForNoneRunning(
  client: Client,
  taskQueue: string,
  deadline: number,
  persist: <T>(call: () => Promise<T>) => Promise<T>,
): Promise<void> {
  while (Date.now() < deadline) {
    const { count } = await persist(() =>
      client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`),
    );
    if (count === 0) return;
    await sleep(2000);
  }
}

async function outcomeOf(client: Client, viabilityId: string): Promise<WorkflowOutcome> {
  const handle = client.workflow.getHandle(workflowIdFor(viabilityId));
  let execution: string;
  try {
    execution = (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      return { viabilityId, execution: 'NOT_FOUND', error: 'no workflow was started' };
    throw error;
  }
  if (execution === 'COMPLETED') return { viabilityId, execution, state: (await handle.result()) as ReservationState };
  if (execution === 'RUNNING') return { viabilityId, execution, state: await handle.query(getState) };
  const error = await handle.result().then(
    () => 'no error',
    (e: unknown) => (e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)),
  );
  return { viabilityId, execution, error };
}

async function simAdmin<T = unknown>(world: World, method: string, route: string): Promise<T> {
  const res = await fetch(new URL(route, world.simUrl), { method, headers: { authorization: SIM_API_KEY } });
  if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}`);
  return (await res.json()) as T;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** An aborted gRPC call (CANCELLED), or the abort itself, whichever the SDK passes on. */
function isAbort(error: unknown): boolean {
  return (
    (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) ||
    (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 1)
  );
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const silentLogger = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

export type { ChaosPlan };
