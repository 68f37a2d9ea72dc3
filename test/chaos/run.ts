/**
 * A chaos run on real processes: a Temporal dev server persisted to SQLite (restarted mid-run), the worker as a
 * child process (killed with SIGKILL and restarted), and the OZmap simulator injecting 503s, connection resets and
 * latency spikes, while hundreds of reservations arrive, get confirmed, cancelled or left to expire. At the end the
 * checker reads what is left and proves docs/architecture.md, "Invariants" 1-4.
 *
 * Timing budget: an activity running in a killed worker is retried only once its 30 s start-to-close timeout passes,
 * and its workflow task once the 10 s task timeout does; so every kill adds about 30 s to the reservations it caught,
 * and the run's tail is about 30 s after the last kill (plus the longest hold).
 *
 * The phases: services.ts starts what the run stands on, workers.ts keeps the worker up, drive.ts plays the plan,
 * reads.ts reads back what is left, checker.ts judges it and report.ts counts it.
 */
import type { StatsSnapshot } from '../../simulator/stats.ts';
import { SIM_API_KEY, reservablePoints, setFaults } from '../support/world.ts';
import { SHORT_HOLD_ENV } from '../support/short-holds.ts';
import { checkInvariants, type SimState, type WorkflowOutcome } from './checker.ts';
import { planChaos, type ChaosOptions } from './plan.ts';
import { beginRun, elapsed, persist, playPlan, reconcile, type Run } from './drive.ts';
import { mapLimit, outcomeOf, simAdmin, waitForNoneRunning } from './reads.ts';
import { buildReport, type ChaosReport } from './report.ts';
import { prepareServices, startServices, stopServices, type ChaosTarget, type Log, type Temporal } from './services.ts';
import { WorkerSupervisor } from './workers.ts';

const TASK_QUEUE = 'chaos';
/** The worker's per-request OZmap timeout: below the longest latency spike, so some requests time out too. */
const OZMAP_TIMEOUT_MS = 4000;

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
  const services = await prepareServices(log, target);
  const workers = new WorkerSupervisor(log);
  try {
    const temporal = await startServices(services, taskQueue);
    const { points, before } = await readTheNetwork(temporal, options);
    await workers.startFirst(workerEnv(temporal, taskQueue, services.bundlePath, target));
    const run = beginRun({ plan, log, services, ...temporal, taskQueue, points, workers });
    await playPlan(run);
    await drainWorkflows(run);
    const { outcomes, stats, violations } = await checkWhatIsLeft(run, before);
    workers.stopping = true;
    const restarted = target?.restartLabel ?? 'dev server restart, SQLite kept';
    return buildReport({ plan, restarted, started, tally: run.tally, workers, outcomes, stats, violations });
  } finally {
    await workers.stopAll(workerLog);
    await stopServices(services);
  }
}

/** The customer points the plan spreads over, and the simulator's state before the run (its counts reset). */
async function readTheNetwork(temporal: Temporal, options: ChaosOptions) {
  const points = await reservablePoints(temporal.world.ozmap, options.points, 150);
  const before = await simAdmin<SimState>(temporal.world, 'GET', '/__sim/state');
  await simAdmin(temporal.world, 'POST', '/__sim/stats/reset');
  return { points, before };
}

function workerEnv(
  temporal: Temporal,
  taskQueue: string,
  bundlePath: string,
  target: ChaosTarget | undefined,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    OZMAP_URL: temporal.world.simUrl,
    OZMAP_API_KEY: SIM_API_KEY,
    OZMAP_TIMEOUT_MS: String(OZMAP_TIMEOUT_MS),
    GEOCODER_MIN_INTERVAL_MS: '0',
    WORKFLOW_BUNDLE_PATH: bundlePath,
    ...SHORT_HOLD_ENV,
    ...target?.workerEnv,
  };
}

/**
 * OZmap calm again, then every workflow left to finish: every reservation has answered, so what is left are holds
 * (the longest ends drainSeconds before this gives up); then the reconciler's final run.
 */
async function drainWorkflows(run: Run): Promise<void> {
  const { plan, log } = run;
  await setFaults(run.world, { latencyMs: 0, latencyJitterMs: 0, errorRate: 0, resetRate: 0 });
  log(`[chaos] ${elapsed(run)} every reservation sent and every disruption done; waiting for the workflows to finish`);
  const lastHoldMs = Math.max(...plan.reservations.map((r) => r.holdSeconds * 1000));
  await waitForNoneRunning(
    run.client,
    run.taskQueue,
    Math.min(run.deadline, Date.now() + lastHoldMs + plan.options.drainSeconds * 1000),
    (call) => persist(run, call),
  );
  // The final run: whatever the operator's terminations and the latest late creates left, it must release; so it
  // starts once no late create is still held (each lands up to 40 s after its request, which may be after the last
  // workflow ended: then only the reconciler can release it).
  await waitForLateCreates(run);
  if (plan.options.reconcileRuns > 0) {
    log(`[chaos] ${elapsed(run)} the reconciler's final run`);
    run.tally.reconcileRuns.push(await reconcile(run));
  }
}

async function waitForLateCreates(run: Run): Promise<void> {
  for (;;) {
    const { lateInFlight } = await simAdmin<StatsSnapshot>(run.world, 'GET', '/__sim/stats');
    if (lateInFlight === 0 || Date.now() > run.deadline) return;
    run.log(`[chaos] ${elapsed(run)} ${lateInFlight} late create(s) still held by OZmap; waiting for them to land`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Every workflow's outcome and the simulator's state and counts, judged against the invariants. */
async function checkWhatIsLeft(run: Run, before: SimState) {
  run.log(`[chaos] ${elapsed(run)} reading results`);
  const outcomes: WorkflowOutcome[] = await mapLimit(run.plan.reservations, 16, async (r) => ({
    ...(await persist(run, () => outcomeOf(run.client, r.viabilityId))),
    ...(run.tally.terminated.has(r.viabilityId) ? { terminatedOnPurpose: true } : {}),
  }));
  const after = await simAdmin<SimState>(run.world, 'GET', '/__sim/state');
  const stats = await simAdmin<StatsSnapshot>(run.world, 'GET', '/__sim/stats');
  const violations = checkInvariants({ before, after, outcomes });
  return { outcomes, stats, violations };
}
