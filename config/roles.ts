/** The processes that load the configuration, and what each is given (docs/security.md). */

/**
 * Which process loads the configuration. Only a worker (and the doctor, run where a worker's configuration is) talks
 * to OZmap and the geocoder, so only it needs their keys; the HTTP API and the CLI reach Temporal alone
 * (docs/security.md, "What each process is given").
 */
export type ConfigRole = 'worker' | 'api' | 'client';

/** Variables only a worker reads: the API's and the CLI's processes are started without them. */
export const WORKER_ONLY_SECRETS = ['OZMAP_API_KEY', 'GOOGLE_GEOCODING_API_KEY', 'WEBHOOK_SECRET'] as const;

/** `env` without what only a worker needs (WORKER_ONLY_SECRETS): what the HTTP API's process is given. */
export const apiProcessEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(
    Object.entries(env).filter(([name]) => !(WORKER_ONLY_SECRETS as readonly string[]).includes(name)),
  );
