/**
 * Every failure becomes `{ error, message, details[] }` with the status that tells the caller what to do:
 * 4xx when the request can be fixed (nothing was started or changed), 502/503 when the fault is on our side.
 * The one place where the client library's errors become statuses, for the API and the map page alike
 * (docs/architecture.md); the CLI's exit codes for the same errors are in cli/exit-codes.ts.
 */
import { WorkflowUpdateRPCTimeoutOrCancelledError, ServiceError, isGrpcServiceError } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  ConflictError,
  InvalidInputError,
  RejectedError,
  ReservationEndedError,
  ReservationFailedError,
  ReservationNotFoundError,
  type FieldProblem,
} from '../client/errors.ts';
import type { ErrorBody } from './schemas.ts';

export class HttpProblem extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpProblem';
  }

  get body(): ErrorBody {
    return { error: this.code, message: this.message, details: this.details };
  }
}

/** Seconds a caller should wait before retrying when Temporal is down or slow. */
export const RETRY_AFTER_SECONDS = 5;

/** Fastify's own request errors (parsing, limits, routing), by code: the request is at fault, never a 5xx. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; field: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported-media-type', field: 'content-type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid-request', field: 'content-length' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload-too-large', field: '(body)' },
  FST_ERR_CTP_INSTANCE_ALREADY_STARTED: { status: 400, code: 'invalid-request', field: '(body)' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid-request', field: 'url' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'invalid-request', field: 'url' },
};

const UNAVAILABLE_CODES = new Set([
  grpcStatus.UNAVAILABLE,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.CANCELLED,
  grpcStatus.RESOURCE_EXHAUSTED,
]);

/** True when the error (or one it wraps) says Temporal could not be reached or did not answer in time. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError || e.name === 'AbortError' || e.name === 'TimeoutError')
      return true;
    if (isGrpcServiceError(e) && UNAVAILABLE_CODES.has(e.code)) return true;
    if (e instanceof ServiceError && /connect/i.test(e.message)) return true;
  }
  return false;
}

/** The client library's own errors as answers; undefined for anything else (Temporal down, a bug, fastify's). */
export function libraryProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof InvalidInputError) return new HttpProblem(400, 'invalid-input', err.message, err.problems);
  if (err instanceof ConflictError) return new HttpProblem(409, 'conflict', err.message, err.problems);
  if (err instanceof ReservationEndedError) {
    return new HttpProblem(409, 'already-ended', err.message, [
      { field: 'viabilityId', message: `reservation ended as ${err.status}` },
    ]);
  }
  // A refused selection, or a waiting message answered with the workflow's failure.
  if (err instanceof RejectedError) return new HttpProblem(409, 'rejected', err.message);
  if (err instanceof ReservationNotFoundError)
    return new HttpProblem(404, 'not-found', err.message, [{ field: 'viabilityId', message: 'has no reservation' }]);
  if (err instanceof ReservationFailedError) return new HttpProblem(502, 'workflow-failed', err.message);
  return undefined;
}

export function toHttpProblem(err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err;
  const library = libraryProblem(err);
  if (library) return library;
  const fastify =
    err instanceof Error && 'code' in err && typeof err.code === 'string' ? FASTIFY_ERRORS[err.code] : undefined;
  if (fastify && err instanceof Error)
    return new HttpProblem(fastify.status, fastify.code, err.message, [{ field: fastify.field, message: err.message }]);
  // Any other client error fastify raises (a 4xx statusCode) stays a 4xx.
  const statusCode =
    err instanceof Error && 'statusCode' in err && typeof err.statusCode === 'number' ? err.statusCode : undefined;
  if (statusCode && statusCode >= 400 && statusCode < 500 && err instanceof Error) {
    return new HttpProblem(statusCode, 'invalid-request', err.message, [{ field: '(request)', message: err.message }]);
  }
  if (isTemporalUnavailable(err) || err instanceof ServiceError || isGrpcServiceError(err)) {
    return new HttpProblem(
      503,
      'temporal-unavailable',
      'Temporal is unreachable or did not answer in time (is a worker running?); try again shortly',
      [],
      {
        'retry-after': String(RETRY_AFTER_SECONDS),
      },
    );
  }
  return new HttpProblem(500, 'internal', 'Unexpected error; it has been logged');
}
