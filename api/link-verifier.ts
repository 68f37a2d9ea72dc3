/**
 * The map page's check of a signed link (client/viability-link.ts signs them and defines the canonical form).
 * The verdict says why a link is refused, not how to answer it: the page maps reasons to statuses.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  canonicalForm,
  MAX_LINK_TTL_SECONDS,
  parseLinkData,
  signCanonical,
  type ViabilityLinkInput,
} from '../client/viability-link.ts';
import type { FieldProblem } from '../client/errors.ts';

/** unsigned: no `sig`/`exp`; tampered: the signature does not match (changed data, or another key). */
export type LinkRefusalReason = 'unsigned' | 'tampered' | 'expired' | 'invalid';

export type LinkVerdict =
  | { ok: true; input: ViabilityLinkInput; expiresAt: Date }
  | { ok: false; reason: LinkRefusalReason; message: string; problems?: FieldProblem[] };

/**
 * How far ahead of this clock a link's `exp` may be: the longest life the signer gives (MAX_LINK_TTL_SECONDS, a
 * week) plus five minutes for the signer's clock running ahead. A later `exp` was not made by a signer of this
 * project (or its clock is wrong): it would make a leaked link good for ever.
 */
export const MAX_LINK_EXPIRY_AHEAD_SECONDS = MAX_LINK_TTL_SECONDS + 300;

const invalid = (problems: FieldProblem[]): Extract<LinkVerdict, { ok: false }> => ({
  ok: false,
  reason: 'invalid',
  message: `Invalid link: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
  problems,
});

/**
 * Checks a link's query: signed with this key (linkSigningKey; compared in constant time), not expired, then
 * its data. The signature is checked before anything about the data is said, so an unsigned caller learns nothing.
 */
export function verifyViabilityLink(
  query: Record<string, unknown>,
  signingKey: Buffer,
  now: Date = new Date(),
): LinkVerdict {
  const signed = verifySignedLink(query, signingKey, now);
  if (!signed.ok) return signed;
  const parsed = parseLinkData(signed.data);
  if (!parsed.success) return invalid(parsed.problems);
  return { ok: true, input: parsed.input, expiresAt: signed.expiresAt };
}

/** A signed link's verdict before its data is read: the data (every parameter but `sig`, `exp`, `key`) when good. */
export type SignedLinkVerdict =
  { ok: true; data: Record<string, string>; expiresAt: Date } | Extract<LinkVerdict, { ok: false }>;

/**
 * Any page's signed link (the viability page's, the batch map's): signed with this key, not expired, not too far
 * ahead. What the data may hold is the page's to check.
 */
export function verifySignedLink(
  query: Record<string, unknown>,
  signingKey: Buffer,
  now: Date = new Date(),
): SignedLinkVerdict {
  // A null prototype: `params.__proto__ = v` on a plain object would set its prototype and drop the parameter from
  // the signature and the strict check alike.
  const params = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') return invalid([{ field: name, message: 'must appear once' }]);
    params[name] = value;
  }
  if (!params.sig || !params.exp) {
    return {
      ok: false,
      reason: 'unsigned',
      message: 'This link is not signed (sig and exp are missing): open the page from Ispbox',
    };
  }
  const expected = Buffer.from(signCanonical(canonicalForm(params), signingKey), 'hex');
  const given = /^[0-9a-f]{64}$/i.test(params.sig) ? Buffer.from(params.sig, 'hex') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason: 'tampered',
      message:
        "The link's signature does not match its data: it was changed or signed with another key; " +
        'open the page from Ispbox again',
    };
  }
  const exp = /^\d{1,12}$/.test(params.exp) ? Number(params.exp) : NaN;
  if (!Number.isFinite(exp)) return invalid([{ field: 'exp', message: 'must be Unix seconds' }]);
  if (exp * 1000 <= now.getTime()) {
    return {
      ok: false,
      reason: 'expired',
      message: `This link expired at ${new Date(exp * 1000).toISOString()}: open the page from Ispbox again`,
    };
  }
  if (exp - now.getTime() / 1000 > MAX_LINK_EXPIRY_AHEAD_SECONDS) {
    const days = MAX_LINK_TTL_SECONDS / 86_400;
    return invalid([{ field: 'exp', message: `is more than ${days} days ahead: sign a fresh link for each visit` }]);
  }
  const data = Object.create(null) as Record<string, string>;
  // `key` names the tenant key that signed the link (checked by the caller, who chose signingKey by it).
  for (const name of Object.keys(params)) if (!['sig', 'exp', 'key'].includes(name)) data[name] = params[name]!;
  return { ok: true, data, expiresAt: new Date(exp * 1000) };
}
