/** Business ids as Temporal and OZmap see them: the workflow id and the marker on OZmap records, both ways. */

/** A viability id as Ispbox sends it: no `/`, no space, no control character (contract: 1-64 of these). */
export const VIABILITY_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** The tenant the environment configures (OZMAP_URL, ISPBOX_API_KEY, WEBHOOK_*…): today's ids, markers, routes. */
export const DEFAULT_TENANT_ID = 'default';

/** 1-32 of [a-z0-9-], starting and ending with a letter or digit: never `/`, which separates it in workflow ids. */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

const WORKFLOW_ID_PREFIX = 'reservation-';
/** The fixed start of every marker: what the reconciler pages OZmap's properties by. */
export const EXTERNAL_ID_PREFIX = 'ispbox2:';

/** One viability, one workflow: the id is what makes a second start find the first. */
export const workflowIdFor = (viabilityId: string): string => `${WORKFLOW_ID_PREFIX}${viabilityId}`;

/** One survey at a time per viability: two requests at once share the run (the id is reused once it ends). */
export const surveyIdFor = (viabilityId: string): string => `candidates-${viabilityId}`;

/** The viability of a reservation's workflow id; undefined for any other workflow (a webhook delivery's, say). */
export function viabilityIdOf(workflowId: string): string | undefined {
  const viabilityId = workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : '';
  return VIABILITY_ID_PATTERN.test(viabilityId) ? viabilityId : undefined;
}

/** The property/client marker that makes a reservation findable again (idempotency across retries and crashes). */
export const externalIdFor = (viabilityId: string): string => `${EXTERNAL_ID_PREFIX}${viabilityId}`;

/** The viability an OZmap record was made for, from its marker; undefined for records this project did not make. */
export const viabilityIdOfExternalId = (externalId: string | undefined): string | undefined =>
  externalId?.startsWith(EXTERNAL_ID_PREFIX) ? externalId.slice(EXTERNAL_ID_PREFIX.length) : undefined;
