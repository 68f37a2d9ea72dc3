/**
 * Configuration from the environment (docs/architecture.md, configuration), validated with zod at start-up.
 * Every problem is reported at once, by variable name, with the fix; secrets never appear in messages.
 *   schema.ts   each variable, and the nested Config the parts read (its type inferred from the schema)
 *   rules.ts    rules across variables (loopback, keys required, TLS pairs, key ids)
 *   secrets.ts  masking secret values out of the messages
 *   defaults.ts documented defaults and demo keys
 * This file is the loader, and what callers import.
 */
import { ConfigSchema, type Config } from './schema.ts';
import { crossFieldProblems, duplicateKeyIdProblems } from './rules.ts';
import type { ConfigRole } from './roles.ts';
import { redactSecrets } from './secrets.ts';

export * from './defaults.ts';
export * from './roles.ts';
export type { Config, Env } from './schema.ts';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
    super(`Invalid configuration (${count}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws one ConfigError listing every problem. Empty strings count as unset. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env, role: ConfigRole = 'worker'): Config {
  const present = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = ConfigSchema.safeParse(present);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`)),
    ...crossFieldProblems(present, role),
    // Key ids are compared once parsed (a missing id is the key's fingerprint), so only when everything parsed.
    ...(parsed.success ? duplicateKeyIdProblems(parsed.data.payloadEncryption) : []),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(redactSecrets(problems, present));
  return parsed.data;
}

/**
 * For a process's entry point: the configuration, or its problems on stderr and exit 1, without a stack trace
 * (docs/architecture.md, configuration). Any other error is thrown on. The CLI keeps its own exit codes.
 */
export function loadConfigOrExit(environment: NodeJS.ProcessEnv = process.env, role: ConfigRole = 'worker'): Config {
  try {
    return loadConfig(environment, role);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
