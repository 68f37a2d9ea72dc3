/** The movePort activity: a living reservation to another port (docs/architecture.md, "A living reservation"). */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURES } from '../contract/failures.ts';
import type { PortChoice } from '../contract/schemas.ts';
import { classified } from './failures.ts';
import { dropPolesFields, type OzmapClient } from './ozmap/client.ts';
import { takenPortOf, type PortTaken } from './ports.ts';

export interface MovePortInput {
  propertyId: string;
  /** Where the property is now and where it goes: the move is a no-op once OZmap shows it at `to`. */
  from: PortChoice;
  to: PortChoice;
}

export type MovePortResult = { outcome: 'moved'; boxId: string; splitterId: string; port: number } | PortTaken;

/**
 * Moves the reservation (the same property and client) to another splitter port with one PATCH; OZmap frees the
 * old port in the same step. A retry after a lost answer finds the property already there. A taken target is
 * `port-taken`, and the property stays where it was.
 */
export function movePort(
  ozmap: Pick<OzmapClient, 'moveProperty' | 'getProperty' | 'getSplitter'>,
  input: MovePortInput,
): Promise<MovePortResult> {
  return classified(
    'OZmap',
    async () => {
      const { to } = input;
      const result = await ozmap.moveProperty(input.propertyId, {
        box: to.boxId,
        connector: to.splitterId,
        port: to.port,
        auto_connect: false,
        force: false,
        ...dropPolesFields(to.dropPoles),
      });
      // The answer may carry no usable body (the SDK ignores PATCH answers): read the property back then.
      const property =
        result.outcome === 'moved' && result.property?.connection
          ? result.property
          : await ozmap.getProperty(input.propertyId);
      if (!property)
        throw ApplicationFailure.nonRetryable(
          `OZmap no longer has the reservation's property ${input.propertyId}`,
          FAILURES.OZmapNotFound,
        );
      const at = property.connection;
      if (at?.id === to.splitterId && at.port === to.port)
        return { outcome: 'moved', boxId: property.boxId ?? to.boxId, splitterId: at.id, port: at.port };
      if (result.outcome === 'moved')
        throw ApplicationFailure.nonRetryable(
          `OZmap accepted the move to port ${to.port} of ${to.splitterName} but shows the property on ` +
            (at ? `port ${at.port} of splitter ${at.id}` : 'no port'),
          FAILURES.OZmapBadResponse,
        );
      // Refused: read the target port again, as a refused create does.
      const taken = await takenPortOf(ozmap, to);
      if (taken) return taken;
      throw ApplicationFailure.nonRetryable(`OZmap refused the move (${result.message})`, FAILURES.OZmapRefused);
    },
    { retryBadResponses: true },
  );
}
