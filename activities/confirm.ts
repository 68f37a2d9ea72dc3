/** The confirmInstallation activity: the sale made, the reservation's client set implanted. */
import type { OzmapClient } from './ozmap/client.ts';
import { classified } from './failures.ts';
import { markedBy, marksOf, releaseDuplicates, type ReservationRef, type SweepOzmap } from './sweep.ts';

export type ConfirmResult = { outcome: 'confirmed' } | { outcome: 'gone' };

/** Sets the client implanted; `gone` when the reservation no longer exists in OZmap. */
export function confirmInstallation(
  ozmap: SweepOzmap & Pick<OzmapClient, 'setClientImplanted'>,
  input: ReservationRef,
): Promise<ConfirmResult> {
  return classified(
    'OZmap',
    async () => {
      // A duplicate left now would outlive the sale: swept first, the held property never.
      if (input.sweep)
        await releaseDuplicates(ozmap, await markedBy(ozmap, input.sweep), input.propertyId, marksOf(input.sweep));
      const client = await ozmap.setClientImplanted(input.clientId);
      return client ? { outcome: 'confirmed' } : { outcome: 'gone' };
    },
    { retryBadResponses: true },
  );
}
