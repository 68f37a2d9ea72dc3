/**
 * The reservePort activity: the "Não implantado" client on the chosen port, made once however often it runs
 * (docs/architecture.md, "Idempotent create").
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURES } from '../contract/failures.ts';
import { externalIdFor } from '../contract/ids.ts';
import type { Coordinates, Customer, PortChoice } from '../contract/schemas.ts';
import { classified } from './failures.ts';
import { shownDistanceMeters } from './geo.ts';
import { dropPolesFields, type OzmapClient } from './ozmap/client.ts';
import type { OzProperty } from './ozmap/schemas.ts';
import { clientOf, standingOf } from './ownership.ts';
import { takenPortOf, type PortTaken } from './ports.ts';
import { deleteReservation, markedBy, marksOf } from './sweep.ts';

export interface ReservePortInput {
  viabilityId: string;
  /** Whose viability (absent: `default`): its marker and its OZmap (activities/index.ts). */
  tenantId?: string;
  customer: Customer;
  address: string;
  coordinates: Coordinates;
  choice: PortChoice;
  /**
   * True on the run's first reservePort (docs/architecture.md, "Idempotent create"): nothing can exist yet on its
   * first attempt, so that attempt creates without looking the marker up. Every other one looks up first.
   */
  firstRound: boolean;
  /**
   * The reservation's radius: a property found by the marker off the chosen splitter is taken as this reservation's
   * only if its box lies within it (docs/architecture.md, "Idempotent create").
   */
  radiusMeters: number;
}

/** A property with the viability's marker that a reserve neither took nor released: it may not be ours. */
export interface LeftAlone {
  propertyId: string;
  why: string;
}

export type ReservePortResult =
  | {
      outcome: 'reserved';
      propertyId: string;
      clientId: string;
      boxId: string;
      splitterId: string;
      port: number;
      /**
       * An earlier request of this viability may still be applied by OZmap (this was not the first attempt of the
       * first round): the workflow sweeps the marker again once such a create would have landed.
       */
      uncertain?: boolean;
      /** Properties with the marker this reserve neither took nor released (the first MAX_LEFT_ALONE). */
      leftAlone?: LeftAlone[];
    }
  | PortTaken;

/** What a reserve needs of OZmap: the marker's look-up and what it reads to judge a find, the create, the deletes. */
export type ReserveOzmap = Pick<
  OzmapClient,
  | 'findPropertiesByExternalId'
  | 'getClient'
  | 'getSplitter'
  | 'getBox'
  | 'createProperty'
  | 'deleteProperty'
  | 'deleteClient'
>;

/** Properties left alone that a reserve reports: enough to act on, small enough for history. */
const MAX_LEFT_ALONE = 5;
/**
 * Boxes a reserve reads to see whether a marked property off the chosen splitter lies in the radius: one per round a
 * run may make (workflows/reservation/steps.ts, MAX_RESERVE_ATTEMPTS), so records planted by the thousand cost a
 * bounded few.
 */
const MAX_PLACE_CHECKS = 8;

/**
 * Creates the "Não implantado" client on the chosen port. A retry first looks for the property this viability
 * already created (by external_id), so a lost response never makes a second client.
 */
