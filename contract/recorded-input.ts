/**
 * The workflow's input as its history recorded it (docs/architecture.md, "Replay-safe input").
 *
 * The boundary (client library, HTTP API, CLI) validates with the full zod schema in schemas.ts. A running workflow
 * must accept what it was started with, also after that schema tightens, or a reservation already sleeping would
 * fail on its next replay. So the workflow reads its input with the readers here: frozen shapes, plain TypeScript,
 * checking only what the workflow cannot do without, and filling the defaults.
 *
 * Version 1 is every input recorded so far. It is frozen: an input of another shape gets a RecordedInputV2 and a
 * readRecordedInputV2 beside these (told apart by a field v1 never had), and these stay as they are.
 */
import { DEFAULTS } from './defaults.ts';
import { TENANT_ID_PATTERN } from './ids.ts';
import type { ReservationSettings } from './limits.ts';
import type { ReservationState } from './schemas.ts';

export interface RecordedAddressV1 {
  street: string;
  number?: string;
  complement?: string;
  neighborhood?: string;
  city: string;
  state?: string;
  postalCode?: string;
}

export interface RecordedInputV1 {
  viabilityId: string;
  /** The tenant it runs for (docs/tenants.md); absent for `default`, whose input is as it always was. */
  tenantId?: string;
  customer: { code: string; name: string };
  address?: string | RecordedAddressV1;
  coordinates?: { lat: number; lng: number };
  radiusMeters?: number;
  selection?: 'auto' | 'manual';
  holdDays?: number;
  selectionTimeoutHours?: number;
}

/** A v1 input with the defaults filled in: what the workflow works with. */
export type RunInputV1 = RecordedInputV1 &
  Required<Pick<RecordedInputV1, 'radiusMeters' | 'selection' | 'holdDays' | 'selectionTimeoutHours'>>;

/** What a reader found: the input to run with, or every problem that stops the workflow (`path: message`). */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** The first confirm or cancel of a reservation: the one that is applied (later ones are ignored). */
export type SettleAction = { kind: 'confirm'; note?: string } | { kind: 'cancel'; reason: string };

/**
 * The second argument of a run continued as new, during a long hold or a settle that keeps failing (the first stays
 * the recorded input, so callers that compare a run's input with their request keep seeing the terms they sent).
 */
export interface ContinuedV1 {
  /** The state the last run ended with: RESERVED, CONFIRMING or RELEASING, with its reservation and notice. */
  state: ReservationState;
  action?: SettleAction;
  /** The settings the first run read: a reservation keeps them for life (absent: read again). */
  settings?: ReservationSettings;
  /** Reminders already sent, as days before the end: not sent again. */
  remindersSent?: number[];
  /** changeBox calls that reached OZmap so far (MOVE_ATTEMPTS_PER_MOVE). */
  moveAttempts?: number;
}

/** The statuses a run continues as new in, each resumed where it was. */
export const CONTINUED_STATUSES = ['RESERVED', 'CONFIRMING', 'RELEASING'] as const;

