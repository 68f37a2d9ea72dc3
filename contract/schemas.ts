/**
 * The reservation contract (docs/architecture.md, "Contract"): workflow input, state and message payloads.
 * Defined once as zod schemas; every boundary (client library, HTTP API, CLI, activities) parses with these, and
 * every type is inferred from them. The workflow itself takes only types from here: it accepts what its history
 * recorded (recorded-input.ts), so a schema that tightens later cannot break a reservation already sleeping.
 */
import { z } from 'zod';
import { ProspectRef } from './demand.ts';
import { TENANT_ID_PATTERN, VIABILITY_ID_PATTERN } from './ids.ts';
import { DEFAULT_LIMITS, type HoldLimits } from './limits.ts';
import { FINAL_STATUSES, IN_PROGRESS_STATUSES } from './statuses.ts';
import { WEBHOOK_EVENT_TYPES } from './webhooks.ts';

export const ViabilityId = z
  .string()
  .regex(VIABILITY_ID_PATTERN, 'must be 1-64 characters of letters, digits, ".", "_", ":" or "-"');

/**
 * Text from callers (codes, names, addresses, box ids, reasons) holds no control character: C0 (NUL, tab, line
 * breaks, escape), DEL, nor C1 (U+0080-U+009F, never text: bytes of another encoding read as Latin-1). They print as
 * nothing, break log lines and OZmap's and the Web UI's views, and a NUL in a listing's filter failed the whole
 * visibility query. A pattern rather than a refinement, so that the OpenAPI document says it too.
 */
// eslint-disable-next-line no-control-regex -- the control characters are what it refuses
const CONTROL_FREE = /^[^\u0000-\u001f\u007f-\u009f]*$/;
/**
 * What String.prototype.trim removes, but for the control characters refused anyway; spelled out because regex
 * engines (JavaScript's, and those of the tools that read the OpenAPI document) disagree on `\s`.
 */
const SPACE = '[ \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]';
const NOT_BLANK = new RegExp(SPACE.replace('[', '[^'));

/** Text of at most `max` characters as sent, without control characters; refused naming `what` and the fix. */
export const plainText = (what: string, max?: number) => {
  const text = z
    .string()
    .regex(
      CONTROL_FREE,
      `${what} must not contain control characters (NUL, tab, line breaks, U+007F-U+009F): remove them`,
    );
  return max === undefined ? text : text.max(max, `${what} must be at most ${max} characters`);
};

/** Plain text with something besides spaces, stored trimmed. */
const trimmed = (what: string, max: number) =>
  plainText(what, max).regex(NOT_BLANK, `${what} must not be empty`).trim();

/** A fixed form (`[0-9]`, not `\d`, for the same reason as SPACE), spaces around it allowed and trimmed. */
const padded = (form: string, message: string) =>
  z
    .string()
    .regex(new RegExp(`^${SPACE}*${form}${SPACE}*$`), message)
    .trim();

/** The OZmap client's code: also a filter of the listing, checked alike. */
export const CustomerCode = trimmed('customer code', 64);

export const Customer = z.strictObject({
  code: CustomerCode,
  name: trimmed('customer name', 200),
});

export const StructuredAddress = z.strictObject({
  street: trimmed('street', 200),
  number: plainText('number', 20).trim().optional(),
  complement: plainText('complement', 100).trim().optional(),
  neighborhood: plainText('neighborhood', 100).trim().optional(),
  city: trimmed('city', 100),
  state: padded('[A-Za-z]{2}', 'must be a two-letter UF such as "SC"').optional(),
  postalCode: padded('[0-9]{5}-?[0-9]{3}', 'must be a CEP such as "88015-530"').optional(),
});

export const Address = z.union([trimmed('address', 300), StructuredAddress]);

export const Coordinates = z.strictObject({
  lat: z.number().min(-90, 'latitude must be between -90 and 90').max(90, 'latitude must be between -90 and 90'),
  lng: z
    .number()
    .min(-180, 'longitude must be between -180 and 180')
    .max(180, 'longitude must be between -180 and 180'),
});

export const SelectionMode = z.enum(['auto', 'manual']);

