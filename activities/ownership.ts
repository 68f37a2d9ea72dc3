/**
 * Whether a property carrying a viability's marker is that reservation's (docs/architecture.md, "Invariants" 7). Data
 * in OZmap is evidence, not authority: anyone with write access can set the marker on any property, so the marker
 * alone never makes a record ours to adopt, confirm or delete. A reservation is made as a property with its client,
 * both marked, the client with the customer's code (OZmap fact O12): a property is ours only when its client carries
 * the same marker and that code. Deleting a property takes its client with it (O18), so a property whose client is
 * not ours is never deleted either.
 */
import type { OzmapClient } from './ozmap/client.ts';
import type { OzClient, OzProperty } from './ozmap/schemas.ts';

export interface Marks {
  /** The viability's marker (contract/ids.ts). */
  externalId: string;
  /** The customer's code; unknown to the reconciler for a viability no workflow remembers (the marker then). */
  customerCode?: string;
}

/** Ours, with the client as read, or not, with the reason (for logs, notices and the reconciler's report). */
export type Standing = { ours: true; client: OzClient } | { ours: false; why: string };

export function standingOf(client: OzClient | null, marks: Marks): Standing {
  if (!client) return { ours: false, why: 'it has no client' };
  if (client.externalId !== marks.externalId) return { ours: false, why: 'its client does not carry the marker' };
  if (marks.customerCode !== undefined && client.code !== marks.customerCode)
    return { ours: false, why: "its client's code is not the customer's" };
  return { ours: true, client };
}

/**
 * The property's client as OZmap sent it, read by id when it came as an id only or without a marker (a population
 * may leave fields out: OZmap fact O15); null when it has none or it is gone.
 */
export async function clientOf(
  ozmap: Pick<OzmapClient, 'getClient'>,
  property: { client?: OzProperty['client'] },
): Promise<OzClient | null> {
  const { client } = property;
  if (!client) return null;
  return client.implanted === undefined || client.externalId === undefined ? ozmap.getClient(client.id) : client;
}
