/**
 * The HTTP API's request and response schemas: the contract's zod schemas (defined once, in contract/schemas.ts
 * and client/listing.ts), given OpenAPI names and descriptions. Route validation and the OpenAPI document both
 * come from these.
 */
import { z } from 'zod';
import {
  BriefState,
  CancelReservationInput,
  ChangeBoxInput,
  ConfirmSaleInput,
  ExtendHoldInput,
  ReservationInput,
  ReservationState,
  SelectBoxInput,
  ViabilityId,
} from '../contract/schemas.ts';
import { ListReservationsQuery, PageToken, ReservationSummary } from '../client/listing.ts';

export const FieldProblemBody = z.object({
  field: z.string().meta({
    description:
      'Dotted path of the offending field ("customer.code"), a header, query or path parameter name, or "(body)"',
  }),
  message: z.string(),
});

export const ErrorBody = z
  .object({
    error: z
      .string()
      .meta({ description: 'Stable machine-readable code, e.g. "invalid-input", "conflict", "temporal-unavailable"' }),
    message: z.string(),
    details: z.array(FieldProblemBody),
  })
  .meta({ id: 'Error', description: 'Every error answer has this shape.' });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The workflow input as this deployment accepts it (its hold limits: ReservationsClient.inputSchema). */
export const reservationBody = (schema: typeof ReservationInput) =>
  schema.meta({
    id: 'ReservationInput',
    description:
      'The workflow input. At least one of address and coordinates. holdDays: whole days, at most ' +
      'RESERVATION_MAX_HOLD_DAYS (its maximum here).',
    examples: [
      {
        viabilityId: 'V-1042',
        customer: { code: 'C-77', name: 'Maria Souza' },
        address: 'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC',
      },
      {
        viabilityId: 'V-1043',
        customer: { code: 'C-78', name: 'João' },
        coordinates: { lat: -27.5935, lng: -48.5515 },
        selection: 'manual',
        radiusMeters: 400,
      },
    ],
  });
/** Where a reservation's resources are, relative to the API's base URL: its sketch while it holds a port. */
const StateLinks = z.object({ sketchSvg: z.string(), sketchPdf: z.string() }).meta({
  description:
    "The installer's sketch (docs/poles.md), while the reservation holds a port: relative to the API's base URL.",
});
export const StateBody = ReservationState.extend({ links: StateLinks.optional() }).meta({
  id: 'ReservationState',
  description: "The reservation's state (the workflow's getState query, or its result once final).",
});
export const BriefStateBody = BriefState.extend({ links: StateLinks.optional() }).meta({
  id: 'BriefState',
  description:
    "The reservation's state without its candidate lists (candidates, unavailableBoxes), which a move makes " +
    'stale: GET the reservation for them.',
});
export const SelectionBody = SelectBoxInput.meta({ id: 'SelectBoxInput' });
export const ChangeBoxBody = ChangeBoxInput.meta({
  id: 'ChangeBoxInput',
  description:
    'Where to move a RESERVED reservation: a box within its radius (another port of the same box too); ' +
    'without splitterId/port, its first free port.',
  examples: [
    { boxId: '64f0c0ffee0000000000abcd', reason: 'caixa mais perto da casa' },
    { boxId: '64f0c0ffee0000000000abcd', splitterId: '64f0c0ffee0000000000beef', port: 5 },
  ],
});
export const ExtensionBody = ExtendHoldInput.meta({
  id: 'ExtendHoldInput',
  description: 'Whole days to add to the hold (1-90), up to RESERVATION_MAX_HOLD_DAYS after reservedAt in all.',
  examples: [{ days: 15, reason: 'cliente pediu mais prazo' }, { days: 7 }],
});
/** Confirm and cancel take an optional body: no body is the same as `{}`. */
export const ConfirmBody = ConfirmSaleInput.optional();
export const CancelBody = CancelReservationInput.optional();

export const ViabilityParams = z.strictObject({ viabilityId: ViabilityId });
export const ListQuery = ListReservationsQuery;
export const ListBody = z
  .object({
    reservations: z.array(ReservationSummary),
    nextPageToken: PageToken.optional().meta({
      description:
        'Present when there are more: pass it back as pageToken, as given (opaque; base64url, bound to these filters).',
    }),
  })
  .meta({ id: 'ReservationPage' });

export const HealthBody = z
  .object({
    status: z.enum(['ok', 'no-worker', 'temporal-unreachable']),
    temporal: z.object({ reachable: z.boolean(), namespace: z.string(), taskQueue: z.string() }),
    workers: z
      .number()
      .int()
      .nonnegative()
      .meta({ description: 'Workers that polled the task queue in the last two minutes' }),
    message: z.string().optional(),
  })
  .meta({ id: 'Health' });
export type HealthBody = z.infer<typeof HealthBody>;

/** A response as the document shows it: a description, and the JSON schema the body is serialized and checked with. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** Error answers a route may give, each described once. */
export const errorResponses = (...statuses: Array<keyof typeof ERROR_DESCRIPTIONS>) =>
  Object.fromEntries(statuses.map((status) => [status, json(ErrorBody, ERROR_DESCRIPTIONS[status])]));

const ERROR_DESCRIPTIONS = {
  400: 'Invalid input: details name each field and what would fix it. Nothing was started or sent.',
  401: 'Missing or wrong `Authorization: Bearer <ISPBOX_API_KEY>`.',
  404: 'No reservation for this viability.',
  409:
    'Conflicts with the reservation as it stands: other terms for the same viability, a refused selection, ' +
    'move or extension (the message says why), or a reservation that already ended.',
  413: 'Body too large.',
  415: 'Body is not application/json.',
  429:
    'Too many of these calls for this viability in the last minute (api/rate-limits.ts): ' +
    'Retry-After says when to try again.',
  502: "The reservation's workflow failed (a fault on this service's side, not in the request).",
  503: 'Temporal is unreachable or did not answer in time (Retry-After says when to try again).',
} as const;
