/** Turns classified HTTP errors into Temporal failures: the type names what went wrong, retryability what to do. */
import { ApplicationFailure } from '@temporalio/common';
import { upstreamFailure, type UpstreamService } from '../contract/failures.ts';
import { UpstreamHttpError } from './http.ts';

/** Auth problems need a person to fix a key: retry, but slowly, so as not to hammer the server meanwhile. */
const AUTH_RETRY_DELAY_MS = 60_000;

export function toFailure(
  err: unknown,
  service: UpstreamService,
  options: { retryBadResponses?: boolean } = {},
): unknown {
  if (!(err instanceof UpstreamHttpError)) return err;
  const nonRetryable = err.kind === 'bad-response' ? !options.retryBadResponses : !err.retryable;
  return ApplicationFailure.create({
    type: upstreamFailure(service, err.kind),
    message: err.message,
    nonRetryable,
    nextRetryDelay: err.kind === 'auth' ? AUTH_RETRY_DELAY_MS : err.retryAfterMs,
  });
}

/** Runs an activity body, rethrowing HTTP errors as typed ApplicationFailures. */
export async function classified<T>(
  service: UpstreamService,
  fn: () => Promise<T>,
  options?: { retryBadResponses?: boolean },
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err, service, options);
  }
}
