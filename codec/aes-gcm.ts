/**
 * AES-256-GCM with a random 96-bit IV, laid out as 12-byte IV, ciphertext, 16-byte tag (as Temporal's encryption
 * samples do): the one cipher of the project, for payloads (encryption-codec.ts) and tenants' secrets at rest
 * (registry/secrets.ts). `context`, when given, is authenticated with the data: a sealed value opens only where it
 * was sealed for.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from './keys.ts';

const CIPHER = 'aes-256-gcm';
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export function encrypt(plain: Uint8Array, key: EncryptionKey, context?: string): Buffer {
  // A random 96-bit IV per value: safe for far more values than one key will ever see here (NIST: 2^32).
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key.material, iv, { authTagLength: TAG_BYTES });
  if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** Throws when the key is not the one that encrypted `data`, or `data` or `context` changed since. */
export function decrypt(data: Uint8Array, key: EncryptionKey, context?: string): Buffer {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const decipher = createDecipheriv(CIPHER, key.material, iv, { authTagLength: TAG_BYTES });
  if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
}
