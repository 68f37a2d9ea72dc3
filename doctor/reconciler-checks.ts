/**
 * The reconciler's Schedule (docs/architecture.md, "Reconciler"): registered by the workers, running, and how its
 * last run went, tenant by tenant (a run completes when one tenant's child fails; its report names the tenant). Not
 * needed for a sale, so nothing here fails the doctor: a missing, paused or failing reconciler is a warning, since
 * ports then leak unnoticed.
 */
import {
  Client,
  Connection,
  ScheduleNotFoundError,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import type { Config } from '../config/env.ts';
import { temporalConnectionOptions } from '../config/temporal.ts';
import { reconcileScheduleIdFor, type ReconcileTenantsReport } from '../contract/reconcile.ts';
import { describeError, pass, warn, type Check } from './checks.ts';

const ID = 'temporal.reconciler-schedule';
const TITLE = 'Reconciler schedule';
const FAILED_STATUSES = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);

export async function reconcilerChecks(
  config: Pick<Config, 'temporal' | 'reconciler'>,
  options: { timeoutMs?: number } = {},
): Promise<Check[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const scheduleId = reconcileScheduleIdFor(config.temporal.taskQueue);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...temporalConnectionOptions(config.temporal),
      connectTimeout: timeoutMs,
      interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 1 }))],
    });
  } catch (err) {
    return [warn(ID, TITLE, `not checked: Temporal did not answer (${describeError(err)})`)];
  }
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    return [
      await connection.withDeadline(Date.now() + timeoutMs, () => scheduleCheck(client, scheduleId, config.reconciler)),
    ];
  } catch (err) {
    return [warn(ID, TITLE, `the check itself failed: ${describeError(err)}`)];
  } finally {
    await connection.close();
  }
}

async function scheduleCheck(client: Client, scheduleId: string, reconciler: Config['reconciler']): Promise<Check> {
  const off = reconciler.schedule.kind === 'off';
  let description;
  try {
    description = await client.schedule.getHandle(scheduleId).describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    return off
      ? pass(ID, TITLE, `off (RECONCILE_SCHEDULE=off): no Schedule "${scheduleId}"; run \`ozres reconcile\` by hand`)
      : warn(
          ID,
          TITLE,
          `Schedule "${scheduleId}" does not exist: orphaned reservations are not released`,
          'start a worker on this task queue (it registers the Schedule), and look at its log line ' +
            '"Reconciler schedule"',
        );
  }
  const { state, info } = description;
  if (state.paused)
    return off
      ? pass(ID, TITLE, `paused, as RECONCILE_SCHEDULE=off asks (note: "${state.note ?? ''}")`)
      : warn(
          ID,
          TITLE,
          `Schedule "${scheduleId}" is paused (note: "${state.note ?? ''}")`,
          'unpause it in the Web UI, or restart a worker without RECONCILE_SCHEDULE=off',
        );
  const next = info.nextActionTimes[0]?.toISOString() ?? 'none planned';
  const last = info.recentActions.at(-1);
  if (!last) return pass(ID, TITLE, `Schedule "${scheduleId}" exists, not run yet; next run ${next}`);
  // By id alone: a run that continued as new is judged by its latest run (the Schedule's ids are unique per run).
  const { workflowId } = last.action.workflow;
  const ran = last.takenAt.toISOString();
  let status: string;
  try {
    status = (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch {
    status = 'unknown (its history is gone)';
  }
  if (FAILED_STATUSES.has(status))
    return warn(
      ID,
      TITLE,
      `the last run (${ran}, ${workflowId}) ended ${status}; next run ${next}`,
      'open that workflow in the Web UI for the failure; `ozres reconcile --dry-run` runs it by hand',
    );
  const failed = status === 'COMPLETED' ? await failedTenantsOf(client, workflowId) : [];
  if (failed.length > 0)
    return warn(
      ID,
      TITLE,
      `the last run (${ran}, ${workflowId}) could not reconcile tenant(s) ${failed.join('; ')}; next run ${next}`,
      "open the failed tenant's run in the Web UI for the failure; `ozres reconcile --tenant <id> --dry-run` runs " +
        'it by hand',
    );
  return pass(ID, TITLE, `last run ${ran} (${status}), next run ${next}`);
}

/**
 * The tenants a whole run could not reconcile, each with why; none when its report says none failed, or cannot be
 * read (an older release's report, or payloads encrypted with a key this process lacks).
 */
async function failedTenantsOf(client: Client, workflowId: string): Promise<string[]> {
  let report: Partial<ReconcileTenantsReport> | undefined;
  try {
    report = (await client.workflow.getHandle(workflowId).result()) as Partial<ReconcileTenantsReport> | undefined;
  } catch {
    return [];
  }
  if (!report?.failed || !Array.isArray(report.tenants)) return [];
  const named = report.tenants.flatMap((t) => (t.ok ? [] : [`${t.tenantId} (${t.error})`]));
  return named.length > 0 ? named : [`${report.failed} (not named: the report's list was full)`];
}
