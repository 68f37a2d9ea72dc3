/**
 * `npm start`'s TENANT_SECRETS_KEY (docs/tenants.md, "Secrets"): when the environment sets none, the one kept in its
 * data folder, made on the first start (32 random bytes, base64, readable by its owner only). Every other start
 * (the cluster, production) is given its key and refuses to run without it once a tenant holds a secret.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const TENANT_SECRETS_KEY_FILE = 'tenant-secrets.key';

/** Sets env.TENANT_SECRETS_KEY from `dataDir` (made there first if need be); says where it came from. */
export function ensureTenantSecretsKey(env: NodeJS.ProcessEnv, dataDir: string): 'environment' | 'file' | 'new' {
  if (env.TENANT_SECRETS_KEY) return 'environment';
  const file = path.join(dataDir, TENANT_SECRETS_KEY_FILE);
  if (existsSync(file)) {
    env.TENANT_SECRETS_KEY = readFileSync(file, 'utf8').trim();
    return 'file';
  }
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  env.TENANT_SECRETS_KEY = key;
  return 'new';
}
