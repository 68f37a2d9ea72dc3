/** Business ids as Temporal and OZmap see them: the workflow id and the marker on OZmap records, both ways. */

/** A viability id as Ispbox sends it: no `/`, no space, no control character (contract: 1-64 of these). */
export const VIABILITY_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

/** The tenant the environment configures (OZMAP_URL, ISPBOX_API_KEY, WEBHOOK_*…): today's ids, markers, routes. */
export const DEFAULT_TENANT_ID = 'default';

/** 1-32 of [a-z0-9-], starting and ending with a letter or digit: never `/`, which separates it in workflow ids. */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * A tenant's Ispbox API key (docs/tenants.md, "Keys"): `ozk_<key id>_<secret>`. The key id is not secret: map-page
 * links name it, so the page knows whose key signed them.
 */
export const TENANT_KEY_PATTERN = /^ozk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const TENANT_KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

/** The key id of a well-formed tenant key, else undefined. */
export const tenantKeyIdOf = (key: string): string | undefined => TENANT_KEY_PATTERN.exec(key)?.[1];

const WORKFLOW_ID_PREFIX = 'reservation-';
/** The fixed start of every marker: what the reconciler pages OZmap's properties by. */
export const EXTERNAL_ID_PREFIX = 'ispbox2:';

/**
 * A viability as one deployment tells it apart (docs/tenants.md, "Ids"): the id as Ispbox sent it for `default`,
 * `<tenantId>/<viabilityId>` for any other tenant (`/` is in neither alphabet), so two tenants may both have `V-1`.
 */
export const scopedViabilityId = (viabilityId: string, tenantId: string = DEFAULT_TENANT_ID): string =>
  tenantId === DEFAULT_TENANT_ID ? viabilityId : `${tenantId}/${viabilityId}`;

/** A scoped viability id taken apart; undefined when either part breaks its pattern. */
export function unscopeViabilityId(scoped: string): { tenantId: string; viabilityId: string } | undefined {
  const slash = scoped.indexOf('/');
  const tenantId = slash < 0 ? DEFAULT_TENANT_ID : scoped.slice(0, slash);
  const viabilityId = scoped.slice(slash + 1);
  return TENANT_ID_PATTERN.test(tenantId) && VIABILITY_ID_PATTERN.test(viabilityId)
    ? { tenantId, viabilityId }
    : undefined;
}

/** One viability, one workflow: the id is what makes a second start find the first. */
export const workflowIdFor = (viabilityId: string, tenantId?: string): string =>
  `${WORKFLOW_ID_PREFIX}${scopedViabilityId(viabilityId, tenantId)}`;

/** One survey at a time per viability: two requests at once share the run (the id is reused once it ends). */
export const surveyIdFor = (viabilityId: string, tenantId?: string): string =>
  `candidates-${scopedViabilityId(viabilityId, tenantId)}`;

/** The tenant and viability of a reservation's workflow id; undefined for any other workflow (a webhook's, say). */
export function reservationOf(workflowId: string): { tenantId: string; viabilityId: string } | undefined {
  return workflowId.startsWith(WORKFLOW_ID_PREFIX)
    ? unscopeViabilityId(workflowId.slice(WORKFLOW_ID_PREFIX.length))
    : undefined;
}

/** The viability of a reservation's workflow id; undefined for any other workflow (a webhook delivery's, say). */
export const viabilityIdOf = (workflowId: string): string | undefined => reservationOf(workflowId)?.viabilityId;

/**
 * The property/client marker that makes a reservation findable again (idempotency across retries and crashes). It
 * carries the tenant, so two tenants may share one OZmap.
 */
export const externalIdFor = (viabilityId: string, tenantId?: string): string =>
  `${EXTERNAL_ID_PREFIX}${scopedViabilityId(viabilityId, tenantId)}`;

/**
 * The marker of a prospect a feasibility batch's row made (`--prospects`, docs/demand.md): the batch and the row's
 * place in it, so a retried page finds the prospect its first attempt made. Not a reservation's marker: the
 * reconciler never mistakes it for one.
 */
export const batchRowExternalIdFor = (tenantId: string, batchId: string, idx: number): string =>
  `ispbox2-batch:${tenantId}/${batchId}/${idx}`;

/** The tenant and viability an OZmap record was made for, from its marker; undefined for records not ours. */
export const markerOf = (externalId: string | undefined): { tenantId: string; viabilityId: string } | undefined =>
  externalId?.startsWith(EXTERNAL_ID_PREFIX)
    ? unscopeViabilityId(externalId.slice(EXTERNAL_ID_PREFIX.length))
    : undefined;
