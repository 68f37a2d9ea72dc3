/**
 * How a webhook is signed (Standard Webhooks; docs/webhooks.md, "Verifying a delivery"): the one place that builds
 * the headers, so the delivery activity and anything else that sends an event sign alike.
 */
import { createHmac } from 'node:crypto';
import { webhookSecretKey } from '../contract/webhook-secret.ts';
import type { WebhookBody } from '../contract/schemas.ts';
import { WEBHOOK_HEADERS, WEBHOOK_SIGNATURE_VERSION } from '../contract/webhooks.ts';

/** `webhook-signature`: `v1,<base64 HMAC-SHA256>` of `<id>.<timestamp>.<body>` per secret, in the order given. */
export function webhookSignature(id: string, timestamp: number, body: string, secrets: readonly string[]): string {
  const signed = `${id}.${timestamp}.${body}`;
  return secrets
    .map((s) => WEBHOOK_SIGNATURE_VERSION + createHmac('sha256', webhookSecretKey(s)).update(signed).digest('base64'))
    .join(' ');
}

/**
 * The headers of one attempt at `nowMs`: stamped anew on every retry (a receiver refuses old timestamps), with the
 * same id. `secrets`: the current one first, then one still in its rotation's overlap.
 */
export function webhookHeaders(
  event: Pick<WebhookBody, 'id' | 'type'>,
  body: string,
  secrets: readonly string[],
  nowMs: number,
): Record<string, string> {
  if (secrets.length === 0) throw new Error('a webhook needs at least one secret to sign with');
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'content-type': 'application/json',
    [WEBHOOK_HEADERS.id]: event.id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: webhookSignature(event.id, timestamp, body, secrets),
    [WEBHOOK_HEADERS.eventId]: event.id,
    [WEBHOOK_HEADERS.eventType]: event.type,
  };
}
