/**
 * `Authorization: Bearer <secret>`, read and compared in constant time: both sides are hashed first, so the comparison
 * has equal lengths and leaks neither the secret's length nor a matching prefix.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or undefined. */
export function bearerToken(header: unknown): string | undefined {
  return typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1] : undefined;
}

/** Whether a bearer token is `secret`, in the same time whatever the token. */
export function bearerMatcher(secret: string): (token: string | undefined) => boolean {
  const expected = digest(secret);
  return (token) => token !== undefined && timingSafeEqual(digest(token), expected);
}
