/**
 * The webhook events Ispbox receives (docs/architecture.md, "Webhooks"): names and headers, defined once.
 * No zod: the workflow decides which event a step emits.
 */

export const WEBHOOK_EVENT_TYPES = [
  'reservation.awaiting_selection',
  'reservation.reserved',
  'reservation.box_changed',
  'reservation.extended',
  'reservation.expiring',
  'reservation.installed',
  'reservation.expired',
  'reservation.cancelled',
  'reservation.no_coverage',
  'reservation.address_not_found',
  'reservation.no_selection',
  'reservation.failed',
  // The waitlist found coverage for a prospect a NO_COVERAGE made (docs/demand.md, "The waitlist").
  'prospect.viable',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** The events a reservation emits itself (its state in the body). */
export type ReservationEventType = Exclude<WebhookEventType, 'prospect.viable'>;

/**
 * Standard Webhooks' three headers (docs/webhooks.md), lower-case as its libraries read them, and our two: X-Event-Id
 * repeats webhook-id for receivers built before it.
 */
export const WEBHOOK_HEADERS = {
  /** The event id, the same on every retry: a receiver deduplicates by it. */
  id: 'webhook-id',
  /** Unix seconds of this attempt: a receiver refuses one further than WEBHOOK_TOLERANCE_SECONDS from its clock. */
  timestamp: 'webhook-timestamp',
  /** `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">` per secret, space-separated. */
  signature: 'webhook-signature',
  eventId: 'X-Event-Id',
  eventType: 'X-Event-Type',
} as const;

/** The version tag before each signature in `webhook-signature`. */
export const WEBHOOK_SIGNATURE_VERSION = 'v1,';

/** A secret in Standard Webhooks' own format: this prefix, then the key's bytes in base64 (webhook-secret.ts). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** How far from a receiver's clock a timestamp may be (Standard Webhooks' 5 minutes): a replay past it fails. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Days before the hold's end at which a `reservation.expiring` reminder is sent, unless configured otherwise. */
export const DEFAULT_REMINDER_DAYS = [3, 1] as const;

/** What a run records of the worker's webhook configuration: whether to emit at all, and when to remind. */
export type WebhookSettings = { enabled: false } | { enabled: true; reminderDays: number[] };
