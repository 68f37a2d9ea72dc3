/**
 * The tenant registry in the cluster's PostgreSQL (docs/tenants.md, "The registry"): a database of its own next to
 * Temporal's, made on the first start, and the DATABASE_URL and TENANT_SECRETS_KEY every worker and the HTTP API are
 * given, so that they all share one registry. A DATABASE_URL set by the operator is used as it is.
 */
import pg from 'pg';
import { ensureTenantSecretsKey } from '../tenant-secrets-key.ts';
import { PG_USER, type PostgresPlan } from './postgres.ts';

export const REGISTRY_DATABASE = 'ozres_registry';

/** Creates the registry's database when missing; returns the variables that point the processes at it. */
export async function prepareRegistry(
  pgPlan: Pick<PostgresPlan, 'port' | 'password'>,
  env: NodeJS.ProcessEnv,
  secretsDir: string,
): Promise<{ DATABASE_URL: string; TENANT_SECRETS_KEY: string; made: string[] }> {
  const made: string[] = [];
  const wanted = { ...env };
  if (ensureTenantSecretsKey(wanted, secretsDir) === 'new') made.push('TENANT_SECRETS_KEY (in the cluster folder)');
  if (env.DATABASE_URL) return { DATABASE_URL: env.DATABASE_URL, TENANT_SECRETS_KEY: wanted.TENANT_SECRETS_KEY!, made };

  const admin = new pg.Client({
    host: '127.0.0.1',
    port: pgPlan.port,
    user: PG_USER,
    password: pgPlan.password,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [REGISTRY_DATABASE]);
    if (found.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${REGISTRY_DATABASE}`);
      made.push(`the ${REGISTRY_DATABASE} database`);
    }
  } finally {
    await admin.end();
  }
  const url = new URL(`postgres://127.0.0.1:${pgPlan.port}/${REGISTRY_DATABASE}`);
  url.username = PG_USER;
  url.password = pgPlan.password;
  return { DATABASE_URL: url.toString(), TENANT_SECRETS_KEY: wanted.TENANT_SECRETS_KEY!, made };
}
