/** Errors the client library raises for callers to act on (the CLI maps them to exit codes, the HTTP API to statuses). */
import type { z } from 'zod';

export interface FieldProblem {
  field: string;
  message: string;
}

/** Bad input: nothing was started or sent. Each problem names the field and what would fix it. */
export class InvalidInputError extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(`Invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'InvalidInputError';
  }

  static fromZod(error: z.ZodError, prefix = ''): InvalidInputError {
    return new InvalidInputError(
      error.issues.map((issue) => ({
        field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
        message: issue.message,
      })),
    );
  }
}

export class ReservationNotFoundError extends Error {
  constructor(readonly viabilityId: string) {
    super(`No reservation for viability ${viabilityId}`);
    this.name = 'ReservationNotFoundError';
  }
}

/** The viability already has a reservation with other terms: nothing was started or changed. Each problem names a field that differs. */
export class ConflictError extends Error {
  constructor(
    readonly viabilityId: string,
    readonly problems: FieldProblem[],
  ) {
    super(
      `Viability ${viabilityId} already has a reservation with other terms (${problems.map((p) => p.field).join(', ')})`,
    );
    this.name = 'ConflictError';
  }
}

/** The workflow refused a message (e.g. selectBox outside AWAITING_SELECTION, a box that is not a candidate). */
export class RejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedError';
  }
}

/** The reservation's workflow failed (a bug or a misconfiguration); its failure message says why. */
export class ReservationFailedError extends Error {
  constructor(
    readonly viabilityId: string,
    message: string,
  ) {
    super(`Reservation ${viabilityId} failed: ${message}`);
    this.name = 'ReservationFailedError';
  }
}
