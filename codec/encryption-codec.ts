/**
 * AES-256-GCM PayloadCodec, after Temporal's samples-typescript `encryption` sample: the whole Payload (metadata
 * and data) is serialized and encrypted, and the result carries `encoding: binary/encrypted` plus the key id.
 * Data layout as in the sample (and the other SDKs' samples): 12-byte IV, ciphertext, 16-byte tag.
 * Payloads that are not encrypted pass through decode untouched, so turning encryption on never breaks old histories.
 */
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto'; // CommonJS: no named ESM exports
import { IV_BYTES, TAG_BYTES, decrypt, encrypt } from './aes-gcm.ts';
import type { EncryptionKey } from './keys.ts';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const METADATA_KEY_ID = 'encryption-key-id';

const utf8 = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** The key that encrypts (none: encode passes through) and those kept to decrypt what they once encrypted. */
export interface EncryptionKeys {
  current?: EncryptionKey;
  previous?: EncryptionKey[];
}

export class EncryptionCodec implements PayloadCodec {
  readonly #current: EncryptionKey | undefined;
  readonly #byId: Map<string, EncryptionKey>;

  /** `current` encrypts (none: encode passes through); it and every `previous` key decrypt what they encrypted. */
  constructor(keys: EncryptionKeys) {
    this.#current = keys.current;
    this.#byId = new Map([...(keys.previous ?? []), ...(keys.current ? [keys.current] : [])].map((k) => [k.id, k]));
  }

  get currentKeyId(): string | undefined {
    return this.#current?.id;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.#current;
    if (!key) return Promise.resolve(payloads);
    return Promise.resolve(
      payloads.map((payload) => ({
        metadata: {
          [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
          [METADATA_KEY_ID]: Buffer.from(key.id),
        },
        data: encrypt(PayloadMessage.encode(payload).finish(), key),
      })),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    try {
      return Promise.resolve(payloads.map((payload) => this.#decodeOne(payload)));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #decodeOne(payload: Payload): Payload {
    if (utf8(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const keyId = utf8(payload.metadata?.[METADATA_KEY_ID]);
    if (!keyId)
      throw new ValueError(`An encrypted payload has no ${METADATA_KEY_ID} in its metadata: it cannot be decrypted`);
    const key = this.#byId.get(keyId);
    if (!key) {
      throw new ValueError(
        `A payload is encrypted with key "${keyId}", which is not configured: set it as PAYLOAD_ENCRYPTION_KEY or ` +
          `add it to PAYLOAD_ENCRYPTION_PREVIOUS_KEYS`,
      );
    }
    if (!payload.data || payload.data.length < IV_BYTES + TAG_BYTES)
      throw new ValueError(`A payload encrypted with key "${keyId}" is truncated`);
    let plain: Buffer;
    try {
      plain = decrypt(payload.data, key);
    } catch {
      throw new ValueError(
        `A payload encrypted with key "${keyId}" failed authentication: the configured key with that id is not the ` +
          `one that encrypted it, or the payload was altered`,
      );
    }
    return PayloadMessage.decode(plain);
  }
}
