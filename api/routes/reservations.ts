/**
 * /v1/reservations: the reservation's whole life over HTTP, each route a call of ReservationsClient.
 *
 *   POST /v1/reservations                     201 created, 200 same terms again, 202 still working at the deadline,
 *                                             409 other terms for the same viability
 *   GET  /v1/reservations/{id}                200 the state
 *   POST /v1/reservations/{id}/selection      200 the state after selectBox (RESERVED, or AWAITING_SELECTION + notice)
 *   POST /v1/reservations/{id}/box            200 the state after changeBox (the same client on the new port)
 *   POST /v1/reservations/{id}/extension      200 the state after extendHold (expiresAt later)
 *   POST /v1/reservations/{id}/confirm|cancel 202 the state just after the signal (it takes effect moments later)
 *   GET  /v1/reservations?status&customerCode&expiresBefore&pageSize&pageToken   200 a page
 * The installer's sketch of one (…/sketch.svg, …/sketch.pdf) is in sketch.ts.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config/env.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import type { FastifyRequest } from 'fastify';
import { assertEnabled, callerAuth, callerOf, type Authenticate } from '../callers.ts';
import { perViability, type LimitedAction } from '../rate-limits.ts';
import { noSketchReason } from '../sketch/model.ts';
import { sketchLinks } from '../../contract/links.ts';
import type { BriefState } from '../../contract/schemas.ts';
import {
  BriefStateBody,
  CancelBody,
  ChangeBoxBody,
  ConfirmBody,
  ExtensionBody,
  ListBody,
  ListQuery,
  reservationBody,
  SelectionBody,
  StateBody,
  ViabilityParams,
  errorResponses,
  json,
} from '../schemas.ts';

const location = (viabilityId: string) => `/v1/reservations/${encodeURIComponent(viabilityId)}`;
const security = [{ bearer: [] }];
const tags = ['reservations'];

/**
 * OpenAPI links from an answer carrying a reservation's state to everything that can be done with it, so that a
 * client (or a stateful API fuzzer) can follow them: `viabilityId` comes from the state itself.
 */
const RESERVATION_OPERATIONS = {
  GetReservation: ['getReservation', "Read this reservation's state"],
  SelectBox: ['selectBox', 'Manual mode: reserve one of its candidates'],
  ChangeBox: ['changeBox', 'Move it to another box within its radius'],
  ExtendHold: ['extendHold', 'Extend its hold'],
  ConfirmSale: ['confirmSale', 'Confirm the sale'],
  CancelReservation: ['cancelReservation', 'Cancel it'],
  GetReservationSketchSvg: ['getReservationSketchSvg', "The installer's sketch, as SVG"],
  GetReservationSketchPdf: ['getReservationSketchPdf', "The installer's sketch, as PDF"],
} as const;
const stateLinks = Object.fromEntries(
  Object.entries(RESERVATION_OPERATIONS).map(([name, [operationId, description]]) => [
    name,
    { operationId, description, parameters: { viabilityId: '$response.body#/viabilityId' } },
  ]),
);

