/**
 * Ispbox API keys per tenant (docs/tenants.md, "Keys"): `ozk_<key id>_<secret>`, shown once when made and kept only
 * as a SHA-256 hash. The key id finds the row without a scan; the comparison of hashes is in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { tenantKeyIdOf } from '../contract/ids.ts';

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export function makeKey(): { keyId: string; key: string; hash: string } {
  const keyId = randomBytes(8).toString('hex');
  const key = `ozk_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { keyId, key, hash: hashKey(key) };
}

/** The key id of a well-formed key, else undefined (the caller still spends a comparison: no timing tell). */
export const keyIdOf = tenantKeyIdOf;

/** Whether `key` hashes to `hash` (both hex SHA-256), in constant time. */
export function keyMatches(key: string, hash: string): boolean {
  const given = Buffer.from(hashKey(key), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}
