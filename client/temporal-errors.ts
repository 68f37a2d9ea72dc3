/** Temporal's errors in the library's terms (client/errors.ts), so callers never need to know the SDK's. */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, isGrpcServiceError } from '@temporalio/client';
import { status as grpcStatus } from '@grpc/grpc-js';
import { InvalidInputError, RejectedError, ReservationFailedError, ReservationNotFoundError } from './errors.ts';

/** `err` as the library's error for `viabilityId` when it is one; anything else (Temporal unreachable, a bug) as is. */
export function explain(err: unknown, viabilityId: string): unknown {
  if (err instanceof InvalidInputError || err instanceof ReservationFailedError) return err;
  if (err instanceof WorkflowNotFoundError || (isGrpcServiceError(err) && err.code === grpcStatus.NOT_FOUND))
    return new ReservationNotFoundError(viabilityId);
  if (err instanceof WorkflowUpdateFailedError) return new RejectedError(err.cause?.message ?? err.message);
  if (isGrpcServiceError(err) && err.code === grpcStatus.INVALID_ARGUMENT)
    return new RejectedError(err.details ?? err.message);
  return err;
}
