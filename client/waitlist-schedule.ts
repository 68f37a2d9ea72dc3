/**
 * A tenant's waitlist Schedule (docs/demand.md, "The waitlist"): every `everyDays` it starts WaitlistWorkflow for that
 * tenant. Registered by every worker at start (worker/waitlist-schedules.ts) and by the admin API when a tenant's
 * prospects change; as the reconciler's (worker/reconcile-schedule.ts): created, or updated only when its settings
 * differ (the action's memo carries them), and paused, never deleted, when prospects go off.
 */
import { ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import {
  WAITLIST_WORKFLOW_TYPE,
  waitlistScheduleIdFor,
  waitlistWorkflowIdFor,
  type WaitlistInput,
} from '../contract/demand.ts';
import { TenantIdKey } from '../contract/search-attributes.ts';
import { ensureSchedule, type ScheduleRegistration } from './schedules.ts';

export type WaitlistRegistration = ScheduleRegistration;

export interface WaitlistScheduleSettings {
  tenantId: string;
  /** The tenant is enabled and its prospects are on. */
  enabled: boolean;
  everyDays: number;
  taskQueue: string;
}

const OFF_NOTE = "paused: the tenant's prospects are off (or the tenant is disabled)";

export function waitlistScheduleOptions(settings: WaitlistScheduleSettings): ScheduleOptions {
  const { tenantId, everyDays, taskQueue } = settings;
  const args: [WaitlistInput] = [{ tenantId }];
  return {
    scheduleId: waitlistScheduleIdFor(tenantId),
    spec: { intervals: [{ every: `${everyDays}d` }] },
    action: {
      type: 'startWorkflow',
      workflowType: WAITLIST_WORKFLOW_TYPE,
      workflowId: waitlistWorkflowIdFor(tenantId),
      taskQueue,
      args,
      typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
      staticSummary: `Waitlist of tenant ${tenantId}: open prospects re-checked for coverage`,
      memo: { settings: JSON.stringify({ everyDays, taskQueue, workflowType: WAITLIST_WORKFLOW_TYPE }) },
    },
    // A round that overruns skips the next; a worker down for a while runs one round when it is back, not many.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    state: { paused: false, note: 'registered for the tenant' },
  };
}

/** Creates, updates or pauses the tenant's waitlist Schedule as `settings` say; throws what Temporal throws. */
export async function ensureWaitlistSchedule(
  client: Client,
  settings: WaitlistScheduleSettings,
): Promise<WaitlistRegistration> {
  return ensureSchedule(client, waitlistScheduleOptions(settings), !settings.enabled, {
    off: OFF_NOTE,
    updated: 'updated for the tenant',
  });
}
