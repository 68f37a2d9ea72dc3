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
import { onTenantOzmap, type TenantOzmaps } from './tenant-ozmaps.ts';

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
    | 'findBoxesInArea'
    | 'findDropSplittersOfMany'
    | 'findPolesNear'
    | 'poleTypeViability'
    | 'dropLimitOf'
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
  /** Every tenant's OZmap, each behind its bulkhead (docs/tenants.md); absent, only the `default` tenant's `ozmap`. */
  tenants?: Pick<TenantOzmaps, 'run'>;
}

type OzmapCalls = ActivityDeps['ozmap'];

/** Whose OZmap an activity acts on: absent, the `default` tenant's (as before tenants existed). */
export interface Tenanted {
  tenantId?: string;
}

/** The activities by the names the workflows call them (workflows/reservation/activities.ts). */
export function createActivities({ ozmap, geocoder, tenants }: ActivityDeps) {
  /** `act` with the input's tenant's OZmap, in one of that tenant's slots. */
  const onOzmap =
    <I extends Tenanted, R>(act: (ozmap: OzmapCalls, input: I) => Promise<R>) =>
    (input: I): Promise<R> =>
      onTenantOzmap<OzmapCalls, R>({ ozmap, tenants }, input.tenantId, (client) => act(client, input));
  return {
    geocode: (input: GeocodeInput & Tenanted) => geocode(geocoder, input),
    surveyBoxes: onOzmap((client, input: BoxSearch & Tenanted) => surveyBoxes(client, input)),
    reservePort: onOzmap((client, input: ReservePortInput) => reservePort(client, input)),
    movePort: onOzmap((client, input: MovePortInput & Tenanted) => movePort(client, input)),
    confirmInstallation: onOzmap((client, input: ReservationRef & Tenanted) => confirmInstallation(client, input)),
    releasePort: onOzmap((client, input: ReservationRef & Tenanted) => releasePort(client, input)),
    sweepDuplicates: onOzmap((client, input: SweepInput) => sweepDuplicates(client, input)),
  };
}

export type ReservationActivities = ReturnType<typeof createActivities>;
