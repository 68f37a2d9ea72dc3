/**
 * The reservation's activities, built around injected clients (samples-typescript's
 * activities-dependency-injection pattern). Each is idempotent: Temporal may run any of them more than once.
 */
import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FAILURES } from '../contract/failures.ts';
import { externalIdFor } from '../contract/ids.ts';
import { type Candidate, type Coordinates, type Customer, type UnavailableBox } from '../contract/schemas.ts';
import type { PortChoice } from '../contract/schemas.ts';
import { classified } from './failures.ts';
import { shownDistanceMeters } from './geo.ts';
import type { Geocoder, GeocodeResult } from './geocoder/geocoder.ts';
import type { OzmapClient } from './ozmap/client.ts';
import type { OzProperty } from './ozmap/schemas.ts';
import { clientOf, standingOf, type Marks } from './ownership.ts';
import { freePorts, takenPortOf, type PortTaken } from './ports.ts';

export { freePorts } from './ports.ts';

export interface ActivityDeps {
  ozmap: Pick<
    OzmapClient,
    | 'findBoxesNear'
    | 'findDropSplitters'
    | 'findPropertiesByExternalId'
    | 'createProperty'
    | 'getSplitter'
    | 'getBox'
    | 'getProperty'
    | 'getClient'
    | 'setClientImplanted'
    | 'deleteProperty'
    | 'deleteClient'
    | 'moveProperty'
  >;
  geocoder: Geocoder;
}

export interface BoxSearch {
  lat: number;
  lng: number;
  radiusMeters: number;
}

export interface BoxSurvey {
  candidates: Candidate[];
  unavailable: UnavailableBox[];
}

