/**
 * Creating a Temporal Schedule that several processes register at once (every worker at start, the admin API on a
 * change): it is created, or found and updated only when its settings differ (the action's memo carries them, so
 * the comparison does not depend on how the server rewrites a spec; a Schedule's own memo cannot be updated), and
 * paused with a note, never deleted, when it is off, so that its history stays. Used by the reconciler's
 * (worker/reconcile-schedule.ts) and each tenant's waitlist (client/waitlist-schedule.ts).
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';

export type ScheduleRegistration = 'created' | 'updated' | 'unchanged' | 'paused' | 'off';

export interface ScheduleNotes {
  /** Why an existing Schedule is paused when the settings turn it off. */
  off: string;
  /** What an update says it was done by. */
  updated: string;
}

/** Creates, updates or pauses the Schedule as `options` and `off` say; throws what Temporal throws. */
export async function ensureSchedule(
  client: Client,
  options: ScheduleOptions,
  off: boolean,
  notes: ScheduleNotes,
): Promise<ScheduleRegistration> {
  const handle = client.schedule.getHandle(options.scheduleId);
  if (off) {
    // Off creates nothing; one another process registered is paused, not deleted.
    try {
      const current = await handle.describe();
      if (current.state.paused) return 'off';
      await handle.pause(notes.off);
      return 'paused';
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return 'off';
      throw err;
    }
  }
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  // Another process registered it first: update only when it differs, once more if a concurrent update raced ours.
  for (let attempt = 1; ; attempt++) {
    const current = await handle.describe();
    if (current.action.memo?.settings === options.action.memo?.settings && !current.state.paused) return 'unchanged';
    try {
      await handle.update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: { ...previous.policies, ...options.policies },
        state: { ...previous.state, paused: false, note: notes.updated },
      }));
      return 'updated';
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
}
