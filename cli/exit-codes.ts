/**
 * The CLI's exit codes, and what it prints for the client library's errors: the same outcomes the HTTP API
 * answers with statuses (api/errors.ts), so a script and an integrator reading the API agree (docs/architecture.md).
 */
import { ConfigError } from '../config/env.ts';
import { ConflictError, InvalidInputError, RejectedError, ReservationNotFoundError } from '../client/errors.ts';

export const EXIT = { ok: 0, failure: 1, invalid: 2, noReservation: 3, notFound: 4 } as const;

/**
 * 2 for what the caller can fix or was refused (bad input, other terms, a refused selection, a reservation that
 * already ended: the API's 400 and 409), 4 for no reservation (404), 1 for the rest (502/503) and for a bad
 * configuration, as every entry point exits on one (npm start, the worker, the API).
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof ConfigError) return EXIT.failure;
  if (err instanceof InvalidInputError || err instanceof ConflictError || err instanceof RejectedError)
    return EXIT.invalid;
  if (err instanceof ReservationNotFoundError) return EXIT.notFound;
  return EXIT.failure;
}

/** What the CLI prints on stderr for `err`: each problem of bad input on its own line, else the reason. */
export function errorText(err: unknown): string {
  if (err instanceof InvalidInputError)
    return `Invalid input:\n${err.problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n')}`;
  return err instanceof Error ? err.message : String(err);
}
