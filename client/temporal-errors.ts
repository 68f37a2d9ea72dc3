/** Temporal's errors in the library's terms (client/errors.ts), so callers never need to know the SDK's. */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, isGrpcServiceError } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import { InvalidInputError, RejectedError, ReservationFailedError, ReservationNotFoundError } from './errors.ts';

/**
 * `err` as the library's error for `viabilityId` when it is one; anything else (Temporal unreachable, a bug) as is.
 * `refused` names a message the workflow refused (a plain RejectedError unless the caller knows what was refused).
 * A closed workflow is "not found" to Temporal too: callers that can tell the two apart do (see `#signal`).
 */
export function explain(
  err: unknown,
  viabilityId: string,
  refused: (message: string) => RejectedError = (message) => new RejectedError(message),
): unknown {
  if (err instanceof InvalidInputError || err instanceof ReservationFailedError || err instanceof RejectedError)
    return err;
  if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === grpcStatus.NOT_FOUND))
    return new ReservationNotFoundError(viabilityId);
  if (err instanceof WorkflowUpdateFailedError) return refused(err.cause?.message ?? err.message);
  if (isGrpcServiceError(err) && err.code === grpcStatus.INVALID_ARGUMENT) return refused(err.details ?? err.message);
  return err;
}
