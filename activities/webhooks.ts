/**
 * Webhook delivery to Ispbox (docs/architecture.md, "Webhooks"): the body comes built from the workflow; it is
 * serialised and signed here (webhook-signature.ts), so the secrets stay in the worker and out of history. One POST
 * per attempt, no HTTP-level retry: Temporal retries the activity with backoff for a day and more.
 *
 * Failure messages name the status or the network error, never the URL (its path or query may carry a token).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Agent, request, type Dispatcher } from 'undici';
import { FAILURES } from '../contract/failures.ts';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import type { WebhookBody } from '../contract/schemas.ts';
import type { WebhookSettings } from '../contract/webhooks.ts';
import { webhookHeaders } from './webhook-signature.ts';

/** No answer within this is a failed attempt (the contract's 10 s). */
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookTarget {
  url: string;
  secret: string;
  /** The secret `secret` replaced (WEBHOOK_PREVIOUS_SECRET): it signs too while set, a rotation's overlap. */
  previousSecret?: string;
  /** Days before the hold's end at which a reminder goes out, largest first. */
  reminderDays: number[];
}

/** What a run records of this target (contract/limits.ts, ReservationSettings): never the URL or the secret. */
export const webhookSettingsOf = (target: WebhookTarget | undefined): WebhookSettings =>
  target ? { enabled: true, reminderDays: target.reminderDays } : { enabled: false };

/** The outcome of one attempt, as the `outcome` label of ozres_webhook_deliveries_total (ops/prometheus/). */
export type DeliveryOutcome = '2xx' | '4xx' | '5xx' | 'error';

/** The secrets a target signs with, current first. */
export const signingSecrets = (target: Pick<WebhookTarget, 'secret' | 'previousSecret'>): string[] =>
  target.previousSecret && target.previousSecret !== target.secret
    ? [target.secret, target.previousSecret]
    : [target.secret];

/**
 * One POST of `event` to `url`, signed with each of `secrets` (current first) and stamped now; any 2xx acknowledges.
 * Returns the status, throws an ApplicationFailure for anything else.
 */
export async function postWebhook(
  url: string,
  event: WebhookBody,
  secrets: readonly string[],
  options: { dispatcher: Dispatcher; signal: AbortSignal },
): Promise<{ status: number }> {
  const body = JSON.stringify(event);
  // Outside the try: a secret that cannot sign is not an unreachable endpoint (config refuses it before this).
  const headers = webhookHeaders(event, body, secrets, Date.now());
  let status: number;
  try {
    const response = await request(url, {
      method: 'POST',
      dispatcher: options.dispatcher,
      body,
      headers,
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(WEBHOOK_TIMEOUT_MS)]),
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
}

/** A tenant's webhook URL and the secrets that sign now (the previous one only while its overlap lasts). */
export type TenantWebhookLookup = (tenantId: string) => Promise<{ url: string; secrets: string[] } | undefined>;

export function createWebhookActivities(
  target: WebhookTarget | undefined,
  dispatcher?: Dispatcher,
  tenantWebhook?: TenantWebhookLookup,
) {
  const agent =
    dispatcher ??
    new Agent({
      headersTimeout: WEBHOOK_TIMEOUT_MS,
      bodyTimeout: WEBHOOK_TIMEOUT_MS,
      connectTimeout: WEBHOOK_TIMEOUT_MS,
    });

  return {
    /** One signed POST; any 2xx acknowledges. Returns the status, throws for anything else. */
    async deliverWebhook(event: WebhookBody, scope: { tenantId?: string } = {}): Promise<{ status: number }> {
      const signal = Context.current().cancellationSignal;
      if (scope.tenantId !== undefined && scope.tenantId !== DEFAULT_TENANT_ID) {
        // Looked up at each attempt: a URL or secret changed meanwhile is used from the next retry on.
        const webhook = await tenantWebhook?.(scope.tenantId);
        if (!webhook)
          throw ApplicationFailure.nonRetryable(
            `Tenant ${scope.tenantId} has no webhook on this worker's registry: the event cannot be delivered`,
            FAILURES.WebhookNotConfigured,
          );
        return postWebhook(webhook.url, event, webhook.secrets, { dispatcher: agent, signal });
      }
      if (!target) {
        throw ApplicationFailure.nonRetryable(
          'WEBHOOK_URL is not set on this worker: the event cannot be delivered (set it and reset the delivery)',
          FAILURES.WebhookNotConfigured,
        );
      }
      return postWebhook(target.url, event, signingSecrets(target), { dispatcher: agent, signal });
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
