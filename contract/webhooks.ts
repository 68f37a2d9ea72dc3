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
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_HEADERS = {
  eventId: 'X-Event-Id',
  eventType: 'X-Event-Type',
  signature: 'X-Signature',
} as const;

/** `X-Signature`'s value: `sha256=` and the lower-case hex HMAC-SHA256 of the raw body with WEBHOOK_SECRET. */
export const WEBHOOK_SIGNATURE_PREFIX = 'sha256=';

/** Days before the hold's end at which a `reservation.expiring` reminder is sent, unless configured otherwise. */
export const DEFAULT_REMINDER_DAYS = [3, 1] as const;

/** What a run records of the worker's webhook configuration: whether to emit at all, and when to remind. */
export type WebhookSettings = { enabled: false } | { enabled: true; reminderDays: number[] };
