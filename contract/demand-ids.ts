/**
 * Demand's ids, workflow types and bounds (docs/demand.md), in a module without zod: the workflows import these, and
 * workflow code bundles every module it imports. contract/demand.ts re-exports them beside its schemas.
 */

/** Prospects the waitlist reads per activity: the most any workflow history carries at a time. */
export const WAITLIST_PAGE_SIZE = 200;
/** Pages one waitlist run handles before it continues as new, so a long list never grows one history far. */
export const WAITLIST_PAGES_PER_RUN = 20;

export const WAITLIST_WORKFLOW_TYPE = 'WaitlistWorkflow';
/** One waitlist Schedule, and one round at a time, per tenant (the tenant id's alphabet has no `/`). */
export const waitlistScheduleIdFor = (tenantId: string): string => `waitlist-${tenantId}`;
export const waitlistWorkflowIdFor = (tenantId: string): string => `waitlist-${tenantId}`;

/**
 * The `prospect.viable` event's id: one per prospect, so a round retried, or a second round that finds it again before
 * it was marked, cannot send a second event (the delivery's workflow id is built from it too).
 */
export const prospectViableEventIdFor = (externalId: string): string => `prospect.viable:${externalId}`;

/** A batch id as the API makes it: `fb_` and 20 base32 characters (random; what routes and workflow ids carry). */
export const BATCH_ID_PATTERN = /^fb_[a-z2-7]{20}$/;

/** The workflow that works through a batch's rows, a page at a time (workflows/batch-feasibility). */
export const BATCH_WORKFLOW_TYPE = 'BatchFeasibilityWorkflow';

/** One workflow per batch: the tenant is in the id, so one tenant's batch id never reaches another's. */
export const batchWorkflowIdFor = (tenantId: string, batchId: string): string => `feasibility-${tenantId}-${batchId}`;
