/**
 * Every failure type the service raises, by name (docs/architecture.md, "Failures"). These strings are recorded in
 * workflow histories and matched by callers, so they never change; the workflow, the activities and the tests all
 * take them from here. No zod: the workflow bundle imports this.
 */

/** How a call to OZmap or the geocoder went wrong; what Temporal should do about it follows from the kind. */
export type UpstreamErrorKind =
  | 'validation' // the request is wrong: retrying will not help
  | 'auth' // 401/403: a key problem; worth retrying slowly while an operator fixes it
  | 'not-found'
  | 'conflict' // 409/422: the server refused the change as it stands
  | 'rate-limited' // 429
  | 'unavailable' // 5xx
  | 'network' // connection refused/reset, timeouts
  | 'bad-response'; // a 2xx whose body is not what the API documents

export type UpstreamService = 'OZmap' | 'Geocoder';

export const FAILURES = {
  /** The workflow input lacks what the workflow needs (the boundary validates fully; this guards direct starts). */
  InvalidReservationInput: 'InvalidReservationInput',
  /** Answered to waiting update callers when the run fails for a reason retries cannot fix. */
  ReservationFailed: 'ReservationFailed',
  /** A selectBox the candidates cannot satisfy. */
  InvalidSelection: 'InvalidSelection',
  /** A changeBox or extendHold the reservation cannot take (a port taken meanwhile, a hold beyond the limit). */
  ChangeRefused: 'ChangeRefused',
  /** OZmap refused to create the reservation although the port reads free (the workflow retries it twice). */
  OZmapRefused: 'OZmapRefusedError',

  /** Ispbox's webhook endpoint answered with a status other than 2xx, or not at all in time: retried for a day. */
  WebhookRejected: 'WebhookRejectedError',
  WebhookUnreachable: 'WebhookUnreachableError',
  /** A delivery scheduled while WEBHOOK_URL was set met a worker without it: it gives up, visibly. */
  WebhookNotConfigured: 'WebhookNotConfiguredError',
  /** A WebhookDelivery workflow that stopped retrying: the event was not acknowledged (Web UI: Failed). */
  WebhookGaveUp: 'WebhookGaveUp',
  /** A tenant's OZmap calls are at their bound on this worker (docs/tenants.md, "Isolation"): retried later. */
  TenantBusy: 'TenantBusyError',
  /** An activity for a tenant the registry does not know (deleted, or a worker without the registry). */
  UnknownTenant: 'UnknownTenantError',
  /** The reconciler's id cursor was not honoured by OZmap (docs/architecture.md, "OZmap facts" O26). */
  OZmapCursorNotHonoured: 'OZmapCursorNotHonouredError',
  /** More boxes within one point's radius than one OZmap answer may bring (activities/area-survey.ts): not retried. */
  AreaTooDense: 'AreaTooDenseError',
  /** A reconciler activity ran on a worker built without a Temporal client (a setup error, not retried). */
  ReconcilerNotWired: 'ReconcilerNotWiredError',

  OZmapValidation: 'OZmapValidationError',
  OZmapAuth: 'OZmapAuthError',
  OZmapNotFound: 'OZmapNotFoundError',
  OZmapConflict: 'OZmapConflictError',
  OZmapRateLimited: 'OZmapRateLimitedError',
  OZmapUnavailable: 'OZmapUnavailableError',
  OZmapNetwork: 'OZmapNetworkError',
  OZmapBadResponse: 'OZmapBadResponseError',

  GeocoderValidation: 'GeocoderValidationError',
  GeocoderAuth: 'GeocoderAuthError',
  GeocoderNotFound: 'GeocoderNotFoundError',
  GeocoderConflict: 'GeocoderConflictError',
  GeocoderRateLimited: 'GeocoderRateLimitedError',
  GeocoderUnavailable: 'GeocoderUnavailableError',
  GeocoderNetwork: 'GeocoderNetworkError',
  GeocoderBadResponse: 'GeocoderBadResponseError',
} as const;

export type FailureType = (typeof FAILURES)[keyof typeof FAILURES];

const UPSTREAM_FAILURES: Record<UpstreamService, Record<UpstreamErrorKind, FailureType>> = {
  OZmap: {
    validation: FAILURES.OZmapValidation,
    auth: FAILURES.OZmapAuth,
    'not-found': FAILURES.OZmapNotFound,
    conflict: FAILURES.OZmapConflict,
    'rate-limited': FAILURES.OZmapRateLimited,
    unavailable: FAILURES.OZmapUnavailable,
    network: FAILURES.OZmapNetwork,
    'bad-response': FAILURES.OZmapBadResponse,
  },
  Geocoder: {
    validation: FAILURES.GeocoderValidation,
    auth: FAILURES.GeocoderAuth,
    'not-found': FAILURES.GeocoderNotFound,
    conflict: FAILURES.GeocoderConflict,
    'rate-limited': FAILURES.GeocoderRateLimited,
    unavailable: FAILURES.GeocoderUnavailable,
    network: FAILURES.GeocoderNetwork,
    'bad-response': FAILURES.GeocoderBadResponse,
  },
};

/** The failure type of an HTTP error of `kind` from `service`, e.g. OZmapAuthError. */
export const upstreamFailure = (service: UpstreamService, kind: UpstreamErrorKind): FailureType =>
  UPSTREAM_FAILURES[service][kind];
