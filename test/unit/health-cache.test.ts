/** /healthz is unauthenticated: its Temporal call is cached briefly, so a flood of probes makes one call. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { loadConfig } from '../../config/env.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import { ReservationInput } from '../../contract/schemas.ts';
import { buildHttpServer } from '../../api/server.ts';

describe('GET /healthz: cached answer', () => {
  let app: FastifyInstance;
  let calls = 0;
  let pollers: unknown[] = [{ identity: 'worker-1' }];
  // The Temporal boundary, stubbed: what the route asks of the client library.
  const reservations = {
    inputSchema: ReservationInput,
    within: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn(),
    pollers: async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return pollers;
    },
  } as unknown as ReservationsClient;

  before(async () => {
    app = await buildHttpServer({ reservations, config: loadConfig({}), logger: pino({ level: 'silent' }) });
  });
  after(async () => app.close());

  it('50 requests, concurrent then one by one, make one Temporal call', async () => {
    calls = 0;
    const concurrent = await Promise.all(Array.from({ length: 25 }, () => app.inject('/healthz')));
    for (let i = 0; i < 25; i++) concurrent.push(await app.inject('/healthz'));
    assert.equal(concurrent.length, 50);
    assert.ok(concurrent.every((r) => r.statusCode === 200 && r.json<{ workers: number }>().workers === 1));
    assert.equal(calls, 1);
  });

  it('asks Temporal again once the cached answer is a few seconds old', async (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() + 60_000 });
    calls = 0;
    pollers = [];
    const res = await app.inject('/healthz');
    assert.equal(res.statusCode, 503);
    assert.equal(calls, 1);
    pollers = [{ identity: 'worker-1' }];
  });
});
