/**
 * Payload encryption keys (AES-256): parsed from configuration, identified by an id stored in each payload's
 * metadata so that older keys can still decrypt what they encrypted after a rotation.
 */
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';

export const KEY_BYTES = 32;
/** Ids travel in payload metadata and config lists: keep them plain. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** A key whose material never shows up in JSON, util.inspect or a template string (logs, errors). */
export class EncryptionKey {
  readonly #material: Buffer;

  constructor(
    readonly id: string,
    material: Buffer,
  ) {
    if (material.length !== KEY_BYTES)
      throw new RangeError(`encryption key ${id} must be ${KEY_BYTES} bytes, not ${material.length}`);
    this.#material = Buffer.from(material);
  }

  /** The raw bytes, for the cipher only. */
  get material(): Buffer {
    return this.#material;
  }

  toJSON(): { id: string; key: string } {
    return { id: this.id, key: '***' };
  }

  toString(): string {
    return `EncryptionKey(${this.id})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Strict base64 (standard or url-safe alphabet, padding optional) → bytes, or undefined when it is not base64.
 * Buffer.from(…, 'base64') alone silently skips stray characters, which would turn a typo into a different key.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  const s = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** A default id derived from the key itself: stable, reveals nothing usable, and distinct keys never share it. */
export function keyFingerprint(material: Buffer): string {
  return `sha256-${createHash('sha256').update(material).digest('hex').slice(0, 16)}`;
}