export function reservePort(ozmap: ReserveOzmap, input: ReservePortInput): Promise<ReservePortResult> {
  // A 2xx with an odd body may still have created the property: retry, and the look-up finds it.
  return classified(
    'OZmap',
    async () => {
      const externalId = externalIdFor(input.viabilityId, input.tenantId);
      // Only a request made before this one can have created the property: the first attempt of the first
      // round skips the look-up; later ones may also meet a create that landed late, and keep one of them.
      const uncertain = !(input.firstRound && Context.current().info.attempt === 1);
      // Never adopted, never released here: what carries the marker but may not be ours (Invariant 7).
      let leftAlone: { leftAlone?: LeftAlone[] } = {};
      if (uncertain) {
        const found = await ownCreates(ozmap, input);
        if (found.leftAlone.length > 0) leftAlone = { leftAlone: found.leftAlone.slice(0, MAX_LEFT_ALONE) };
        const [kept, ...duplicates] = found.own;
        if (kept) {
          for (const duplicate of duplicates) await deleteReservation(ozmap, duplicate.id, duplicate.client?.id);
          return { ...reservedFrom(kept, input.choice), uncertain, ...leftAlone };
        }
      }
      const { choice } = input;
      const result = await ozmap.createProperty({
        project: choice.projectId,
        box: choice.boxId,
        connector: choice.splitterId,
        port: choice.port,
        auto_connect: false,
        force: false,
        coords: [input.coordinates.lng, input.coordinates.lat],
        address: input.address,
        observation: `Reserva de porta Ispbox 2, viabilidade ${input.viabilityId}`,
        external_id: externalId,
        client: {
          code: input.customer.code,
          name: input.customer.name,
          implanted: false,
          observation: `Viabilidade Ispbox 2 ${input.viabilityId}`,
          external_id: externalId,
        },
        ...dropPolesFields(choice.dropPoles),
      });
      if (result.outcome === 'created') return { ...reservedFrom(result.property, choice), uncertain, ...leftAlone };
      // Refused: the port itself, read again, tells a taken port from another refusal (ports.ts).
      const taken = await takenPortOf(ozmap, choice);
      if (taken) return taken;
      // Free again when re-read: the occupant may have been released in between, or OZmap refuses for another
      // reason. The workflow tells the two apart by trying again a bounded number of times.
      throw ApplicationFailure.nonRetryable(`OZmap refused the reservation (${result.message})`, FAILURES.OZmapRefused);
    },
    { retryBadResponses: true },
  );
}

/**
 * What a reserve finds under the marker (docs/architecture.md, "Idempotent create"): its own earlier creates (ours,
 * not implanted, on the chosen splitter or a box within the radius), the nearest to the choice first; the rest is
 * left alone, with the reason.
 */
async function ownCreates(
  ozmap: ReserveOzmap,
  input: ReservePortInput,
): Promise<{ own: OzProperty[]; leftAlone: LeftAlone[] }> {
  const marker = { viabilityId: input.viabilityId, customerCode: input.customer.code, tenantId: input.tenantId };
  const marks = marksOf(marker);
  const { choice } = input;
  let placeChecks = 0;
  const whyNotOwn = async (property: OzProperty): Promise<string | undefined> => {
    const standing = standingOf(await clientOf(ozmap, property), marks);
    if (!standing.ours) return standing.why;
    if (standing.client.implanted) return 'its client is implanted';
    const at = property.connection;
    if (at?.id === choice.splitterId) return undefined;
    // A later round's choice differs from the earlier rounds', whose creates may have landed late: any box in the
    // radius may hold one; one outside it cannot.
    if (!at) return 'it is on no splitter port';
    if (input.radiusMeters === undefined) return 'it is not on the chosen splitter';
    if (placeChecks++ >= MAX_PLACE_CHECKS) return 'too many records carry the marker to check where this one is';
    const splitter = await ozmap.getSplitter(at.id);
    const box = splitter && (await ozmap.getBox(splitter.boxId));
    if (!box || shownDistanceMeters(input.coordinates, box) > input.radiusMeters)
      return `it is outside the ${input.radiusMeters} m radius`;
    return undefined;
  };
  const own: OzProperty[] = [];
  const leftAlone: LeftAlone[] = [];
  for (const property of await markedBy(ozmap, marker)) {
    const why = await whyNotOwn(property);
    if (why === undefined) own.push(property);
    else leftAlone.push({ propertyId: property.id, why });
  }
  const closeness = (p: OzProperty) =>
    p.connection?.id !== choice.splitterId ? 2 : p.connection.port === choice.port ? 0 : 1;
  own.sort((a, b) => closeness(a) - closeness(b));
  if (leftAlone.length > 0)
    log.warn("Properties with this viability's marker are not this reservation's: left alone", {
      count: leftAlone.length,
      first: leftAlone.slice(0, MAX_LEFT_ALONE),
    });
  return { own, leftAlone };
}

function reservedFrom(
  property: { id: string; boxId?: string; client?: { id: string }; connection?: { id: string; port: number } },
  asked: PortChoice,
): ReservePortResult {
  if (!property.client) {
    throw ApplicationFailure.nonRetryable(
      `OZmap property ${property.id} has no client attached`,
      FAILURES.OZmapBadResponse,
    );
  }
  return {
    outcome: 'reserved',
    propertyId: property.id,
    clientId: property.client.id,
    boxId: property.boxId ?? asked.boxId,
    splitterId: property.connection?.id ?? asked.splitterId,
    port: property.connection?.port ?? asked.port,
  };
}
