/**
 * WaitlistWorkflow (docs/demand.md, "The waitlist"): one round of a tenant's waitlist, started by its Schedule. It
 * pages the tenant's open prospects (an activity per page, so history holds one page at a time), each page's OZmap
 * searches grouped by area; a prospect with coverage now gets ONE `prospect.viable` webhook, whose event and delivery
 * ids are the prospect's own (a retried round, or the next one, cannot start a second), and is then marked viable.
 * Many pages continue as new. The round's counts show in the Web UI as it goes, and are its result.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  ParentClosePolicy,
  continueAsNew,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProspectActivities } from '../../activities/prospects.ts';
import type { SettingsActivities } from '../../activities/settings.ts';
import type { ViableProspect } from '../../activities/waitlist.ts';
import type { WaitlistCounts, WaitlistInput } from '../../contract/demand.ts';
import {
  WAITLIST_PAGE_SIZE,
  WAITLIST_PAGES_PER_RUN,
  prospectViableEventIdFor,
  waitlistWorkflowIdFor,
} from '../../contract/demand-ids.ts';
import { DEFAULT_TENANT_ID } from '../../contract/ids.ts';
import type { ProspectViableEvent } from '../../contract/schemas.ts';
import { TenantIdKey, ViabilityIdKey } from '../../contract/search-attributes.ts';
import { WebhookDelivery } from '../webhook-delivery/workflow.ts';

/** A page's searches and PATCHes: retried until OZmap answers (the next round would only do it again later). */
const { checkWaitlistPage, markProspectViable } = proxyActivities<ProspectActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

/** Whether the tenant has a webhook (its URL and secret stay in the worker). */
const { reservationSettings } = proxyLocalActivities<SettingsActivities>({ startToCloseTimeout: '10 seconds' });

const NO_COUNTS: WaitlistCounts = { checked: 0, areasSearched: 0, ozmapCalls: 0, becameViable: 0, closed: 0 };

/** One prospect's event delivery: the id is the prospect's, the same in every round. */
export const prospectDeliveryIdFor = (tenantId: string, externalId: string): string =>
  `${waitlistWorkflowIdFor(tenantId)}/event/${prospectViableEventIdFor(externalId)}`;

export async function WaitlistWorkflow(input: WaitlistInput): Promise<WaitlistCounts> {
  const { tenantId } = input;
  const roundAt = input.roundAt ?? new Date().toISOString();
  const counts: WaitlistCounts = { ...NO_COUNTS, ...input.counts };
  const limit = input.pageSize ?? WAITLIST_PAGE_SIZE;
  const scope = tenantId === DEFAULT_TENANT_ID ? {} : { tenantId };
  const { webhooks } = await reservationSettings(scope);
  show(tenantId, counts, 'running');
  let after = input.after;
  for (let pages = 1; ; pages++) {
    const page = await checkWaitlistPage({ tenantId, ...(after === undefined ? {} : { after }), limit, roundAt });
    for (const viable of page.viable) {
      if (webhooks.enabled) await announce(tenantId, viable);
      await markProspectViable({ tenantId, externalId: viable.externalId, at: roundAt });
    }
    add(counts, page.counts);
    if (page.next === undefined) break;
    after = page.next;
    show(tenantId, counts, 'running');
    // A long waitlist goes on in a fresh run, the round's clock and counts carried over.
    if (pages >= WAITLIST_PAGES_PER_RUN || workflowInfo().continueAsNewSuggested)
      return continueAsNew<typeof WaitlistWorkflow>({ ...input, after, counts, roundAt });
  }
  show(tenantId, counts, 'done');
  return counts;
}

/** Starts the prospect's one delivery; a delivery already started (a round repeated) is not started again. */
async function announce(tenantId: string, viable: ViableProspect): Promise<void> {
  const event: ProspectViableEvent = {
    id: prospectViableEventIdFor(viable.externalId),
    type: 'prospect.viable',
    occurredAt: new Date().toISOString(),
    viabilityId: viable.viabilityId,
    status: 'NO_COVERAGE',
    customer: viable.customer,
    prospect: viable.prospect,
    coordinates: viable.coordinates,
    radiusMeters: viable.radiusMeters,
    candidates: viable.candidates,
  };
  try {
    await startChild(WebhookDelivery, {
      workflowId: prospectDeliveryIdFor(tenantId, viable.externalId),
      args: tenantId === DEFAULT_TENANT_ID ? [event] : [event, { tenantId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: ViabilityIdKey, value: viable.viabilityId },
        { key: TenantIdKey, value: tenantId },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.info('prospect.viable already sent', { externalId: viable.externalId });
  }
}

function add(counts: WaitlistCounts, more: WaitlistCounts): void {
  for (const key of Object.keys(counts) as Array<keyof WaitlistCounts>) counts[key] += more[key];
}

/** The Web UI's current details: what the round did so far (docs/demand.md, "The waitlist"). */
function show(tenantId: string, c: WaitlistCounts, phase: 'running' | 'done'): void {
  setCurrentDetails(
    `**Waitlist of tenant \`${tenantId}\`** (${phase === 'done' ? 'round done' : 'round under way'})\n\n` +
      `| checked | areas searched | OZmap calls | became viable | closed |\n|---|---|---|---|---|\n` +
      `| ${c.checked} | ${c.areasSearched} | ${c.ozmapCalls} | ${c.becameViable} | ${c.closed} |`,
  );
}
