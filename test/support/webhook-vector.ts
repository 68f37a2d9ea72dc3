/**
 * One webhook event signed as Standard Webhooks at a fixed time, with a plain and a `whsec_` secret: the vector the
 * signing tests and the documented receivers (docs/webhooks.md) are checked against.
 */
import type { WebhookEvent } from '../../contract/schemas.ts';

/** A plain secret: its UTF-8 bytes are the key. */
export const SECRET = 'test-webhook-secret-0123456789';
/** A `whsec_` secret (Standard Webhooks' own example): the key is the 24 bytes its base64 decodes to. */
export const PREVIOUS = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export const EVENT = {
  id: '070455dc-234b-4105-988a-46999f335a09',
  type: 'reservation.address_not_found',
  occurredAt: '2026-12-01T14:26:29.724Z',
  viabilityId: 'REC-4-42ded5',
  status: 'ADDRESS_NOT_FOUND',
  state: {
    viabilityId: 'REC-4-42ded5',
    status: 'ADDRESS_NOT_FOUND',
    selection: 'auto',
    radiusMeters: 250,
    holdDays: 30,
    outcome: { reason: 'Endereço não encontrado', at: '2026-12-01T14:26:29.724Z' },
  },
} satisfies WebhookEvent;

/**
 * The known answer, computed apart from our code (bash, OpenSSL 3; python3's hmac gives the same):
 *   { printf '%s.%s.' "$ID" 1796135190; printf '%s' "$BODY"; } > msg.bin
 *   openssl dgst -sha256 -hmac 'test-webhook-secret-0123456789' -binary msg.bin | base64
 *   openssl dgst -sha256 -mac HMAC -binary msg.bin \
 *     -macopt hexkey:$(printf %s MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p -c 256) | base64
 */
export const KNOWN_ANSWER = {
  id: EVENT.id,
  timestamp: 1796135190, // 2026-12-01T14:26:30Z
  body:
    '{"id":"070455dc-234b-4105-988a-46999f335a09","type":"reservation.address_not_found",' +
    '"occurredAt":"2026-12-01T14:26:29.724Z","viabilityId":"REC-4-42ded5","status":"ADDRESS_NOT_FOUND",' +
    '"state":{"viabilityId":"REC-4-42ded5","status":"ADDRESS_NOT_FOUND","selection":"auto","radiusMeters":250,' +
    '"holdDays":30,"outcome":{"reason":"Endereço não encontrado","at":"2026-12-01T14:26:29.724Z"}}}',
  secret: SECRET,
  signature: 'v1,s7kHZZOH8DkB6ZeivqSBnAl4H1jP47dJe0kC3upnWRY=',
  previousSecret: PREVIOUS,
  previousSignature: 'v1,zilDGSMGHuOxIUcpDNNIdQsbsxOn239UwF4+WEfJzqU=',
};
