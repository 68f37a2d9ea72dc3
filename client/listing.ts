/**
 * Listing reservations through Temporal visibility: the filters callers may use, how they become a visibility
 * query, the summary each listed reservation is reduced to, and the call itself. All but the call is pure, so the
 * query building and the page tokens are unit-tested.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { WORKFLOW_TYPE } from '../contract/defaults.ts';
import { viabilityIdOf } from '../contract/ids.ts';
import { CustomerCode, ReservationStatus, ViabilityId } from '../contract/schemas.ts';
import {
  BoxIdKey,
  CustomerCodeKey,
  ReservationExpiresAtKey,
  ReservationStatusKey,
  ViabilityIdKey,
} from '../contract/search-attributes.ts';
import { InvalidInputError } from './errors.ts';
import { dateOf, searchAttributesOf } from './inspection.ts';
import { parseInput } from './prepare.ts';

export const MAX_PAGE_SIZE = 100;

/** Page tokens are opaque and small; this bounds what a caller may send back as one. */
export const MAX_PAGE_TOKEN_LENGTH = 4096;

/** A listing's page token as callers see it: `nextPageToken` of one page, `pageToken` of the next. */
export const PageToken = z
  .base64url('must be a nextPageToken returned by the previous page')
  .max(MAX_PAGE_TOKEN_LENGTH, 'is too long for a nextPageToken')
  .meta({
    description:
      `Opaque: the nextPageToken of the previous page of the same listing, sent back as given (base64url, at most ` +
      `${MAX_PAGE_TOKEN_LENGTH} characters). It is bound to its filters: a changed token, or one of another ` +
      'listing, is refused with 400 naming pageToken.',
  });

export const ListReservationsQuery = z.strictObject({
  status: ReservationStatus.optional(),
  customerCode: CustomerCode.optional(),
  expiresBefore: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-12-31T00:00:00Z' })
    .optional(),
  pageSize: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .optional(),
  pageToken: PageToken.optional(),
});
export type ListReservationsQuery = z.infer<typeof ListReservationsQuery>;

export const ReservationSummary = z.object({
  viabilityId: ViabilityId,
  workflowId: z.string(),
  status: ReservationStatus.optional(),
  customerCode: z.string().optional(),
  boxId: z.string().optional(),
  expiresAt: z.string().optional(),
  startedAt: z.string(),
  closedAt: z.string().optional(),
});
export type ReservationSummary = z.infer<typeof ReservationSummary>;

export interface ReservationPage {
  reservations: ReservationSummary[];
  /** Present when there are more: pass it back as `pageToken`. */
  nextPageToken?: string;
}

/** A visibility string literal: the values are validated, but quoting must never depend on that. */
const literal = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The visibility query for a listing: only this project's workflows (visibility lists the newest first). */
export function visibilityQuery(
  query: Pick<ListReservationsQuery, 'status' | 'customerCode' | 'expiresBefore'>,
  workflowType: string,
  tenantId?: string,
): string {
  const terms = [`WorkflowType = ${literal(workflowType)}`];
  // A tenant sees its own only; its page tokens are bound to this query, so to it too.
  if (tenantId !== undefined) terms.push(`TenantId = ${literal(tenantId)}`);
  if (query.status) terms.push(`ReservationStatus = ${literal(query.status)}`);
  if (query.customerCode) terms.push(`CustomerCode = ${literal(query.customerCode)}`);
  if (query.expiresBefore) terms.push(`ReservationExpiresAt < ${literal(new Date(query.expiresBefore).toISOString())}`);
  return terms.join(' AND ');
}

/**
 * The key page tokens are checked with: HKDF-SHA256 of ISPBOX_API_KEY (info below) when the client has it, so a
 * token printed by one `ozres list` works in the next and across HTTP API replicas; else a per-process secret
 * (tokens then last as long as the process). Keyed, so a caller cannot mint a check for a server token of its own.
 */
export function pageTokenKey(ispboxApiKey?: string): Buffer {
  if (!ispboxApiKey) return randomBytes(32);
  return Buffer.from(hkdfSync('sha256', ispboxApiKey, '', 'ispbox-ozmap page token v1', 32));
}

/**
 * Page tokens wrap the server's own with an HMAC bound to the filters, so a mangled or forged token, or one from
 * another listing, is refused here with a clear message instead of reaching the server (which answers such tokens
 * with an opaque internal error).
 */
export function encodePageToken(key: Buffer, query: string, serverToken: Uint8Array): string {
  const t = Buffer.from(serverToken).toString('base64url');
  return Buffer.from(JSON.stringify({ t, c: pageCheck(key, query, t) })).toString('base64url');
}

/** The server's token inside `token`, or undefined when it is not one this listing issued. */
export function decodePageToken(key: Buffer, query: string, token: string): Uint8Array | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const { t, c } = z.object({ t: z.base64url(), c: z.string() }).parse(parsed);
    const expected = Buffer.from(pageCheck(key, query, t));
    const given = Buffer.from(c);
    return given.length === expected.length && timingSafeEqual(given, expected)
      ? Buffer.from(t, 'base64url')
      : undefined;
  } catch {
    return undefined;
  }
}

const pageCheck = (key: Buffer, query: string, t: string) =>
  createHmac('sha256', key).update(query).update('\0').update(t).digest('base64url').slice(0, 22);

/** Reservations by status, customer code or expiry, newest first, a page at a time. */
export async function listReservations(
  client: Client,
  raw: unknown,
  key: Buffer,
  tenantId: string,
): Promise<ReservationPage> {
  const { pageSize = 20, pageToken, ...filters } = parseInput(ListReservationsQuery, raw);
  const query = visibilityQuery(filters, WORKFLOW_TYPE, tenantId);
  const serverToken = pageToken === undefined ? undefined : decodePageToken(key, query, pageToken);
  if (pageToken !== undefined && serverToken === undefined) {
    throw new InvalidInputError([
      { field: 'pageToken', message: 'is not a nextPageToken of this listing (same filters): start again without it' },
    ]);
  }
  const response = await client.workflowService.listWorkflowExecutions({
    namespace: client.options.namespace,
    query,
    pageSize,
    nextPageToken: serverToken,
  });
  const reservations = (response.executions ?? []).flatMap((execution): ReservationSummary[] => {
    const workflowId = execution.execution?.workflowId ?? '';
    const attributes = searchAttributesOf(execution.searchAttributes?.indexedFields);
    const status = ReservationStatus.safeParse(attributes.get(ReservationStatusKey));
    const started = dateOf(execution.startTime);
    if (!started) return [];
    return [
      {
        viabilityId: attributes.get(ViabilityIdKey) ?? viabilityIdOf(workflowId) ?? workflowId,
        workflowId,
        status: status.success ? status.data : undefined,
        customerCode: attributes.get(CustomerCodeKey),
        boxId: attributes.get(BoxIdKey),
        expiresAt: attributes.get(ReservationExpiresAtKey)?.toISOString(),
        startedAt: started.toISOString(),
        closedAt: dateOf(execution.closeTime)?.toISOString(),
      },
    ];
  });
  const next =
    response.nextPageToken && response.nextPageToken.length > 0
      ? encodePageToken(key, query, response.nextPageToken)
      : undefined;
  return { reservations, ...(next ? { nextPageToken: next } : {}) };
}
