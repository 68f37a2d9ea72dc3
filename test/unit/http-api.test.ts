/** The HTTP API's pure parts: its configuration, the bearer check and the mapping of failures to statuses. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import { ConfigError, DEMO_ISPBOX_API_KEY, loadConfig } from '../../config/env.ts';
import {
  ConflictError,
  InvalidInputError,
  RejectedError,
  ReservationFailedError,
  ReservationNotFoundError,
} from '../../client/errors.ts';
import { bearerAuth } from '../../api/auth.ts';
import { HttpProblem, toHttpProblem } from '../../api/errors.ts';
import type { FastifyRequest } from 'fastify';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
};

describe('HTTP API configuration', () => {
  it('defaults to loopback, port 3000, a 20 s wait and the documented demo key', () => {
    const { http } = loadConfig({});
    assert.deepEqual(http, {
      port: 3000,
      host: '127.0.0.1',
      ispboxApiKey: DEMO_ISPBOX_API_KEY,
      demoKey: true,
      linkSecret: undefined,
      waitSeconds: 20,
      requestTimeoutSeconds: 10,
      metrics: { address: undefined, token: undefined },
    });
  });

  it('refuses the public demo key outside loopback, and waits past 600 s', () => {
    assert.ok(problemsOf({ HTTP_HOST: '0.0.0.0' }).some((p) => p.startsWith('ISPBOX_API_KEY:')));
    assert.deepEqual(problemsOf({ HTTP_HOST: '0.0.0.0', ISPBOX_API_KEY: 'a-real-key-of-sixteen' }), []);
    assert.ok(problemsOf({ HTTP_WAIT_SECONDS: '86400' }).some((p) => p.startsWith('HTTP_WAIT_SECONDS:')));
    assert.ok(problemsOf({ HTTP_WAIT_SECONDS: 'soon' }).some((p) => p.startsWith('HTTP_WAIT_SECONDS:')));
    const { http } = loadConfig({ ISPBOX_API_KEY: 'a-real-key-of-sixteen', HTTP_WAIT_SECONDS: '2.5' });
    assert.equal(http.demoKey, false);
    assert.equal(http.waitSeconds, 2.5);
  });
});

describe('bearer check', () => {
  const check = bearerAuth('the-right-key-0123456789');
  const request = (authorization?: string) =>
    ({ headers: authorization === undefined ? {} : { authorization } }) as FastifyRequest;
  const refusal = async (authorization?: string) => {
    try {
      await check(request(authorization));
    } catch (err) {
      assert.ok(err instanceof HttpProblem);
      return err;
    }
    return undefined;
  };

  it('accepts exactly "Bearer <key>" (scheme case-insensitive)', async () => {
    assert.equal(await refusal('Bearer the-right-key-0123456789'), undefined);
    assert.equal(await refusal('bearer the-right-key-0123456789'), undefined);
  });

  it('refuses anything else with 401 and a Bearer challenge, naming the header', async () => {
    for (const value of [
      undefined,
      '',
      'Bearer',
      'Bearer the-right-key-012345678',
      'Bearer the-right-key-0123456789x',
      'Basic the-right-key-0123456789',
      'the-right-key-0123456789',
      'Bearer a b',
    ]) {
      const err = await refusal(value);
      assert.ok(err, `${value} must be refused`);
      assert.equal(err.statusCode, 401);
      assert.match(err.headers['www-authenticate'] ?? '', /^Bearer realm="ispbox-ozmap"/);
      assert.equal(err.details[0]?.field, 'authorization');
      assert.doesNotMatch(JSON.stringify(err.body), /the-right-key/);
    }
  });
});

describe('failures to statuses', () => {
  const grpcError = (code: grpcStatus) =>
    Object.assign(new Error('grpc'), { code, details: 'x', metadata: new Metadata() });

  it('maps what the caller can fix to 4xx and what is on our side to 502/503', () => {
    const cases: Array<[unknown, number, string]> = [
      [new InvalidInputError([{ field: 'customer.code', message: 'must not be empty' }]), 400, 'invalid-input'],
      [new ConflictError('V-1', [{ field: 'holdDays', message: 'differs' }]), 409, 'conflict'],
      [new RejectedError('box x is not among the candidates'), 409, 'rejected'],
      [new ReservationNotFoundError('V-1'), 404, 'not-found'],
      [new ReservationFailedError('V-1', 'workflow failed'), 502, 'workflow-failed'],
      [grpcError(grpcStatus.UNAVAILABLE), 503, 'temporal-unavailable'],
      [grpcError(grpcStatus.DEADLINE_EXCEEDED), 503, 'temporal-unavailable'],
      [new Error('wrapped', { cause: grpcError(grpcStatus.CANCELLED) }), 503, 'temporal-unavailable'],
      [
        Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }),
        415,
        'unsupported-media-type',
      ],
      [
        Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }),
        413,
        'payload-too-large',
      ],
      [Object.assign(new Error('odd'), { statusCode: 431 }), 431, 'invalid-request'],
      [new TypeError('a bug'), 500, 'internal'],
    ];
    for (const [err, status, code] of cases) {
      const problem = toHttpProblem(err);
      assert.equal(problem.statusCode, status, String(err));
      assert.equal(problem.code, code);
    }
    assert.deepEqual(
      toHttpProblem(new InvalidInputError([{ field: 'customer.code', message: 'must not be empty' }])).details,
      [{ field: 'customer.code', message: 'must not be empty' }],
    );
    assert.equal(toHttpProblem(grpcError(grpcStatus.UNAVAILABLE)).headers['retry-after'], '5');
  });
});
