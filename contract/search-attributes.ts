/**
 * Search attributes (docs/architecture.md, "Search attributes"), registered on every server the project starts and kept
 * current by the workflow.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const ViabilityIdKey = defineSearchAttributeKey('ViabilityId', SearchAttributeType.KEYWORD);
export const CustomerCodeKey = defineSearchAttributeKey('CustomerCode', SearchAttributeType.KEYWORD);
export const ReservationStatusKey = defineSearchAttributeKey('ReservationStatus', SearchAttributeType.KEYWORD);
export const BoxIdKey = defineSearchAttributeKey('BoxId', SearchAttributeType.KEYWORD);
/** The tenant a workflow runs for (docs/tenants.md): on every workflow started for one, `default` included. */
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
export const ReservationExpiresAtKey = defineSearchAttributeKey('ReservationExpiresAt', SearchAttributeType.DATETIME);

export const SEARCH_ATTRIBUTE_KEYS = [
  ViabilityIdKey,
  CustomerCodeKey,
  ReservationStatusKey,
  BoxIdKey,
  ReservationExpiresAtKey,
  TenantIdKey,
];