/** holdDays as `limits` allow: whole days (unless fractions are on for tests), up to the longest hold. */
const holdDaysFor = (limits: HoldLimits) => {
  const days = z
    .number()
    .positive('must be more than 0')
    .max(limits.maxHoldDays, `must be at most ${limits.maxHoldDays} days (RESERVATION_MAX_HOLD_DAYS)`);
  return limits.fractionalHoldDays ? days : days.int('must be a whole number of days');
};

/**
 * The workflow input as a deployment with these limits accepts it (its OpenAPI document shows the same bounds).
 * ReservationInput is it with the contract's default limits.
 */
export const reservationInputFor = (limits: HoldLimits) =>
  z
    .strictObject({
      viabilityId: ViabilityId,
      customer: Customer,
      address: Address.optional(),
      coordinates: Coordinates.optional(),
      radiusMeters: z
        .number()
        .int('must be a whole number of metres')
        .min(1, 'must be at least 1 metre')
        .max(5000, 'must be at most 5000 metres')
        .optional(),
      selection: SelectionMode.optional(),
      holdDays: holdDaysFor(limits).optional(),
      /** How long manual mode waits for a salesperson's choice; defaults to DEFAULTS.selectionTimeoutHours. */
      selectionTimeoutHours: z
        .number()
        .positive()
        .max(24 * 30)
        .optional(),
    })
    .refine((input) => input.address !== undefined || input.coordinates !== undefined, {
      message: 'give an address or coordinates (or both)',
      path: ['address'],
    })
    // The same rule in the JSON Schema (the OpenAPI document), which a refinement does not reach.
    .meta({ anyOf: [{ required: ['address'] }, { required: ['coordinates'] }] });

export const ReservationInput = reservationInputFor(DEFAULT_LIMITS);

export type ReservationInput = z.infer<typeof ReservationInput>;
export type Coordinates = z.infer<typeof Coordinates>;
export type Customer = z.infer<typeof Customer>;
export type StructuredAddress = z.infer<typeof StructuredAddress>;
export type Address = z.infer<typeof Address>;

export const ReservationStatus = z.enum([...IN_PROGRESS_STATUSES, ...FINAL_STATUSES]);
export type ReservationStatus = z.infer<typeof ReservationStatus>;

export const CandidateSplitter = z.object({
  splitterId: z.string(),
  splitterName: z.string(),
  freePorts: z.array(z.number().int().positive()),
});

/** The most poles a drop may hang on: a drop is at most a few hundred metres, poles some 30-40 m apart. */
export const MAX_DROP_POLES = 100;

/**
 * A drop along the poles (pole mode, docs/poles.md): its whole length (customer to the first pole, pole to pole, last
 * pole to the box) and the poles it hangs on, the customer's end first.
 */
export const Drop = z.object({
  lengthMeters: z.number().nonnegative(),
  poles: z.array(z.string()).min(1).max(MAX_DROP_POLES),
});
export type Drop = z.infer<typeof Drop>;

/** A reserved drop also keeps where it runs (customer, each pole, box), for the map page and the installer's sketch. */
export const DropRoute = Drop.extend({ route: z.array(Coordinates).max(MAX_DROP_POLES + 2) });
export type DropRoute = z.infer<typeof DropRoute>;

/** How a box becomes a candidate: within the radius, or (pole mode) also reachable by a drop along the poles. */
export const ViabilityMode = z.enum(['radius', 'poles']);
export type ViabilityMode = z.infer<typeof ViabilityMode>;

export const Candidate = z.object({
  boxId: z.string(),
  boxName: z.string(),
  distanceMeters: z.number(),
  freePorts: z.number().int().nonnegative(),
  coordinates: Coordinates.optional(),
  /** OZmap's project of the box: a property created in it must name it. */
  projectId: z.string().optional(),
  splitters: z.array(CandidateSplitter),
  /** Pole mode: the drop that would reach the box, and where it runs (candidates are then ordered by its length). */
  drop: DropRoute.optional(),
});
export type Candidate = z.infer<typeof Candidate>;

/** A box in the radius that cannot take the customer now: shown greyed on the map, never reserved. */
export const UnavailableBox = z.object({
  boxId: z.string(),
  boxName: z.string(),
  distanceMeters: z.number(),
  coordinates: Coordinates.optional(),
  /** Pole mode only: `no-pole-path` (no drop reaches the box), `drop-too-long` (none within the project's maximum). */
  reason: z.enum(['no-free-port', 'in-design', 'no-pole-path', 'drop-too-long']),
});
export type UnavailableBox = z.infer<typeof UnavailableBox>;
export type CandidateSplitter = z.infer<typeof CandidateSplitter>;

