/**
 * What a webhook secret means as an HMAC key (Standard Webhooks; docs/webhooks.md): a `whsec_<base64>` secret is
 * the bytes its base64 decodes to, any other its UTF-8 bytes. Apart from webhooks.ts, which workflows bundle.
 */
import { WEBHOOK_SECRET_PREFIX } from './webhooks.ts';

/** Fewer key bytes than this make an HMAC key anyone could guess (the plain secrets' 16 characters). */
const MIN_KEY_BYTES = 16;

/**
 * Why this secret cannot sign, or undefined. A `whsec_` secret must be canonical base64 (standard alphabet, padded):
 * receivers decode it strictly, and a lenient decoder here would sign with other bytes than theirs.
 */
export function webhookSecretProblem(secret: string): string | undefined {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return undefined;
  const encoded = secret.slice(WEBHOOK_SECRET_PREFIX.length);
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded)
    return `a ${WEBHOOK_SECRET_PREFIX} secret must be followed by padded standard base64 (A-Z a-z 0-9 + /, =)`;
  if (bytes.length < MIN_KEY_BYTES)
    return (
      `a ${WEBHOOK_SECRET_PREFIX} secret must encode at least ${MIN_KEY_BYTES} bytes (e.g. ` +
      `${WEBHOOK_SECRET_PREFIX}$(openssl rand -base64 32))`
    );
  return undefined;
}

/** The HMAC key this secret stands for; throws for one webhookSecretProblem refuses. */
export function webhookSecretKey(secret: string): Buffer {
  const problem = webhookSecretProblem(secret);
  if (problem) throw new Error(`webhook secret: ${problem}`);
  return secret.startsWith(WEBHOOK_SECRET_PREFIX)
    ? Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64')
    : Buffer.from(secret, 'utf8');
}
