/**
 * Webhook delivery to Ispbox (docs/architecture.md, "Webhooks"): the body comes built from the workflow; it is
 * serialised and signed here, so that WEBHOOK_SECRET stays in the worker and never enters a history. One POST per
 * attempt, no HTTP-level retry: Temporal retries the activity with backoff for a day and more.
 *
 * Failure messages name the status or the network error, never the URL (its path or query may carry a token).
 */
import { createHmac } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Agent, request, type Dispatcher } from 'undici';
import { FAILURES } from '../contract/failures.ts';
import type { WebhookEvent } from '../contract/schemas.ts';
import { WEBHOOK_HEADERS, WEBHOOK_SIGNATURE_PREFIX, type WebhookSettings } from '../contract/webhooks.ts';

/** No answer within this is a failed attempt (the contract's 10 s). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookTarget {
  url: string;
  secret: string;
  /** Days before the hold's end at which a reminder goes out, largest first. */
  reminderDays: number[];
}

/** What a run records of this target (contract/limits.ts, ReservationSettings): never the URL or the secret. */
export const webhookSettingsOf = (target: WebhookTarget | undefined): WebhookSettings =>
  target ? { enabled: true, reminderDays: target.reminderDays } : { enabled: false };

/** The outcome of one attempt, as the `outcome` label of ozres_webhook_deliveries_total (ops/prometheus/). */
export type DeliveryOutcome = '2xx' | '4xx' | '5xx' | 'error';

/** `sha256=` and the lower-case hex HMAC-SHA256 of exactly these bytes. */
export function signature(rawBody: string, secret: string): string {
  return WEBHOOK_SIGNATURE_PREFIX + createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex');
}

export function createWebhookActivities(target: WebhookTarget | undefined, dispatcher?: Dispatcher) {
  const agent =
    dispatcher ??
    new Agent({
      headersTimeout: WEBHOOK_TIMEOUT_MS,
      bodyTimeout: WEBHOOK_TIMEOUT_MS,
      connectTimeout: WEBHOOK_TIMEOUT_MS,
    });

  return {
    /** One signed POST; any 2xx acknowledges. Returns the status, throws for anything else. */
    async deliverWebhook(event: WebhookEvent): Promise<{ status: number }> {
      if (!target) {
        throw ApplicationFailure.nonRetryable(
          'WEBHOOK_URL is not set on this worker: the event cannot be delivered (set it and reset the delivery)',
          FAILURES.WebhookNotConfigured,
        );
      }
      const body = JSON.stringify(event);
      const { cancellationSignal } = Context.current();
      let status: number;
      try {
        const response = await request(target.url, {
          method: 'POST',
          dispatcher: agent,
          body,
          headers: {
            'content-type': 'application/json',
            [WEBHOOK_HEADERS.eventId]: event.id,
            [WEBHOOK_HEADERS.eventType]: event.type,
            [WEBHOOK_HEADERS.signature]: signature(body, target.secret),
          },
          signal: AbortSignal.any([cancellationSignal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
        });
        status = response.statusCode;
        await response.body.dump(); // the answer's body means nothing; free the connection
      } catch (error) {
        const why = error instanceof Error ? (error as NodeJS.ErrnoException).code || error.name : 'unknown error';
        throw ApplicationFailure.create({
          message: `Ispbox's webhook endpoint did not answer (${why})`,
          type: FAILURES.WebhookUnreachable,
          details: [{ outcome: 'error' satisfies DeliveryOutcome }],
        });
      }
      if (status >= 200 && status < 300) return { status };
      throw ApplicationFailure.create({
        message: `Ispbox's webhook endpoint answered ${status}`,
        type: FAILURES.WebhookRejected,
        details: [{ outcome: (status < 500 ? '4xx' : '5xx') satisfies DeliveryOutcome, status }],
      });
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
