/**
 * The reconciler's OZmap reads (docs/architecture.md, "Reconciler"): every property this project marked, a page at
 * a time, in id order. Kept apart from client.ts so that the reservation's own calls stay where they are.
 *
 * Paging is by key, not by page number: the reconciler deletes orphans while it pages, and a deletion on page N
 * would shift an unseen row onto page N, which a page-number walk would then skip. Two inferred facts:
 *   markedPropertiesFilter()   `like` on external_id matches a substring (OZmap fact O25)
 *   afterIdFilter()/ID_ORDER   `id` takes `>` and sorts, so "ids after X, ascending" is a cursor (OZmap fact O26)
 * Every row is checked against the marker again here: a server that ignored the filter hands back others' rows.
 */
import { z } from 'zod';
import { DEFAULT_TENANT_ID, EXTERNAL_ID_PREFIX, markerOf, scopedViabilityId } from '../../contract/ids.ts';
import { parseBody } from '../http.ts';
import type { Filter, OzmapClient } from './client.ts';
import { OzProperty, page } from './schemas.ts';

/** The tenant's viability a marker names, else undefined (none, or another tenant's). */
const viabilityOf = (marker: string | undefined, tenantId: string): string | undefined => {
  const named = markerOf(marker);
  return named?.tenantId === tenantId ? named.viabilityId : undefined;
};

/**
 * Properties whose external_id contains the tenant's marker; the prefix is checked on each row (OZmap fact O25).
 * The `default` tenant's markers carry no tenant, so its filter matches every marker (others' are told apart after).
 */
export function markedPropertiesFilter(tenantId: string = DEFAULT_TENANT_ID): Filter[] {
  // `<tenant>/` with an empty viability: the part of every marker of that tenant, ending in the tenant's `/`.
  const value =
    tenantId === DEFAULT_TENANT_ID ? EXTERNAL_ID_PREFIX : `${EXTERNAL_ID_PREFIX}${scopedViabilityId('', tenantId)}`;
  return [{ property: 'external_id', operator: 'like', value }];
}

/** Rows after a cursor id (OZmap fact O26). */
export function afterIdFilter(afterId: string | undefined): Filter[] {
  return afterId === undefined ? [] : [{ property: 'id', operator: '>', value: afterId }];
}

export const ID_ORDER = [{ property: 'id', direction: 1 as const }];

const MarkedRow = z.looseObject({ external_id: z.unknown().optional() });

export interface MarkedProperty {
  propertyId: string;
  /** The viability of the tenant's marker; undefined when the row does not carry it (never touched). */
  viabilityId?: string;
  /** As listed: populated, or only its id (the caller reads the client then; activities/ownership.ts, clientOf). */
  client?: OzProperty['client'];
}

export interface MarkedPage {
  rows: MarkedProperty[];
  /** The last id of this page, when another page may follow. */
  next?: string;
}

/** Thrown when the server does not honour the id cursor: paging on would loop or skip. */
export class CursorNotHonouredError extends Error {}

/** One page of the tenant's marked properties (absent: `default`'s) with ids after `afterId`, ascending. */
export async function markedPropertiesPage(
  ozmap: Pick<OzmapClient, 'rawPage'>,
  options: { afterId?: string; limit: number; tenantId?: string },
): Promise<MarkedPage> {
  const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
  const body = parseBody(
    page(z.unknown()),
    await ozmap.rawPage('properties', [...markedPropertiesFilter(tenantId), ...afterIdFilter(options.afterId)], {
      limit: options.limit,
      sort: ID_ORDER,
    }),
    'GET /properties (marked)',
  );
  const rows = body.rows.map((raw): MarkedProperty => {
    const property = parseBody(OzProperty, raw, 'GET /properties row');
    const marker = MarkedRow.safeParse(raw).data?.external_id;
    return {
      propertyId: property.id,
      // Another tenant's marker (two tenants may share one OZmap) is not this run's to judge: unmarked.
      viabilityId: viabilityOf(typeof marker === 'string' ? marker : undefined, tenantId),
      client: property.client,
    };
  });
  let previous = options.afterId;
  for (const row of rows) {
    if (previous !== undefined && !(row.propertyId > previous))
      throw new CursorNotHonouredError(
        `OZmap answered property ${row.propertyId} after ${previous}: the id filter or sort was not honoured ` +
          '(OZmap fact O26)',
      );
    previous = row.propertyId;
  }
  const more = body.hasNextPage ?? rows.length >= options.limit;
  return { rows, ...(more && previous !== undefined ? { next: previous } : {}) };
}