export interface ReservePortInput {
  viabilityId: string;
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

/** Whose marked properties a sweep looks at: the marker and, for OZMAP_FIND_BY=client_code, the client's code. */
export interface MarkerRef {
  viabilityId: string;
  customerCode: string;
}

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

export interface MovePortInput {
  propertyId: string;
  /** Where the property is now and where it goes: the move is a no-op once OZmap shows it at `to`. */
  from: PortChoice;
  to: PortChoice;
}

export type MovePortResult = { outcome: 'moved'; boxId: string; splitterId: string; port: number } | PortTaken;

export type ConfirmResult = { outcome: 'confirmed' } | { outcome: 'gone' };
export type ReleaseResult =
  | { outcome: 'released' }
  | { outcome: 'already-released' }
  | { outcome: 'installed' }
  /** The held property now carries a client that is not the reservation's: both left as they are (Invariant 7). */
  | { outcome: 'not-ours'; why: string };

/** The most boxes of each kind kept in the state: enough for a salesperson to choose, small enough for history. */
const MAX_CANDIDATES = 25;
/** Properties left alone that a reserve reports: enough to act on, small enough for history. */
const MAX_LEFT_ALONE = 5;
/**
 * Boxes a reserve reads to see whether a marked property off the chosen splitter lies in the radius: one per round a
 * run may make (workflows/reservation/steps.ts, MAX_RESERVE_ATTEMPTS), so records planted by the thousand cost a
 * bounded few.
 */
const MAX_PLACE_CHECKS = 8;

export function createActivities({ ozmap, geocoder }: ActivityDeps) {
  /**
   * Two OZmap calls: the boxes `near` the point ("Em projeto" ones too, to show them greyed), then the drop splitters
   * of all of them at once.
   */
  const surveyBoxes = (input: BoxSearch): Promise<BoxSurvey> =>
    classified('OZmap', async () => {
      // The server's `near` should already bound this; a server that ignores the radius must not widen it.
      const inRadius = (await ozmap.findBoxesNear(input, input.radiusMeters, { includeDrafts: true }))
        .map((box) => ({ box, distanceMeters: shownDistanceMeters(input, box) }))
        .filter((b) => b.distanceMeters <= input.radiusMeters)
        .sort((a, b) => a.distanceMeters - b.distanceMeters);
      const inService = inRadius.filter(({ box }) => !box.draft);
      const splitters = await ozmap.findDropSplitters(inService.map(({ box }) => box.id));
      const candidates: Candidate[] = [];
      const unavailable: UnavailableBox[] = [];
      for (const { box, distanceMeters } of inRadius) {
        const where = { boxId: box.id, boxName: box.name, distanceMeters, coordinates: { lat: box.lat, lng: box.lng } };
        if (box.draft) {
          unavailable.push({ ...where, reason: 'in-design' });
          continue;
        }
        const drop = splitters.filter((s) => s.boxId === box.id && s.isDrop);
        // A box without service splitters (a splice box) serves no customer: not a candidate, not worth greying.
        if (drop.length === 0) continue;
        const inBox = drop
          .map((s) => ({ splitterId: s.id, splitterName: s.name, freePorts: freePorts(s) }))
          .filter((s) => s.freePorts.length > 0);
        const free = inBox.reduce((n, s) => n + s.freePorts.length, 0);
        if (free > 0) candidates.push({ ...where, freePorts: free, projectId: box.projectId, splitters: inBox });
        else unavailable.push({ ...where, reason: 'no-free-port' });
      }
      return { candidates: candidates.slice(0, MAX_CANDIDATES), unavailable: unavailable.slice(0, MAX_CANDIDATES) };
    });

  /** Deletes a property, then its client, which OZmap should have taken with it (OZmap fact O18). */
  const release = async (propertyId: string, clientId: string | undefined): Promise<void> => {
    await ozmap.deleteProperty(propertyId);
    if (clientId !== undefined) await ozmap.deleteClient(clientId);
  };

  /**
   * Releases every marked property but `keep` that is a duplicate of ours (a create that landed late): its client
   * carries the marker and the customer's code (Invariant 7) and is not implanted (Invariant 4). Others stay whole.
   */
  const releaseDuplicates = async (marked: OzProperty[], keep: string, marks: Marks): Promise<SweepResult> => {
    const result = { released: 0, implanted: 0, suspect: 0 };
    for (const duplicate of marked.filter((p) => p.id !== keep)) {
      const standing = standingOf(await clientOf(ozmap, duplicate), marks);
      let outcome: keyof typeof result = 'suspect';
      if (standing.ours) {
        outcome = standing.client.implanted ? 'implanted' : 'released';
        if (outcome === 'released') await release(duplicate.id, standing.client.id);
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
  };

  const markedBy = (ref: MarkerRef): Promise<OzProperty[]> =>
    ozmap.findPropertiesByExternalId(externalIdFor(ref.viabilityId), ref.customerCode);
  const marksOf = (ref: MarkerRef): Marks => ({
    externalId: externalIdFor(ref.viabilityId),
    customerCode: ref.customerCode,
  });

  /**
   * What a reserve finds under the marker (docs/architecture.md, "Idempotent create"): its own earlier creates (ours,
   * not implanted, on the chosen splitter or a box within the radius), the nearest to the choice first; the rest is
   * left alone, with the reason.
   */
  const ownCreates = async (input: ReservePortInput): Promise<{ own: OzProperty[]; leftAlone: LeftAlone[] }> => {
    const marks = marksOf({ viabilityId: input.viabilityId, customerCode: input.customer.code });
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
    for (const property of await markedBy({ viabilityId: input.viabilityId, customerCode: input.customer.code })) {
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
  };

  return {
    geocode: async (input: { query: string }): Promise<GeocodeResult | null> => {
      return classified('Geocoder', () => geocoder.geocode(input.query));
    },

    /**
     * Boxes in the radius, not "Em projeto", with a service splitter that has a free port, nearest first; and the
     * boxes in the radius that cannot take the customer now (greyed on the map).
     */
    surveyBoxes: async (input: BoxSearch): Promise<BoxSurvey> => surveyBoxes(input),

    /**
     * Creates the "Não implantado" client on the chosen port. A retry first looks for the property this
     * viability already created (by external_id), so a lost response never makes a second client.
     */
    reservePort: async (input: ReservePortInput): Promise<ReservePortResult> => {
      // A 2xx with an odd body may still have created the property: retry, and the look-up finds it.
      return classified(
        'OZmap',
        async () => {
          const externalId = externalIdFor(input.viabilityId);
          // Only a request made before this one can have created the property: the first attempt of the first
          // round skips the look-up; later ones may also meet a create that landed late, and keep one of them.
          const uncertain = !(input.firstRound && Context.current().info.attempt === 1);
          // Never adopted, never released here: what carries the marker but may not be ours (Invariant 7).
          let leftAlone: { leftAlone?: LeftAlone[] } = {};
          if (uncertain) {
            const found = await ownCreates(input);
            if (found.leftAlone.length > 0) leftAlone = { leftAlone: found.leftAlone.slice(0, MAX_LEFT_ALONE) };
            const [kept, ...duplicates] = found.own;
            if (kept) {
              for (const duplicate of duplicates) await release(duplicate.id, duplicate.client?.id);
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
          });
          if (result.outcome === 'created')
            return { ...reservedFrom(result.property, choice), uncertain, ...leftAlone };
          // Refused: the port itself, read again, tells a taken port from another refusal (ports.ts).
          const taken = await takenPortOf(ozmap, choice);
          if (taken) return taken;
          // Free again when re-read: the occupant may have been released in between, or OZmap refuses for another
          // reason. The workflow tells the two apart by trying again a bounded number of times.
          throw ApplicationFailure.nonRetryable(
            `OZmap refused the reservation (${result.message})`,
            FAILURES.OZmapRefused,
          );
        },
        { retryBadResponses: true },
      );
    },

    /**
     * Moves the reservation (the same property and client) to another splitter port with one PATCH; OZmap frees the
     * old port in the same step (docs/architecture.md, "A living reservation"). A retry after a lost answer finds
     * the property already there. A taken target is `port-taken`, and the property stays where it was.
     */
    movePort: async (input: MovePortInput): Promise<MovePortResult> => {
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
    },

    /** Sets the client implanted; `gone` when the reservation no longer exists in OZmap. */
    confirmInstallation: async (input: ReservationRef): Promise<ConfirmResult> => {
      return classified(
        'OZmap',
        async () => {
          // A duplicate left now would outlive the sale: swept first, the held property never.
          if (input.sweep) await releaseDuplicates(await markedBy(input.sweep), input.propertyId, marksOf(input.sweep));
          const client = await ozmap.setClientImplanted(input.clientId);
          return client ? { outcome: 'confirmed' } : { outcome: 'gone' };
        },
        { retryBadResponses: true },
      );
    },

    /**
     * Frees the port by deleting the property (and the client, should OZmap have left it).
     * Re-reads the client first: one implanted meanwhile is an installation, never deleted.
     */
    releasePort: async (input: ReservationRef): Promise<ReleaseResult> => {
      return classified(
        'OZmap',
        async () => {
          // The sweep's query also answers the held property, in place of reading it by id.
          const marked = input.sweep ? await markedBy(input.sweep) : [];
          if (input.sweep) await releaseDuplicates(marked, input.propertyId, marksOf(input.sweep));
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
          await release(property.id, input.clientId);
          return { outcome: 'released' };
        },
        { retryBadResponses: true },
      );
    },

    /**
     * Releases every property with the viability's marker but the one the workflow holds, never an implanted one:
     * run once a create that may have landed late would have (docs/architecture.md, "Failures").
     */
    sweepDuplicates: async (input: SweepInput): Promise<SweepResult> => {
      return classified(
        'OZmap',
        async () => releaseDuplicates(await markedBy(input), input.keep.propertyId, marksOf(input)),
        { retryBadResponses: true },
      );
    },
  };
}

export type ReservationActivities = ReturnType<typeof createActivities>;

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