export const Reservation = z.object({
  boxId: z.string(),
  boxName: z.string(),
  splitterId: z.string(),
  splitterName: z.string(),
  port: z.number().int().positive(),
  clientId: z.string(),
  propertyId: z.string(),
  reservedAt: z.string(),
  expiresAt: z.string(),
  /** Pole mode: the drop OZmap drew (the property's `drop_poles`), recomputed by a move. */
  drop: DropRoute.optional(),
});
export type Reservation = z.infer<typeof Reservation>;

/** Where a reservation's port was, or is after a move. */
export const PortPlace = z.object({
  boxId: z.string(),
  boxName: z.string(),
  splitterId: z.string(),
  splitterName: z.string(),
  port: z.number().int().positive(),
});
export type PortPlace = z.infer<typeof PortPlace>;

/** One entry of the state's `changes`: a move (box) or an extension, with what it was and what it became. */
export const ReservationChange = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('box'),
    at: z.string(),
    reason: z.string().optional(),
    from: PortPlace,
    to: PortPlace,
  }),
  z.object({
    kind: z.literal('extension'),
    at: z.string(),
    reason: z.string().optional(),
    from: z.object({ expiresAt: z.string() }),
    to: z.object({ expiresAt: z.string() }),
  }),
]);
export type ReservationChange = z.infer<typeof ReservationChange>;

export const ReservationState = z.object({
  viabilityId: z.string(),
  status: ReservationStatus,
  selection: SelectionMode,
  coordinates: Coordinates.extend({
    source: z.enum(['input', 'geocoder']),
    displayName: z.string().optional(),
  }).optional(),
  radiusMeters: z.number(),
  /** Pole mode only (absent: radius). */
  viabilityMode: ViabilityMode.optional(),
  holdDays: z.number(),
  /** The boxes with a free port, nearest first (BriefState, below, leaves them out). */
  candidates: z.array(Candidate),
  /** Boxes in the radius without a free port or still "Em projeto". */
  unavailableBoxes: z.array(UnavailableBox).optional(),
  reservation: Reservation.optional(),
  /** Why the last attempt did not go through (a port taken, a failing release), while the workflow carries on. */
  notice: z.string().optional(),
  /** The most recent moves and extensions, oldest first (at most CHANGES_KEPT; history keeps them all). */
  changes: z.array(ReservationChange).optional(),
  /** Moves made so far (changeBox), of the RESERVATION_MAX_MOVES allowed; absent before the first. */
  moves: z.number().int().nonnegative().optional(),
  outcome: z.object({ reason: z.string(), at: z.string() }).optional(),
  /** NO_COVERAGE with the tenant's prospects on: the OZmap prospect it made (docs/demand.md, "Prospects"). */
  prospect: ProspectRef.optional(),
});
export type ReservationState = z.infer<typeof ReservationState>;

/**
 * The state without its candidate lists: what changeBox and extendHold answer and what the webhook events after the
 * search carry (a move makes the lists stale; getState still has them). Every such answer is recorded in history,
 * so it stays small whatever the search found.
 */
export const BriefState = ReservationState.partial({ candidates: true });
export type BriefState = z.infer<typeof BriefState>;

export const SelectBoxInput = z.strictObject({
  boxId: plainText('boxId').min(1, 'boxId must not be empty'),
  splitterId: plainText('splitterId').min(1, 'splitterId must not be empty').optional(),
  port: z.number().int().positive('port must be a positive whole number').optional(),
});
export type SelectBoxInput = z.infer<typeof SelectBoxInput>;

export const ConfirmSaleInput = z.strictObject({ note: plainText('note', 500).optional() });
export type ConfirmSaleInput = z.infer<typeof ConfirmSaleInput>;

export const CancelReservationInput = z.strictObject({ reason: plainText('reason', 500).optional() });
export type CancelReservationInput = z.infer<typeof CancelReservationInput>;

