/**
 * Errors the client library raises for callers to act on: domain outcomes are typed here, so the CLI (exit codes,
 * cli/exit-codes.ts) and the HTTP API (statuses, api/errors.ts) tell the same story; see docs/architecture.md.
 */
import type { z } from 'zod';
import type { ReservationStatus } from '../contract/schemas.ts';

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

  /**
   * One problem per issue, named by its path under `prefix`; the value as a whole is named `whole`. With `keysByName`
   * (a query string, a path: sets of named values rather than a document), each unknown key is a problem of its
   * own, named by the key.
   */
  static fromZod(
    error: z.ZodError,
    prefix = '',
    { whole = '(body)', keysByName = false }: { whole?: string; keysByName?: boolean } = {},
  ): InvalidInputError {
    const name = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || whole;
    return new InvalidInputError(
      error.issues.flatMap((issue) =>
        keysByName && issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({
              field: name([...issue.path, key]),
              message: 'is not a parameter of this route (see /docs): remove it',
            }))
          : [{ field: name(issue.path), message: issue.message }],
      ),
    );
  }
}

export class ReservationNotFoundError extends Error {
  constructor(readonly viabilityId: string) {
    super(`No reservation for viability ${viabilityId}`);
    this.name = 'ReservationNotFoundError';
  }
}

/**
 * The viability already has a reservation with other terms: nothing was started or changed. Each problem names a
 * field that differs.
 */
export class ConflictError extends Error {
  constructor(
    readonly viabilityId: string,
    readonly problems: FieldProblem[],
  ) {
    super(
      `Viability ${viabilityId} already has a reservation with other terms ` +
        `(${problems.map((p) => p.field).join(', ')})`,
    );
    this.name = 'ConflictError';
  }
}

/** The workflow refused a message, or answered a waiting one with its failure; the message says why. */
export class RejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedError';
  }
}

/** The workflow refused a selection (selectBox outside AWAITING_SELECTION, a box that is not a candidate). */
export class SelectionRefusedError extends RejectedError {
  constructor(
    readonly viabilityId: string,
    message: string,
  ) {
    super(message);
    this.name = 'SelectionRefusedError';
  }
}

/**
 * The workflow refused a change to a held reservation (changeBox, extendHold): not RESERVED, a box outside the
 * radius or with no free port, a port taken meanwhile, a hold beyond the longest allowed. Nothing was changed.
 */
export class ChangeRefusedError extends RejectedError {
  constructor(
    readonly viabilityId: string,
    readonly change: 'box' | 'extension',
    message: string,
  ) {
    super(message);
    this.name = 'ChangeRefusedError';
  }
}

/**
 * A confirm, cancel, selection, move or extension for a reservation that has ended: nothing changed; `status` says
 * how.
 */
export class ReservationEndedError extends RejectedError {
  constructor(
    readonly viabilityId: string,
    readonly status: ReservationStatus,
    readonly action: 'confirm' | 'cancel' | 'select' | 'move' | 'extend',
  ) {
    super(`Reservation ${viabilityId} already ended as ${status}: nothing to ${action}`);
    this.name = 'ReservationEndedError';
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
