/** The releasePort activity: the reservation given up, its port free again. */
import { log } from '@temporalio/activity';
import { classified } from './failures.ts';
import type { OzmapClient } from './ozmap/client.ts';
import { clientOf } from './ownership.ts';
import {
  deleteReservation,
  markedBy,
  marksOf,
  releaseDuplicates,
  type ReservationRef,
  type SweepOzmap,
} from './sweep.ts';

export type ReleaseResult =
  | { outcome: 'released' }
  | { outcome: 'already-released' }
  | { outcome: 'installed' }
  /** The held property now carries a client that is not the reservation's: both left as they are (Invariant 7). */
  | { outcome: 'not-ours'; why: string };

/**
 * Frees the port by deleting the property (and the client, should OZmap have left it).
 * Re-reads the client first: one implanted meanwhile is an installation, never deleted.
 */
export function releasePort(
  ozmap: SweepOzmap & Pick<OzmapClient, 'getProperty'>,
  input: ReservationRef,
): Promise<ReleaseResult> {
  return classified(
    'OZmap',
    async () => {
      // The sweep's query also answers the held property, in place of reading it by id.
      const marked = input.sweep ? await markedBy(ozmap, input.sweep) : [];
      if (input.sweep) await releaseDuplicates(ozmap, marked, input.propertyId, marksOf(input.sweep));
      const property = marked.find((p) => p.id === input.propertyId) ?? (await ozmap.getProperty(input.propertyId));
      if (!property) return { outcome: 'already-released' };
      // The held property is ours by its id; its client only while it is the one the reservation made.
      const client = await clientOf(ozmap, property);
      if (client?.implanted) {
        log.info('Client already implanted in OZmap: not releasing', { propertyId: input.propertyId });
        return { outcome: 'installed' };
      }
      if (client && client.id !== input.clientId) {
        const why = `OZmap shows client ${client.id} on the reservation's property, not ${input.clientId}`;
        log.warn("Not releasing a property whose client is not the reservation's", {
          propertyId: property.id,
          why,
        });
        return { outcome: 'not-ours', why };
      }
      await deleteReservation(ozmap, property.id, input.clientId);
      return { outcome: 'released' };
    },
    { retryBadResponses: true },
  );
}
