/**
 * The properties that carry a viability's marker: finding them, releasing those that are duplicates of ours (a
 * create that landed late), and the sweepDuplicates activity. confirm.ts and release.ts sweep before they act on the
 * held property; reserve.ts deletes its own extra creates with deleteReservation.
 */
import { log } from '@temporalio/activity';
import { externalIdFor } from '../contract/ids.ts';
import { classified } from './failures.ts';
import type { OzmapClient } from './ozmap/client.ts';
import type { OzProperty } from './ozmap/schemas.ts';
import { clientOf, standingOf, type Marks } from './ownership.ts';

/** Whose marked properties a sweep looks at: the marker and, for OZMAP_FIND_BY=client_code, the client's code. */
export interface MarkerRef {
  viabilityId: string;
  customerCode: string;
  /** Whose viability (absent: `default`): the marker carries it, so two tenants may share one OZmap. */
  tenantId?: string;
}

/** The reservation the workflow holds, as confirmInstallation and releasePort take it. */
export interface ReservationRef {
  propertyId: string;
  clientId: string;
  /** When present, every other property with this viability's marker is released first (Invariant 1). */
  sweep?: MarkerRef;
}

export type SweepInput = MarkerRef & { keep: { propertyId: string } };
export interface SweepResult {
  /** Duplicates deleted. */
  released: number;
  /** Duplicates found implanted: kept (Invariant 4). */
  implanted: number;
  /** Properties with the marker whose client is not ours: left whole (Invariant 7). Absent in older results. */
  suspect?: number;
}

/** What reading and releasing marked properties needs of OZmap. */
export type SweepOzmap = Pick<
  OzmapClient,
  'findPropertiesByExternalId' | 'getClient' | 'deleteProperty' | 'deleteClient'
>;

/** Deletes a property, then its client, which OZmap should have taken with it (OZmap fact O18). */
export async function deleteReservation(
  ozmap: Pick<OzmapClient, 'deleteProperty' | 'deleteClient'>,
  propertyId: string,
  clientId: string | undefined,
): Promise<void> {
  await ozmap.deleteProperty(propertyId);
  if (clientId !== undefined) await ozmap.deleteClient(clientId);
}

export const markedBy = (
  ozmap: Pick<OzmapClient, 'findPropertiesByExternalId'>,
  ref: MarkerRef,
): Promise<OzProperty[]> =>
  ozmap.findPropertiesByExternalId(externalIdFor(ref.viabilityId, ref.tenantId), ref.customerCode);

export const marksOf = (ref: MarkerRef): Marks => ({
  externalId: externalIdFor(ref.viabilityId, ref.tenantId),
  customerCode: ref.customerCode,
});

/**
 * Releases every marked property but `keep` that is a duplicate of ours (a create that landed late): its client
 * carries the marker and the customer's code (Invariant 7) and is not implanted (Invariant 4). Others stay whole.
 */
export async function releaseDuplicates(
  ozmap: Pick<OzmapClient, 'getClient' | 'deleteProperty' | 'deleteClient'>,
  marked: OzProperty[],
  keep: string,
  marks: Marks,
): Promise<SweepResult> {
  const result = { released: 0, implanted: 0, suspect: 0 };
  for (const duplicate of marked.filter((p) => p.id !== keep)) {
    const standing = standingOf(await clientOf(ozmap, duplicate), marks);
    let outcome: keyof typeof result = 'suspect';
    if (standing.ours) {
      outcome = standing.client.implanted ? 'implanted' : 'released';
      if (outcome === 'released') await deleteReservation(ozmap, duplicate.id, standing.client.id);
    }
    result[outcome]++;
    log.warn("Another property carries this viability's marker", {
      propertyId: duplicate.id,
      kept: keep,
      outcome,
      ...(!standing.ours && { why: standing.why }),
    });
  }
  return result;
}

/**
 * Releases every property with the viability's marker but the one the workflow holds, never an implanted one: run
 * once a create that may have landed late would have (docs/architecture.md, "Failures").
 */
export function sweepDuplicates(ozmap: SweepOzmap, input: SweepInput): Promise<SweepResult> {
  return classified(
    'OZmap',
    async () => releaseDuplicates(ozmap, await markedBy(ozmap, input), input.keep.propertyId, marksOf(input)),
    { retryBadResponses: true },
  );
}
