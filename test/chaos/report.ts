/**
 * A chaos run's report: the counts it gathered, whether it kept every rule and did what it planned (`problemsOf`), and
 * the same on one screen (`formatReport`).
 */
import type { ReconcileReport } from '../../contract/reconcile.ts';
import type { StatsSnapshot } from '../../simulator/stats.ts';
import { countByKind, type Violation, type ViolationKind, type WorkflowOutcome } from './checker.ts';
import type { ChaosOptions, ChaosPlan } from './plan.ts';
import { CALL_TIMEOUT_MS, type Tally } from './drive.ts';
import type { WorkerSupervisor } from './workers.ts';

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

/** What the run gathered, as the report lists it. */
export interface RunResults {
  plan: ChaosPlan;
  restarted: string;
  started: number;
  tally: Tally;
  workers: WorkerSupervisor;
  outcomes: WorkflowOutcome[];
  stats: StatsSnapshot;
  violations: Violation[];
}

export function buildReport({
  plan,
  restarted,
  started,
  tally,
  workers,
  outcomes,
  stats,
  violations,
}: RunResults): ChaosReport {
  const { options } = plan;
  const statuses: Record<string, number> = {};
  for (const o of outcomes) {
    const key =
      o.execution === 'COMPLETED' ? (o.state?.status ?? '?') : `${o.execution}${o.state ? ` (${o.state.status})` : ''}`;
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const sorted = [...tally.latencies].sort((a, b) => a - b);
  const sortedReserved = [...tally.reservedAfter].sort((a, b) => a - b);
  return {
    seed: options.seed,
    options,
    restarted,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    reservations: plan.reservations.length,
    duplicateRequests: plan.reservations.filter((r) => r.duplicate).length,
    reachedReserved: tally.reached.size,
    reserveLatencyMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? 0 },
    reservedAfterMs: {
      p50: quantile(sortedReserved, 0.5),
      p99: quantile(sortedReserved, 0.99),
      max: sortedReserved.at(-1) ?? 0,
    },
    signals: { confirms: tally.confirms, cancels: tally.cancels, tooLate: tally.tooLate },
    workerKills: tally.inFlightAtKills.length,
    inFlightAtKills: tally.inFlightAtKills,
    unexpectedWorkerExits: workers.unexpectedExits,
    failedWorkerStarts: workers.failedStarts,
    serverRestarts: tally.serverDowntimeMs.length,
    serverDowntimeMs: tally.serverDowntimeMs,
    outageMs: tally.outageMs,
    terminated: tally.terminated.size,
    reconciler: tally.reconcileRuns.map((run) => run.counts),
    clientRetries: tally.clientRetries,
    hungCalls: tally.hungCalls,
    faults: {
      errors503: stats.faults.error,
      resets: stats.faults.reset,
      delayedRequests: stats.faults.delayed,
      lateCreates: stats.faults.late,
      ...tally.faultTotals,
    },
    ozmap: { requests: stats.totalRequests, portTakenAnswers: stats.statuses['422'] ?? 0, byRoute: stats.requests },
    statuses,
    nondeterminismErrors: workers.nondeterminismErrors(),
    duplicateMismatches: tally.duplicateMismatches,
    violations,
    violationCounts: countByKind(violations),
  };
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

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