export function readRecordedInputV1(raw: unknown): ReadResult<RunInputV1> {
  if (!isObject(raw)) return { ok: false, problems: ['(input): must be an object'] };
  const problems: string[] = [];
  const { viabilityId, customer, address, coordinates } = raw;
  if (!isText(viabilityId)) problems.push('viabilityId: must be a non-empty string');
  if (raw.tenantId !== undefined && !(typeof raw.tenantId === 'string' && TENANT_ID_PATTERN.test(raw.tenantId)))
    problems.push('tenantId: must be a tenant id (1-32 of a-z, 0-9 and "-")');
  if (!isObject(customer) || !isText(customer.code) || !isText(customer.name))
    problems.push('customer: must have a code and a name');
  const addressOk = address === undefined || isText(address) || isStructuredAddress(address);
  if (!addressOk) problems.push('address: must be a string or an object with street and city');
  const coordinatesOk = coordinates === undefined || isPoint(coordinates);
  if (!coordinatesOk) problems.push('coordinates: must have numbers lat and lng');
  if (address === undefined && coordinates === undefined)
    problems.push('address: give an address or coordinates (or both)');
  const selection = raw.selection ?? DEFAULTS_V1.selection;
  if (selection !== 'auto' && selection !== 'manual') problems.push('selection: must be "auto" or "manual"');
  for (const key of ['radiusMeters', 'holdDays', 'selectionTimeoutHours'] as const)
    if (raw[key] !== undefined && !isPositive(raw[key])) problems.push(`${key}: must be a number more than 0`);
  if (problems.length > 0) return { ok: false, problems };

  const recorded = raw as unknown as RecordedInputV1;
  return {
    ok: true,
    value: {
      viabilityId: recorded.viabilityId,
      ...(recorded.tenantId === undefined ? {} : { tenantId: recorded.tenantId }),
      // The boundary trims these; trimming again keeps a start that bypassed it as the schema would have read it.
      customer: { code: recorded.customer.code.trim(), name: recorded.customer.name.trim() },
      ...(recorded.address === undefined ? {} : { address: trimAddress(recorded.address) }),
      ...(recorded.coordinates === undefined
        ? {}
        : { coordinates: { lat: recorded.coordinates.lat, lng: recorded.coordinates.lng } }),
      radiusMeters: recorded.radiusMeters ?? DEFAULTS_V1.radiusMeters,
      selection: recorded.selection ?? DEFAULTS_V1.selection,
      holdDays: recorded.holdDays ?? DEFAULTS_V1.holdDays,
      selectionTimeoutHours: recorded.selectionTimeoutHours ?? DEFAULTS_V1.selectionTimeoutHours,
    },
  };
}

/** A continued run's second argument: only what resuming the settle needs is checked. */
export function readContinuedV1(raw: unknown): ReadResult<ContinuedV1> {
  const problems: string[] = [];
  const state = isObject(raw) ? raw.state : undefined;
  const action = isObject(raw) ? raw.action : undefined;
  if (!isObject(state) || !(CONTINUED_STATUSES as readonly unknown[]).includes(state.status))
    problems.push(`continued.state.status: must be ${CONTINUED_STATUSES.join(', ')}`);
  const reservation = isObject(state) ? state.reservation : undefined;
  if (!isObject(reservation) || !isText(reservation.propertyId) || !isText(reservation.clientId))
    problems.push('continued.state.reservation: must name the propertyId and clientId to settle');
  const actionOk =
    action === undefined ||
    (isObject(action) &&
      ((action.kind === 'confirm' && (action.note === undefined || typeof action.note === 'string')) ||
        (action.kind === 'cancel' && typeof action.reason === 'string')));
  if (!actionOk) problems.push('continued.action: must be a confirm or a cancel');
  const settings = isObject(raw) ? raw.settings : undefined;
  if (
    settings !== undefined &&
    !(isObject(settings) && isPositive(settings.maxHoldDays) && isObject(settings.webhooks))
  )
    problems.push('continued.settings: must be the settings the first run read');
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: raw as ContinuedV1 };
}

/** The client library records every term (prepare() fills them from configuration); these fill a direct start. */
const DEFAULTS_V1 = { ...DEFAULTS, selection: 'auto' } as const;

const ADDRESS_FIELDS = ['street', 'number', 'complement', 'neighborhood', 'city', 'state', 'postalCode'] as const;

function isStructuredAddress(value: unknown): value is RecordedAddressV1 {
  return (
    isObject(value) &&
    typeof value.street === 'string' &&
    typeof value.city === 'string' &&
    ADDRESS_FIELDS.every((field) => value[field] === undefined || typeof value[field] === 'string')
  );
}

function trimAddress(address: string | RecordedAddressV1): string | RecordedAddressV1 {
  if (typeof address === 'string') return address.trim();
  const trimmed: Record<string, string> = {};
  for (const field of ADDRESS_FIELDS) {
    const value = address[field];
    if (value !== undefined) trimmed[field] = value.trim();
  }
  return trimmed as unknown as RecordedAddressV1;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const isPositive = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0;
const isPoint = (value: unknown): value is { lat: number; lng: number } =>
  isObject(value) && Number.isFinite(value.lat) && Number.isFinite(value.lng);