export const reservationRoutes: FastifyPluginAsyncZod<{
  /** The deployment's client: its input schema documents the body; each request acts through its caller's. */
  reservations: ReservationsClient;
  authenticate: Authenticate;
  config: Pick<Config, 'http'>;
}> = async (app, { reservations, authenticate, config }) => {
  // For these routes only: moves and the like count per viability (api/rate-limits.ts).
  await app.register(rateLimit, { global: false });
  // Encapsulated: the key guards these routes only (health, docs and the map page's own routes stay open).
  // onRequest runs before the body is read, so an unauthenticated request costs no parsing.
  // The key names the tenant; every call below acts for it alone (another tenant's reservation is a 404).
  app.addHook('onRequest', callerAuth(authenticate));

  /** A selection, move or extension holds a port longer or anew: a disabled tenant's is refused (403). */
  const newWork = (request: FastifyRequest) => {
    const caller = callerOf(request);
    assertEnabled(caller);
    return caller.reservations;
  };

  const waitMs = config.http.waitSeconds * 1000;
  /** Every Temporal call of a request gets the same bound: a request never hangs on a slow or absent Temporal. */
  const bounded = <T>(fn: () => Promise<T>) => reservations.within(AbortSignal.timeout(waitMs), fn);

  app.post(
    '/v1/reservations',
    {
      schema: {
        operationId: 'createReservation',
        summary: 'Reserve a port for a viability (start, or find, its reservation)',
        description:
          'Update-with-start on workflow `reservation-<viabilityId>`: answers once the status is RESERVED, ' +
          'AWAITING_SELECTION or final. ' +
          'Sending the same body again answers 200 with the same reservation; ' +
          'another body for the same viability answers 409. ' +
          'If the reservation is still working when HTTP_WAIT_SECONDS pass, answers 202 with the state so far: ' +
          'poll the Location.',
        tags,
        security,
        body: reservationBody(reservations.inputSchema),
        response: {
          201: json(StateBody, 'Reservation started by this request; Location names it'),
          200: json(StateBody, 'The viability already had a reservation with the same terms: its state'),
          202: json(StateBody, 'Still working at the deadline: the state so far; GET the Location for the rest'),
          ...errorResponses(400, 401, 409, 413, 415, 502, 503),
        },
      },
      links: { 201: stateLinks, 200: stateLinks, 202: stateLinks },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      assertEnabled(caller);
      const { reservations } = caller;
      // The wait gets its own deadline inside submit; the look-ups around it are bounded too.
      const submission = await reservations.within(AbortSignal.timeout(waitMs + 10_000), () =>
        reservations.submit(request.body, { signal: AbortSignal.timeout(waitMs) }),
      );
      const status = !submission.settled ? 202 : submission.created ? 201 : 200;
      return reply
        .code(status)
        .header('location', location(submission.state.viabilityId))
        .send(linked(submission.state));
    },
  );

  app.get(
    '/v1/reservations/:viabilityId',
    {
      schema: {
        operationId: 'getReservation',
        summary: "A reservation's state",
        tags,
        security,
        params: ViabilityParams,
        response: {
          200: json(StateBody, 'The state: live while running, final once ended'),
          ...errorResponses(400, 401, 404, 502, 503),
        },
      },
      links: { 200: stateLinks },
    },
    async (request) => linked(await bounded(() => callerOf(request).reservations.get(request.params.viabilityId))),
  );

  app.post(
    '/v1/reservations/:viabilityId/selection',
    {
      schema: {
        operationId: 'selectBox',
        summary: 'Manual mode: reserve the chosen box (and optionally splitter and port)',
        description:
          'Only while AWAITING_SELECTION and only a box among the candidates (409 otherwise, also once ended). ' +
          'A port OZmap refuses as taken answers 200 with ' +
          'AWAITING_SELECTION, fresh candidates and a notice. ' +
          'If the selection is not answered within HTTP_WAIT_SECONDS, 503: ' +
          'GET the reservation to see whether it went through.',
        tags,
        security,
        params: ViabilityParams,
        body: SelectionBody,
        response: {
          200: json(StateBody, 'The state after the selection'),
          ...errorResponses(400, 401, 404, 409, 413, 415, 503),
        },
      },
    },
    async (request) => linked(await bounded(() => newWork(request).select(request.params.viabilityId, request.body))),
  );

  // The living reservation (docs/architecture.md, "A living reservation"): updates, answered once the workflow has
  // applied them, or refused (409) with the workflow's reason and nothing changed.
  /** Moves and the like are counted per viability, once the key and the request are checked (api/rate-limits.ts). */
  const limited = (action: LimitedAction) =>
    perViability(action, (request) => (request.params as { viabilityId: string }).viabilityId);

  app.post(
    '/v1/reservations/:viabilityId/box',
    {
      config: limited('move'),
      schema: {
        operationId: 'changeBox',
        summary: 'Move a RESERVED reservation to another box (or splitter port) within its radius',
        description:
          'The changeBox update: the same OZmap client and property move to the new splitter port and the old port ' +
          'is freed; `reservation` keeps clientId, propertyId, reservedAt and expiresAt, and `changes` gains a ' +
          '`box` entry. 409 with the reason when the status is not RESERVED, the box is outside the radius, ' +
          'has no free port, or the port was taken meanwhile (nothing changes). If the move is not answered within ' +
          'HTTP_WAIT_SECONDS, 503: GET the reservation to see whether it went through.',
        tags,
        security,
        params: ViabilityParams,
        body: ChangeBoxBody,
        response: {
          200: json(BriefStateBody, 'The state after the move: reservation on the new box, splitter and port'),
          ...errorResponses(400, 401, 404, 409, 413, 415, 429, 503),
        },
      },
    },
    async (request) =>
      linked(await bounded(() => newWork(request).changeBox(request.params.viabilityId, request.body))),
  );

  app.post(
    '/v1/reservations/:viabilityId/extension',
    {
      config: limited('extension'),
      schema: {
        operationId: 'extendHold',
        summary: "Extend a RESERVED reservation's hold by whole days",
        description:
          'The extendHold update: `reservation.expiresAt` moves later by `days` and `changes` gains an ' +
          '`extension` entry; the hold timer and the ReservationExpiresAt search attribute follow. ' +
          '409 with the reason when the status is not RESERVED or the hold would end more than ' +
          'RESERVATION_MAX_HOLD_DAYS (default 90) after reservedAt.',
        tags,
        security,
        params: ViabilityParams,
        body: ExtensionBody,
        response: {
          200: json(BriefStateBody, 'The state after the extension: the later expiresAt'),
          ...errorResponses(400, 401, 404, 409, 413, 415, 429, 503),
        },
      },
    },
    async (request) =>
      linked(await bounded(() => newWork(request).extendHold(request.params.viabilityId, request.body))),
  );

  /** Confirm and cancel are signals: accepted at once, applied by the workflow moments later (202). */
  const signalRoute = (
    name: 'confirm' | 'cancel',
    operationId: string,
    summary: string,
    body: typeof ConfirmBody | typeof CancelBody,
  ) =>
    app.post(
      `/v1/reservations/:viabilityId/${name}`,
      {
        config: limited(name),
        schema: {
          operationId,
          summary,
          description:
            'Answers 202 with the state just after the signal (CONFIRMING/RELEASING, ' +
            'or the status before the reservation exists: the signal is remembered). ' +
            'GET the Location for the final state. A reservation that already ended answers 409. The body is optional.',
          tags,
          security,
          params: ViabilityParams,
          body,
          response: {
            202: json(StateBody, 'Signal accepted: the state just after it'),
            ...errorResponses(400, 401, 404, 409, 413, 415, 429, 503),
          },
        },
        // No body at all (fastify gives null) means `{}`; a JSON null sent on purpose is refused like any non-object.
        preValidation: (request, _reply, done) => {
          if (request.body == null && request.headers['content-type'] === undefined) request.body = {};
          done();
        },
      },
      async (request, reply) => {
        const { viabilityId } = request.params;
        const { reservations } = callerOf(request);
        // A reservation that already ended is the library's ReservationEndedError: 409 already-ended.
        const state = await bounded(async () => {
          await reservations[name](viabilityId, request.body ?? {});
          return reservations.get(viabilityId);
        });
        return reply.code(202).header('location', location(viabilityId)).send(linked(state));
      },
    );
  signalRoute(
    'confirm',
    'confirmSale',
    'Confirm the sale: the OZmap client becomes implanted (INSTALLED)',
    ConfirmBody,
  );
  signalRoute('cancel', 'cancelReservation', 'Cancel: the port is released (CANCELLED)', CancelBody);

  app.get(
    '/v1/reservations',
    {
      schema: {
        operationId: 'listReservations',
        summary: 'List reservations (Temporal visibility), newest first, a page at a time',
        description:
          'Filters combine with AND. `expiresBefore` matches reservations whose hold ends before that instant. ' +
          'Pass `nextPageToken` back as `pageToken` for the next page.',
        tags,
        security,
        querystring: ListQuery,
        response: { 200: json(ListBody, 'A page of reservation summaries'), ...errorResponses(400, 401, 503) },
      },
    },
    async (request) => bounded(() => callerOf(request).reservations.list(request.query)),
  );
};

/** A state as the API answers it: with the links to the installer's sketch while it holds a port. */
function linked<S extends BriefState>(state: S): S & { links?: ReturnType<typeof sketchLinks> } {
  return noSketchReason(state) === undefined ? { ...state, links: sketchLinks(state.viabilityId) } : state;
}
