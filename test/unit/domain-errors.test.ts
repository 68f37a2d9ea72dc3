/**
 * Domain outcomes as the client library's typed errors: raised by the library (over a stand-in Temporal client),
 * and told the same way by the CLI (exit code) and the HTTP API (status and code).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status as grpcStatus } from '@grpc/grpc-js';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ConfigError } from '../../config/env.ts';
import type { ReservationState } from '../../contract/schemas.ts';
import {
  ConflictError,
  InvalidInputError,
  ChangeRefusedError,
  RejectedError,
  ReservationEndedError,
  ReservationFailedError,
  ReservationNotFoundError,
  SelectionRefusedError,
} from '../../client/errors.ts';
import { EXIT, errorText, exitCodeFor } from '../../cli/exit-codes.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { libraryProblem, toHttpProblem } from '../../api/errors.ts';

const DEFAULTS = { radiusMeters: 250, holdDays: 30, selectionTimeoutHours: 24 };

const finalState = (status: ReservationState['status']): ReservationState => ({
  viabilityId: 'V-1',
  status,
  selection: 'auto',
  radiusMeters: 250,
  holdDays: 30,
  candidates: [],
});

const notFound = () => new WorkflowNotFoundError('workflow not found', 'reservation-V-1', undefined);
const grpcError = (code: grpcStatus) =>
  Object.assign(new Error('grpc'), { code, details: 'x', metadata: new Metadata() });

/** A Temporal client whose one workflow handle behaves as `handle` says (anything left out rejects). */
function clientWith(handle: Partial<Record<'signal' | 'describe' | 'result' | 'query' | 'executeUpdate', unknown>>) {
  const reject = () => Promise.reject(new Error('not expected in this test'));
  const full = { signal: reject, describe: reject, result: reject, query: reject, executeUpdate: reject, ...handle };
  const client = { workflow: { getHandle: () => full } } as unknown as Client;
  return new ReservationsClient(client, 'q', DEFAULTS);
}

/** A workflow that has closed: signals answer "not found", describe and result tell how it ended. */
const ended = (status: ReservationState['status']) =>
  clientWith({
    signal: () => Promise.reject(notFound()),
    describe: () => Promise.resolve({ status: { name: 'COMPLETED' } }),
    result: () => Promise.resolve(finalState(status)),
  });

