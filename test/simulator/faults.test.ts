/** Fault injection (latency, 503s, connection resets, before or after the change) and the /__sim/ controls. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, afterEach, before, describe, it } from 'node:test';
import type { FaultConfig } from '../../simulator/faults.ts';
import type { PropertyView } from '../../simulator/model.ts';
import { type ErrorBody, type TestSimulator, isolatedBox, reservationBody, startTestSimulator } from './support.ts';

/** The error fetch (undici) reports when the server resets the connection. */
async function connectionError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error as Error).message;
  }
  assert.fail('expected the connection to fail');
}

describe('fault injection and /__sim/ controls', () => {
  let sim: TestSimulator;
  before(async () => {
    sim = await startTestSimulator({ stateFile: undefined });
  });
  afterEach(() => {
    sim.setFaults({
      latencyMs: 0,
      latencyJitterMs: 0,
      errorRate: 0,
      resetRate: 0,
      phase: 'before',
      methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
      lateCreates: 0,
      lateCreateMs: 0,
      lateCreateRoute: 'properties',
    });
    sim.stats.reset();
    sim.reset();
  });
  after(async () => {
    await sim.stop();
    assert.deepEqual(sim.logs, [], 'no unexpected server errors');
  });

  it('starts with the faults it was given', async () => {
    const other = await startTestSimulator({ stateFile: undefined, faults: { errorRate: 1 } });
    try {
      assert.equal((await other.get('/api/v2/authenticated')).status, 503);
      assert.throws(() => other.setFaults({ errorRate: 2 }), /between 0 and 1/);
    } finally {
      await other.stop();
    }
  });

  it('errorRate 1 answers every /api/v2 request 503 JSON, but never /search or /__sim/', async () => {
    const put = await sim.call<FaultConfig>('PUT', '/__sim/faults', { body: { errorRate: 1 } });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body, {
      latencyMs: 0,
      latencyJitterMs: 0,
      errorRate: 1,
      resetRate: 0,
      phase: 'before',
      methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
      lateCreates: 0,
      lateCreateMs: 0,
      lateCreateRoute: 'properties',
    });
    const reply = await sim.get<ErrorBody>('/api/v2/boxes');
    assert.equal(reply.status, 503);
    assert.match(reply.body.message, /simulated fault/);
    assert.equal(reply.headers.get('retry-after'), '1');
    assert.equal((await fetch(`${sim.url}/search?format=json&q=Rua%20Deodoro%2010`)).status, 200);
    assert.equal((await sim.get('/__sim/summary')).status, 200);
  });

  it('phase before refuses the change: a faulted reservation leaves the port free', async () => {
    const { box, drop } = isolatedBox(sim);
    sim.setFaults({ errorRate: 1, phase: 'before' });
    assert.equal((await sim.post('/api/v2/properties', reservationBody(box, drop, 3, 'F-1'))).status, 503);
    sim.setFaults({ errorRate: 0 });
    assert.deepEqual((await sim.get<PropertyView[]>('/api/v2/properties/client/F-1')).body, []);
    assert.deepEqual(sim.summary().isolatedBox?.freePorts, [3, 6, 8]);
  });

  it('phase after applies the change and then fails the answer (503 or reset), as a lost response would', async () => {
    const { box, drop } = isolatedBox(sim);
    sim.setFaults({ errorRate: 1, phase: 'after' });
    assert.equal((await sim.post('/api/v2/properties', reservationBody(box, drop, 3, 'F-2'))).status, 503);
    sim.setFaults({ errorRate: 0, resetRate: 1 });
    const reset = await connectionError(sim.post('/api/v2/properties', reservationBody(box, drop, 6, 'F-3')));
    assert.match(reset, /ECONNRESET|UND_ERR_SOCKET|other side closed/);
    sim.setFaults({ resetRate: 0 });
    const [first] = (await sim.get<PropertyView[]>('/api/v2/properties/client/F-2')).body;
    const [second] = (await sim.get<PropertyView[]>('/api/v2/properties/client/F-3')).body;
    assert.equal(first?.connections[0]?.port, 3);
    assert.equal(second?.connections[0]?.port, 6);
    const retry = await sim.post<ErrorBody>('/api/v2/properties', reservationBody(box, drop, 3, 'F-2'));
    assert.equal(
      retry.status,
      422,
      'a blind retry finds its own port taken: callers must look the reservation up first',
    );
  });

  it('lateCreates holds the next create lateCreateMs and then applies it, after its caller has given up', async () => {
    const { box, drop } = isolatedBox(sim);
    sim.setFaults({ lateCreates: 1, lateCreateMs: 600 });
    const started = Date.now();
    // The caller gives up long before the create lands, as the OZmap client's timeout would.
    const gaveUp = await connectionError(
      fetch(`${sim.url}/api/v2/properties`, {
        method: 'POST',
        headers: { authorization: sim.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify(reservationBody(box, drop, 3, 'L-1')),
        signal: AbortSignal.timeout(100),
      }),
    );
    assert.match(gaveUp, /abort|timeout/i);
    assert.deepEqual((await sim.get<PropertyView[]>('/api/v2/properties/client/L-1')).body, [], 'not applied yet');
    // Only the next create is late: another one goes through at once.
    assert.equal((await sim.post('/api/v2/properties', reservationBody(box, drop, 6, 'L-2'))).status, 201);
    assert.equal(sim.faults.config.lateCreates, 0, 'the late create was taken');
    for (let i = 0; i < 50 && Date.now() - started < 5000; i++) {
      const rows = (await sim.get<PropertyView[]>('/api/v2/properties/client/L-1')).body;
      if (rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const [late] = (await sim.get<PropertyView[]>('/api/v2/properties/client/L-1')).body;
    assert.equal(late?.connections[0]?.port, 3, 'the late create landed on its port');
    assert.ok(Date.now() - started >= 600, 'not before lateCreateMs');
    assert.equal(sim.stats.snapshot().faults.late, 1);
  });

  it('resetRate 1 resets the connection without an answer (ECONNRESET to a plain HTTP client)', async () => {
    sim.setFaults({ resetRate: 1 });
    assert.match(await connectionError(sim.get('/api/v2/boxes')), /ECONNRESET|UND_ERR_SOCKET|other side closed/);
    const code = await new Promise<string>((resolve) => {
      const req = httpRequest(`${sim.url}/api/v2/authenticated`, { headers: { authorization: sim.apiKey } }, () =>
        resolve('answered'),
      );
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      req.end();
    });
    assert.equal(code, 'ECONNRESET');
    assert.equal(sim.stats.snapshot().faults.reset, 2);
  });

  it('methods limits errors and resets to those methods', async () => {
    sim.setFaults({ resetRate: 1, methods: ['POST'] });
    assert.equal((await sim.get('/api/v2/boxes?limit=1')).status, 200, 'a GET goes through');
    assert.match(
      await connectionError(sim.post('/api/v2/ftth-clients', { code: 'M-1', name: 'N' })),
      /ECONNRESET|UND_ERR_SOCKET|other side closed/,
    );
    assert.equal(sim.stats.snapshot().faults.reset, 1);
  });

  it('adds latency (with jitter) before answering', async () => {
    sim.setFaults({ latencyMs: 150, latencyJitterMs: 50 });
    const started = performance.now();
    assert.equal((await sim.get('/api/v2/authenticated')).status, 200);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 145 && elapsed < 1500, `took ${elapsed} ms`);
    assert.equal(sim.stats.snapshot().faults.delayed >= 1, true);
  });

  it('rates between 0 and 1 fail about that share of requests', async () => {
    sim.setFaults({ errorRate: 0.5 });
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => sim.get('/api/v2/authenticated').then((r) => r.status)),
    );
    const failed = statuses.filter((s) => s === 503).length;
    assert.ok(failed > 50 && failed < 150, `${failed} of 200 failed`);
    assert.ok(statuses.every((s) => s === 200 || s === 503));
  });

  it('PUT /__sim/faults validates partial updates and refuses unknown keys, naming each field', async () => {
    const bad = await sim.call<ErrorBody>('PUT', '/__sim/faults', {
      body: { errorRate: 2, phase: 'during', latency: 5 },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors?.map((e) => e.field).sort(), ['(body)', 'errorRate', 'phase']);
    assert.equal((await sim.call('PUT', '/__sim/faults', { body: '[' })).status, 400);
    assert.equal((await sim.call('PUT', '/__sim/faults')).status, 400);
    const partial = await sim.call<FaultConfig>('PUT', '/__sim/faults', { body: { latencyMs: 5 } });
    assert.deepEqual(partial.body, {
      latencyMs: 5,
      latencyJitterMs: 0,
      errorRate: 0,
      resetRate: 0,
      phase: 'before',
      methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
      lateCreates: 0,
      lateCreateMs: 0,
      lateCreateRoute: 'properties',
    });
    assert.deepEqual((await sim.get<FaultConfig>('/__sim/faults')).body, partial.body);
  });

  it('GET /__sim/stats counts requests by route pattern, statuses and faults; POST /__sim/stats/reset clears them', async () => {
    await sim.call('POST', '/__sim/stats/reset');
    const { box } = isolatedBox(sim);
    await sim.get(`/api/v2/boxes/${box.id}`);
    await sim.get('/api/v2/boxes/0123456789abcdef01234567');
    await sim.get('/api/v2/properties/client/X');
    await sim.get('/api/v2/nothing-here');
    sim.setFaults({ errorRate: 1 });
    await sim.get('/api/v2/boxes');
    const stats = (
      await sim.get<{
        totalRequests: number;
        requests: Record<string, number>;
        statuses: Record<string, number>;
        faults: Record<string, number>;
      }>('/__sim/stats')
    ).body;
    assert.deepEqual(stats.requests, {
      'GET /api/v2/(unknown)': 1,
      'GET /api/v2/boxes': 1,
      'GET /api/v2/boxes/:id': 2,
      'GET /api/v2/properties/client/:code': 1,
    });
    assert.equal(stats.totalRequests, 5);
    assert.deepEqual(stats.statuses, { '200': 2, '404': 2, '503': 1 });
    assert.equal(stats.faults.error, 1);
    const cleared = await sim.call<{ totalRequests: number }>('POST', '/__sim/stats/reset');
    assert.equal(cleared.body.totalRequests, 0);
  });

  it('counts a late create as held until OZmap applies it (lateInFlight), then 0', async () => {
    const { box, drop } = isolatedBox(sim);
    sim.setFaults({ lateCreates: 1, lateCreateMs: 400 });
    const create = sim.post('/api/v2/properties', reservationBody(box, drop, 3, 'L-1'));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await sim.get<{ lateInFlight: number }>('/__sim/stats')).body.lateInFlight, 1, 'held');
    assert.deepEqual((await sim.get<PropertyView[]>('/api/v2/properties/client/L-1')).body, [], 'not applied yet');
    assert.equal((await create).status, 201);
    const stats = (await sim.get<{ lateInFlight: number; faults: { late: number } }>('/__sim/stats')).body;
    assert.equal(stats.lateInFlight, 0, 'applied');
    assert.equal(stats.faults.late, 1);
    assert.equal((await sim.get<PropertyView[]>('/api/v2/properties/client/L-1')).body.length, 1);
  });

  it('GET /__sim/summary reports boxes, free ports and clients; POST /__sim/reset reseeds', async () => {
    const { box, drop } = isolatedBox(sim);
    const before = (await sim.get<ReturnType<TestSimulator['summary']>>('/__sim/summary')).body;
    assert.equal(before.isolatedBox?.name, 'CTO-9001');
    assert.deepEqual(before.isolatedBox?.freePorts, [3, 6, 8]);
    assert.equal(before.clients.total, before.clients.implanted + before.clients.notImplanted);
    await sim.post('/api/v2/properties', reservationBody(box, drop, 3, 'S-1'));
    const during = (await sim.get<typeof before>('/__sim/summary')).body;
    assert.deepEqual(
      [during.clients.notImplanted, during.dropPorts.free],
      [before.clients.notImplanted + 1, before.dropPorts.free - 1],
    );
    const state = (
      await sim.get<{
        properties: Array<{ external_id?: string; client: string | null }>;
        clients: Array<{ id: string }>;
      }>('/__sim/state')
    ).body;
    assert.equal(state.properties.length, during.properties);
    assert.equal(state.clients.length, during.clients.total);
    const reserved = state.properties.filter((p) => p.external_id === 'ispbox2:S-1');
    assert.equal(reserved.length, 1, 'the state shows the new property, with its marker');
    assert.ok(
      state.clients.some((c) => c.id === reserved[0]!.client),
      'and its client',
    );
    const reset = await sim.call<typeof before>('POST', '/__sim/reset');
    assert.equal(reset.status, 200);
    assert.deepEqual(reset.body, before);
    const reseeded = await sim.call<typeof before>('POST', '/__sim/reset', { body: { seed: 7 } });
    assert.equal(reseeded.body.seed, 7);
    assert.notEqual(reseeded.body.isolatedBox?.id, before.isolatedBox?.id);
    assert.equal((await sim.call('POST', '/__sim/reset', { body: { seed: 'x' } })).status, 400);
    await sim.call('POST', '/__sim/reset', { body: { seed: before.seed } });
    assert.equal((await sim.get('/__sim/nothing')).status, 404);
  });
});