/** Moves the reservation to another box's free port within its radius (or another port of the same box). */
export const ChangeBoxInput = z.strictObject({
  boxId: plainText('boxId').min(1, 'boxId must not be empty'),
  splitterId: plainText('splitterId').min(1, 'splitterId must not be empty').optional(),
  port: z.number().int().positive('port must be a positive whole number').optional(),
  reason: plainText('reason', 500).optional(),
});
export type ChangeBoxInput = z.infer<typeof ChangeBoxInput>;

/** Pushes the hold's end later, up to RESERVATION_MAX_HOLD_DAYS after reservedAt. */
export const ExtendHoldInput = z.strictObject({
  days: z
    .number()
    .int('days must be a whole number')
    .min(1, 'days must be at least 1')
    .max(90, 'days must be at most 90'),
  reason: plainText('reason', 500).optional(),
});
export type ExtendHoldInput = z.infer<typeof ExtendHoldInput>;

/** The body of every webhook POST (contract/webhooks.ts names the types and headers). */
export const WebhookEvent = z.object({
  id: z.string(),
  type: z.enum(WEBHOOK_EVENT_TYPES).exclude(['prospect.viable']),
  occurredAt: z.string(),
  viabilityId: z.string(),
  status: ReservationStatus,
  /** The whole state for reservation.awaiting_selection and reservation.no_coverage; BriefState for the others. */
  state: BriefState,
  /** Reminders only: whole days left before the hold ends. */
  daysLeft: z.number().int().nonnegative().optional(),
  /** Once a port is held (reserved, box_changed): the installer's sketch, relative to the HTTP API's base URL. */
  links: z.object({ sketchSvg: z.string(), sketchPdf: z.string() }).optional(),
});
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/**
 * `prospect.viable` (docs/demand.md, "The waitlist"): a viability that ended NO_COVERAGE has coverage now. The same
 * envelope as a reservation's events (`status` is still the reservation's, NO_COVERAGE), with what a salesperson needs
 * to call back instead of `state`: the customer, the prospect, and the boxes that can take the customer now.
 */
export const ProspectViableEvent = z.object({
  id: z.string(),
  type: z.literal('prospect.viable'),
  occurredAt: z.string(),
  viabilityId: z.string(),
  status: z.literal('NO_COVERAGE'),
  customer: z.object({ code: z.string(), name: z.string() }),
  prospect: ProspectRef,
  coordinates: z.object({ lat: z.number(), lng: z.number() }),
  radiusMeters: z.number(),
  candidates: z.array(Candidate),
});
export type ProspectViableEvent = z.infer<typeof ProspectViableEvent>;

/** Whatever the webhook delivery sends: a reservation's event, or the waitlist's. */
export const WebhookBody = z.union([WebhookEvent, ProspectViableEvent]);
export type WebhookBody = z.infer<typeof WebhookBody>;

/** A concrete port to reserve: what the workflow decides and the reservePort activity takes. */
export const PortChoice = z.object({
  boxId: z.string(),
  boxName: z.string(),
  projectId: z.string().optional(),
  splitterId: z.string(),
  splitterName: z.string(),
  port: z.number().int().positive(),
  /** Pole mode: the poles the drop hangs on, the customer's end first (sent as the property's `drop_poles`). */
  dropPoles: z.array(z.string()).max(MAX_DROP_POLES).optional(),
});
export type PortChoice = z.infer<typeof PortChoice>;

/**
 * A reconciliation as a caller asks for one (`ozres reconcile`, client/reconcile.ts; docs/architecture.md,
 * "Reconciler"): the workflow's input (contract/reconcile.ts) is this, plus what only continue-as-new sets.
 */
export const ReconcileRequest = z.strictObject({
  /** Report what would be done, change nothing. */
  dryRun: z.boolean().optional(),
  /** OZmap properties and Temporal workflows read per activity. */
  pageSize: z.number().int().min(1, 'must be from 1 to 1000').max(1000, 'must be from 1 to 1000').optional(),
  /** The tenant whose OZmap and reservations are reconciled (docs/tenants.md); absent: `default`. */
  tenantId: z
    .string()
    .regex(
      TENANT_ID_PATTERN,
      'must be a tenant id: 1-32 of a-z, 0-9 and "-", starting and ending with a letter or digit',
    )
    .optional(),
});
export type ReconcileRequest = z.infer<typeof ReconcileRequest>;
