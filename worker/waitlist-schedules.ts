/**
 * The waitlist Schedules a worker registers at start (docs/demand.md, "The waitlist"): the `default` tenant's as
 * PROSPECTS says, and each enabled tenant's as its `prospects` say, paging through the registry. The admin API keeps
 * them current as tenants change (api/routes/admin.ts); this catches up whatever changed while no API ran. Never
 * throws: a worker that cannot register them still serves reservations.
 */
import type { Client } from '@temporalio/client';
import { ensureWaitlistSchedule } from '../client/waitlist-schedule.ts';
import type { ProspectSettings } from '../contract/demand.ts';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import type { WorkerTenants } from './tenants.ts';

interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Tenants read from the registry per page. */
const PAGE = 100;

export async function registerWaitlistSchedules(
  client: Client,
  options: {
    taskQueue: string;
    /** PROSPECTS, WAITLIST_EVERY_DAYS: the `default` tenant's. */
    defaultProspects: ProspectSettings;
    tenants?: Pick<WorkerTenants, 'enabledTenants' | 'prospects'>;
  },
  logger: Logger,
): Promise<{ registered: number; failed: number }> {
  const counts = { registered: 0, failed: 0 };
  const one = async (tenantId: string, prospects: ProspectSettings | undefined) => {
    try {
      const outcome = await ensureWaitlistSchedule(client, {
        tenantId,
        enabled: prospects?.enabled === true,
        everyDays: prospects?.everyDays ?? options.defaultProspects.everyDays,
        taskQueue: options.taskQueue,
      });
      if (outcome !== 'off') logger.info({ tenantId, outcome }, 'Waitlist schedule');
      counts.registered++;
    } catch (err) {
      counts.failed++;
      logger.warn(
        { tenantId, error: err instanceof Error ? err.message : String(err) },
        'Waitlist schedule not registered (the worker runs on)',
      );
    }
  };
  await one(DEFAULT_TENANT_ID, options.defaultProspects);
  const tenants = options.tenants;
  if (!tenants) return counts;
  try {
    for (let after: string | undefined; ;) {
      const ids = await tenants.enabledTenants(after, PAGE);
      for (const id of ids) await one(id, await tenants.prospects(id));
      if (ids.length < PAGE) break;
      after = ids.at(-1);
    }
  } catch (err) {
    logger.warn({ error: err instanceof Error ? err.message : String(err) }, 'Waitlist schedules: registry unread');
  }
  return counts;
}
