/**
 * Tenants' secrets at rest (docs/tenants.md, "Secrets"): AES-256-GCM under TENANT_SECRETS_KEY (codec/aes-gcm.ts),
 * each value bound to its tenant and field (authenticated context), so that a sealed value copied to another row or
 * column does not open. The key's id travels with the value, so the keys a rotation retired
 * (TENANT_SECRETS_PREVIOUS_KEYS) still open what they sealed, and `reseal` moves it under the current key.
 */
import { decrypt, encrypt } from '../codec/aes-gcm.ts';
import { decodeBase64Strict, type EncryptionKey } from '../codec/keys.ts';

/** What a sealed value is bound to: the tenant and the field it belongs in. */
export const secretContext = (tenantId: string, field: string): string => `tenant:${tenantId}:${field}`;

export class TenantSecrets {
  readonly #current: EncryptionKey | undefined;
  readonly #byId: Map<string, EncryptionKey>;

  constructor(keys: { current?: EncryptionKey; previous?: EncryptionKey[] }) {
    this.#current = keys.current;
    this.#byId = new Map([...(keys.previous ?? []), ...(keys.current ? [keys.current] : [])].map((k) => [k.id, k]));
  }

  /** True when secrets can be stored (a current key is configured). */
  get canSeal(): boolean {
    return this.#current !== undefined;
  }

  /** `<key id>:<base64 of IV, ciphertext and tag>`. */
  seal(plain: string, context: string): string {
    const key = this.#current;
    if (!key)
      throw new SecretsKeyError(
        'TENANT_SECRETS_KEY is not set: a tenant secret cannot be stored (set it to 32 random bytes, base64)',
      );
    return `${key.id}:${encrypt(Buffer.from(plain, 'utf8'), key, context).toString('base64')}`;
  }

  open(sealed: string, context: string): string {
    const colon = sealed.indexOf(':');
    const keyId = sealed.slice(0, colon);
    const key = this.#byId.get(keyId);
    if (colon < 0 || !key)
      throw new SecretsKeyError(
        `a tenant secret is sealed with key "${keyId}", which is not configured: set it as TENANT_SECRETS_KEY or ` +
          'add it to TENANT_SECRETS_PREVIOUS_KEYS',
      );
    const data = decodeBase64Strict(sealed.slice(colon + 1));
    try {
      if (!data) throw new Error('not base64');
      return decrypt(data, key, context).toString('utf8');
    } catch {
      throw new SecretsKeyError(
        `a tenant secret sealed with key "${keyId}" does not open for ${context}: the configured key with that id ` +
          'is not the one that sealed it, or the value was altered or moved',
      );
    }
  }

  /** The value sealed under the current key, or undefined when it already is. */
  reseal(sealed: string, context: string): string | undefined {
    if (this.#current && sealed.startsWith(`${this.#current.id}:`)) return undefined;
    return this.seal(this.open(sealed, context), context);
  }
}

/** A missing or wrong TENANT_SECRETS_KEY: a configuration problem, said without any secret. */
export class SecretsKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretsKeyError';
  }
}
