/**
 * The reservation's activities, built around injected clients (samples-typescript's
 * activities-dependency-injection pattern). Each is a small function in a module of its own, taking the clients it
 * uses; createActivities only binds them. Each is idempotent: Temporal may run any of them more than once.
 */
import { confirmInstallation } from './confirm.ts';
import { geocode, type GeocodeInput } from './geocode.ts';
import type { Geocoder } from './geocoder/geocoder.ts';
import { movePort, type MovePortInput } from './move.ts';
import type { OzmapClient } from './ozmap/client.ts';
import { releasePort } from './release.ts';
import { reservePort, type ReservePortInput } from './reserve.ts';
import { surveyBoxes, type BoxSearch } from './survey.ts';
import { sweepDuplicates, type ReservationRef, type SweepInput } from './sweep.ts';

export type { ConfirmResult } from './confirm.ts';
export type { MovePortInput, MovePortResult } from './move.ts';
export { freePorts } from './ports.ts';
export type { ReleaseResult } from './release.ts';
export type { LeftAlone, ReservePortInput, ReservePortResult } from './reserve.ts';
export type { BoxSearch, BoxSurvey } from './survey.ts';
export type { MarkerRef, ReservationRef, SweepInput, SweepResult } from './sweep.ts';

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

/** The activities by the names the workflows call them (workflows/reservation/activities.ts). */
export function createActivities({ ozmap, geocoder }: ActivityDeps) {
  return {
    geocode: (input: GeocodeInput) => geocode(geocoder, input),
    surveyBoxes: (input: BoxSearch) => surveyBoxes(ozmap, input),
    reservePort: (input: ReservePortInput) => reservePort(ozmap, input),
    movePort: (input: MovePortInput) => movePort(ozmap, input),
    confirmInstallation: (input: ReservationRef) => confirmInstallation(ozmap, input),
    releasePort: (input: ReservationRef) => releasePort(ozmap, input),
    sweepDuplicates: (input: SweepInput) => sweepDuplicates(ozmap, input),
  };
}

export type ReservationActivities = ReturnType<typeof createActivities>;