describe('domain outcomes as typed errors', () => {
  it('confirm or cancel of an ended reservation is ReservationEndedError with how it ended', async () => {
    for (const [action, status] of [
      ['confirm', 'CANCELLED'],
      ['cancel', 'INSTALLED'],
    ] as const) {
      await assert.rejects(ended(status)[action]('V-1'), (err: unknown) => {
        assert.ok(err instanceof ReservationEndedError, String(err));
        assert.equal(err.status, status);
        assert.equal(err.action, action);
        assert.equal(err.message, `Reservation V-1 already ended as ${status}: nothing to ${action}`);
        return true;
      });
    }
  });

  it('a reservation that does not exist, or failed rather than ended, stays "not found"; Temporal down is told', async () => {
    const missing = clientWith({
      signal: () => Promise.reject(notFound()),
      describe: () => Promise.reject(notFound()),
    });
    await assert.rejects(missing.confirm('V-1'), ReservationNotFoundError);
    const failed = clientWith({
      signal: () => Promise.reject(notFound()),
      describe: () => Promise.resolve({ status: { name: 'FAILED' } }),
    });
    await assert.rejects(failed.cancel('V-1'), ReservationNotFoundError);
    const down = clientWith({
      signal: () => Promise.reject(notFound()),
      describe: () => Promise.reject(grpcError(grpcStatus.UNAVAILABLE)),
    });
    await assert.rejects(down.cancel('V-1'), (err: unknown) => toHttpProblem(err).statusCode === 503);
  });

  it('a selection the workflow refuses is SelectionRefusedError with the workflow reason', async () => {
    const refusing = clientWith({
      executeUpdate: () =>
        Promise.reject(
          new WorkflowUpdateFailedError(
            'update failed',
            ApplicationFailure.create({ message: 'box b9 is not a candidate' }),
          ),
        ),
    });
    await assert.rejects(refusing.select('V-1', { boxId: 'b9' }), (err: unknown) => {
      assert.ok(err instanceof SelectionRefusedError, String(err));
      assert.ok(err instanceof RejectedError, 'still a refusal to those that only know RejectedError');
      assert.equal(err.viabilityId, 'V-1');
      assert.equal(err.message, 'box b9 is not a candidate');
      return true;
    });
  });

  it('a move or an extension the workflow refuses is ChangeRefusedError with the reason; bad input is never sent', async () => {
    const refusing = (message: string) =>
      clientWith({
        executeUpdate: () =>
          Promise.reject(new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ message }))),
      });
    const cases = [
      ['box', () => refusing('port 3 was taken meanwhile').changeBox('V-1', { boxId: 'b2' })],
      ['extension', () => refusing('beyond 90 days').extendHold('V-1', { days: 15 })],
    ] as const;
    for (const [change, call] of cases) {
      await assert.rejects(call(), (err: unknown) => {
        assert.ok(err instanceof ChangeRefusedError, String(err));
        assert.ok(err instanceof RejectedError);
        assert.deepEqual([err.viabilityId, err.change], ['V-1', change]);
        assert.equal(toHttpProblem(err).statusCode, 409);
        return true;
      });
    }
    const untouched = clientWith({});
    await assert.rejects(untouched.extendHold('V-1', { days: 91 }), (err: unknown) => {
      assert.ok(err instanceof InvalidInputError, String(err));
      assert.match(err.message, /days: days must be at most 90/);
      return true;
    });
    await assert.rejects(untouched.changeBox('V-1', { boxId: '' }), InvalidInputError);
  });

  it('the CLI exit code and the API status agree for every library error', () => {
    const cases: Array<[Error, number, number, string]> = [
      [
        new InvalidInputError([{ field: 'customer.code', message: 'must not be empty' }]),
        EXIT.invalid,
        400,
        'invalid-input',
      ],
      [new ConflictError('V-1', [{ field: 'holdDays', message: 'differs' }]), EXIT.invalid, 409, 'conflict'],
      [new ReservationEndedError('V-1', 'INSTALLED', 'cancel'), EXIT.invalid, 409, 'already-ended'],
      [new SelectionRefusedError('V-1', 'box b9 is not a candidate'), EXIT.invalid, 409, 'rejected'],
      [new RejectedError('The reservation failed: OZmap refused'), EXIT.invalid, 409, 'rejected'],
      [new ReservationNotFoundError('V-1'), EXIT.notFound, 404, 'not-found'],
      [new ReservationFailedError('V-1', 'workflow failed'), EXIT.failure, 502, 'workflow-failed'],
      [grpcError(grpcStatus.UNAVAILABLE), EXIT.failure, 503, 'temporal-unavailable'],
    ];
    for (const [err, exit, status, code] of cases) {
      assert.equal(exitCodeFor(err), exit, `${err.name}: exit code`);
      const problem = toHttpProblem(err);
      assert.deepEqual([problem.statusCode, problem.code], [status, code], `${err.name}: status`);
    }
    assert.equal(exitCodeFor(new ConfigError(['OZMAP_API_KEY: is required'])), EXIT.failure);
    const endedProblem = toHttpProblem(new ReservationEndedError('V-1', 'EXPIRED', 'confirm'));
    assert.deepEqual(endedProblem.details, [{ field: 'viabilityId', message: 'reservation ended as EXPIRED' }]);
  });

  it('the CLI prints the reason; the map page gets the same answers as the API, and none for other errors', () => {
    assert.equal(
      errorText(new ReservationEndedError('V-1', 'CANCELLED', 'confirm')),
      'Reservation V-1 already ended as CANCELLED: nothing to confirm',
    );
    assert.equal(
      errorText(new InvalidInputError([{ field: 'port', message: 'must be a whole number' }])),
      'Invalid input:\n  - port: must be a whole number',
    );
    assert.equal(libraryProblem(new ReservationEndedError('V-1', 'INSTALLED', 'cancel'))?.code, 'already-ended');
    assert.equal(libraryProblem(grpcError(grpcStatus.UNAVAILABLE)), undefined);
    assert.equal(libraryProblem(new TypeError('a bug')), undefined);
  });
});
