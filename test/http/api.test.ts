/**
 * The HTTP API over real loopback HTTP against the real dev server, the worker as a process and the OZmap simulator:
 * the whole life of a reservation (auto and manual), idempotent and conflicting creates, the 202 path, listing with
 * filters and pages, 401s, and 503 when Temporal is down. Every answer is checked against the served OpenAPI document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { findFreePort } from '../../scripts/dev-server.ts';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { externalIdFor, workflowIdFor } from '../../contract/ids.ts';
import { type ReservationState } from '../../contract/schemas.ts';
import type { ReservationPage } from '../../client/listing.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { eventually, propertiesOf, reservablePoints, setFaults } from '../support/world.ts';
import { ResponseContract, TEST_API_KEY, loadValidDocument, startApi, type ApiUnderTest } from '../support/http-api.ts';

const newId = () => `H-${randomUUID().slice(0, 8)}`;
const ONE = '/v1/reservations/{viabilityId}';
type ErrorBody = { error: string; message: string; details: Array<{ field: string; message: string }> };

describe('HTTP API against the dev server, worker and simulator', () => {
  let stack: Stack;
  let api: ApiUnderTest;
  let points: Array<{ lat: number; lng: number; boxId: string }>;
  before(async () => {
    stack = await startStack({ taskQueue: 'http' });
    api = await startApi(stack.reservations, stack.env);
    points = await reservablePoints(stack.world.ozmap, 8);
  });
  after(async () => {
    await api?.close();
    await stack?.stop();
  });

  const notStarted = async (viabilityId: string) =>
    assert.rejects(
      stack.client.workflow.getHandle(workflowIdFor(viabilityId)).describe(),
      /not found/i,
      `${viabilityId} must not have been started`,
    );

  it('serves a valid OpenAPI document, a docs page and a health check that sees the worker', async () => {
    assert.ok(Object.keys(api.contract.doc.paths).includes('/v1/reservations/{viabilityId}/selection'));
    const docs = await fetch(`${api.url}/docs`, { redirect: 'follow' });
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/i);
    const health = await api.call('GET', '/healthz', { auth: false });
    assert.equal(health.status, 200);
    assert.equal((health.body as { status: string }).status, 'ok');
    assert.ok((health.body as { workers: number }).workers >= 1);
  });

  it('refuses requests without the right bearer key (401 with WWW-Authenticate) and starts nothing', async () => {
    const id = newId();
    const body = {
      viabilityId: id,
      customer: { code: 'C-1', name: 'N' },
      coordinates: { lat: points[0]!.lat, lng: points[0]!.lng },
    };
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-key-wrong-key' },
      { authorization: `Basic ${TEST_API_KEY}` },
      { authorization: TEST_API_KEY },
      { authorization: `Bearer ${TEST_API_KEY}x` },
    ]) {
      const res = await api.call('POST', '/v1/reservations', { body, headers, auth: false });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
      assert.equal((res.body as ErrorBody).details[0]?.field, 'authorization');
    }
    for (const route of [ONE, `${ONE}/confirm`]) {
      const res = await api.call(route === ONE ? 'GET' : 'POST', route, { params: { viabilityId: id }, auth: false });
      assert.equal(res.status, 401);
    }
    assert.equal((await api.call('GET', '/v1/reservations', { auth: false })).status, 401);
    await notStarted(id);
  });

  it('auto mode: 201 RESERVED with Location; the same body again 200 with the same state; another body 409; confirm 202 → INSTALLED', async () => {
    const id = newId();
    const point = points[0]!;
    const body = {
      viabilityId: id,
      customer: { code: 'C-77', name: 'Maria Souza' },
      address: 'Rua Bocaiúva, 2125',
      coordinates: { lat: point.lat, lng: point.lng },
    };
    const created = await api.call('POST', '/v1/reservations', { body });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), `/v1/reservations/${id}`);
    const state = created.body as ReservationState;
    assert.equal(state.status, 'RESERVED');
    assert.equal(state.reservation?.boxId, point.boxId);

    const again = await api.call('POST', '/v1/reservations', { body: { ...body, radiusMeters: 250 } }); // the default, spelled out: same terms
    assert.equal(again.status, 200);
    assert.deepEqual((again.body as ReservationState).reservation, state.reservation);

    const other = await api.call('POST', '/v1/reservations', {
      body: { ...body, customer: { code: 'C-77', name: 'Outra Pessoa' }, holdDays: 5 },
    });
    assert.equal(other.status, 409, JSON.stringify(other.body));
    assert.deepEqual((other.body as ErrorBody).details.map((d) => d.field).sort(), ['customer.name', 'holdDays']);
    assert.equal((await propertiesOf(stack.world, externalIdFor(id))).length, 1, 'still one OZmap client');

    const read = await api.call('GET', ONE, { params: { viabilityId: id } });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, state);

    const confirm = await api.call('POST', `${ONE}/confirm`, {
      params: { viabilityId: id },
      body: { note: 'instalado' },
    });
    assert.equal(confirm.status, 202);
    assert.equal(confirm.headers.get('location'), `/v1/reservations/${id}`);
    await eventually(async () => {
      const res = await api.call('GET', ONE, { params: { viabilityId: id } });
      assert.equal((res.body as ReservationState).status, 'INSTALLED');
    });
    const [property] = await propertiesOf(stack.world, externalIdFor(id));
    assert.equal(property?.client?.implanted, true);
    // Ended: the same body still answers its (final) state; cancelling now is a conflict, not a 5xx.
    const final = await api.call('POST', '/v1/reservations', { body });
    assert.equal(final.status, 200);
    assert.equal((final.body as ReservationState).status, 'INSTALLED');
    const late = await api.call('POST', `${ONE}/cancel`, { params: { viabilityId: id } });
    assert.equal(late.status, 409);
    assert.equal((late.body as ErrorBody).error, 'already-ended');
  });

  it('manual mode: 201 AWAITING_SELECTION; a box that is not a candidate 409; the chosen box 200 RESERVED; cancel 202 → CANCELLED', async () => {
    const id = newId();
    const point = points[1]!;
    const created = await api.call('POST', '/v1/reservations', {
      body: {
        viabilityId: id,
        customer: { code: 'C-3', name: 'Z' },
        coordinates: { lat: point.lat, lng: point.lng },
        selection: 'manual',
        radiusMeters: 400,
      },
    });
    assert.equal(created.status, 201);
    const state = created.body as ReservationState;
    assert.equal(state.status, 'AWAITING_SELECTION');
    const chosen = state.candidates.at(-1)!;
    const port = chosen.splitters[0]!.freePorts.at(-1)!;

    const refused = await api.call('POST', `${ONE}/selection`, {
      params: { viabilityId: id },
      body: { boxId: 'not-a-candidate' },
    });
    assert.equal(refused.status, 409);
    assert.match((refused.body as ErrorBody).message, /not among the candidates/);
    const invalid = await api.call('POST', `${ONE}/selection`, {
      params: { viabilityId: id },
      body: { boxId: chosen.boxId, port: -1 },
    });
    assert.equal(invalid.status, 400);
    assert.equal((invalid.body as ErrorBody).details[0]?.field, 'port');

    const selected = await api.call('POST', `${ONE}/selection`, {
      params: { viabilityId: id },
      body: { boxId: chosen.boxId, splitterId: chosen.splitters[0]!.splitterId, port },
    });
    assert.equal(selected.status, 200);
    assert.equal((selected.body as ReservationState).reservation?.port, port);
    assert.equal((selected.body as ReservationState).reservation?.boxId, chosen.boxId);

    const cancel = await api.call('POST', `${ONE}/cancel`, {
      params: { viabilityId: id },
      body: { reason: 'cliente desistiu' },
    });
    assert.equal(cancel.status, 202);
    await eventually(async () => {
      const res = await api.call('GET', ONE, { params: { viabilityId: id } });
      assert.equal((res.body as ReservationState).status, 'CANCELLED');
    });
    assert.deepEqual(await propertiesOf(stack.world, externalIdFor(id)), []);
    // Ended: a selection is refused as ended (409), not answered as if the reservation never existed.
    const late = await api.call('POST', `${ONE}/selection`, {
      params: { viabilityId: id },
      body: { boxId: chosen.boxId },
    });
    assert.equal(late.status, 409, JSON.stringify(late.body));
    assert.equal((late.body as ErrorBody).error, 'already-ended');
  });

  it('lists through visibility: filters by customer code, status and expiry, in pages with an opaque token', async () => {
    const customerCode = `L-${randomUUID().slice(0, 6)}`;
    const ids = [newId(), newId(), newId()];
    for (const [i, id] of ids.entries()) {
      const point = points[2 + i]!;
      const res = await api.call('POST', '/v1/reservations', {
        body: {
          viabilityId: id,
          customer: { code: customerCode, name: `N${i}` },
          coordinates: { lat: point.lat, lng: point.lng },
        },
      });
      assert.equal(res.status, 201);
    }
    const cancelled = await api.call('POST', `${ONE}/cancel`, { params: { viabilityId: ids[0]! } });
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    const list = async (query: Record<string, string>) => {
      const res = await api.call('GET', '/v1/reservations', { query });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as ReservationPage;
    };
    await eventually(async () => {
      const reserved = await list({ customerCode, status: 'RESERVED' });
      assert.deepEqual(reserved.reservations.map((r) => r.viabilityId).sort(), [ids[1], ids[2]].sort());
      const cancelled = await list({ customerCode, status: 'CANCELLED' });
      assert.deepEqual(
        cancelled.reservations.map((r) => r.viabilityId),
        [ids[0]],
      );
    });
    const first = await list({ customerCode, pageSize: '2' });
    assert.equal(first.reservations.length, 2);
    assert.ok(first.nextPageToken, 'a token for the rest');
    const second = await list({ customerCode, pageSize: '2', pageToken: first.nextPageToken });
    assert.equal(second.reservations.length, 1);
    assert.equal(second.nextPageToken, undefined);
    assert.deepEqual([...first.reservations, ...second.reservations].map((r) => r.viabilityId).sort(), [...ids].sort());

    const soon = await list({ customerCode, expiresBefore: new Date(Date.now() + 3600_000).toISOString() });
    assert.deepEqual(soon.reservations, [], 'nothing expires within the hour');
    const later = await list({
      customerCode,
      status: 'RESERVED',
      expiresBefore: new Date(Date.now() + 31 * 86400_000).toISOString(),
    });
    assert.equal(later.reservations.length, 2);

    const badToken = await api.call('GET', '/v1/reservations', {
      query: { customerCode, pageToken: 'bm90LWEtdG9rZW4' },
    });
    assert.equal(badToken.status, 400);
    assert.equal((badToken.body as ErrorBody).details[0]?.field, 'pageToken');
    const bad = await api.call('GET', '/v1/reservations', { query: { status: 'SOLD', pageSize: '1000' } });
    assert.equal(bad.status, 400);
    assert.deepEqual((bad.body as ErrorBody).details.map((d) => d.field).sort(), ['pageSize', 'status']);
  });

  it('answers 202 with the state so far and a Location when the reservation takes longer than HTTP_WAIT_SECONDS', async () => {
    const slow = await startApi(stack.reservations, stack.env, { HTTP_WAIT_SECONDS: '1' });
    try {
      await setFaults(stack.world, { latencyMs: 2500 });
      const id = newId();
      const point = points[5]!;
      const started = Date.now();
      const res = await slow.call('POST', '/v1/reservations', {
        body: {
          viabilityId: id,
          customer: { code: 'C-9', name: 'Slow' },
          coordinates: { lat: point.lat, lng: point.lng },
        },
      });
      assert.equal(res.status, 202);
      assert.ok(Date.now() - started < 8000, `answered after ${Date.now() - started} ms`);
      assert.equal(res.headers.get('location'), `/v1/reservations/${id}`);
      assert.ok(
        ['SEARCHING', 'RESERVING'].includes((res.body as ReservationState).status),
        (res.body as ReservationState).status,
      );
      await setFaults(stack.world, { latencyMs: 0 });
      await eventually(async () => {
        const read = await slow.call('GET', ONE, { params: { viabilityId: id } });
        assert.equal((read.body as ReservationState).status, 'RESERVED');
      });
    } finally {
      await setFaults(stack.world, { latencyMs: 0 });
      await slow.close();
    }
  });

  it('racing creates: different bodies for a new viability get one 201 and one 409; identical ones the same reservation', async () => {
    const id = newId();
    const point = points[6]!;
    const body = (name: string) => ({
      viabilityId: id,
      customer: { code: 'C-R', name },
      coordinates: { lat: point.lat, lng: point.lng },
    });
    const answers = await Promise.all([
      api.call('POST', '/v1/reservations', { body: body('Ana') }),
      api.call('POST', '/v1/reservations', { body: body('Bia') }),
    ]);
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409], JSON.stringify(answers.map((a) => a.body)));
    const loser = answers.find((a) => a.status === 409)!;
    assert.deepEqual(
      (loser.body as ErrorBody).details.map((d) => d.field),
      ['customer.name'],
    );
    assert.equal((await propertiesOf(stack.world, externalIdFor(id))).length, 1);

    const same = newId();
    const twin = {
      viabilityId: same,
      customer: { code: 'C-T', name: 'Twin' },
      coordinates: { lat: points[7]!.lat, lng: points[7]!.lng },
    };
    const twins = await Promise.all([
      api.call('POST', '/v1/reservations', { body: twin }),
      api.call('POST', '/v1/reservations', { body: twin }),
    ]);
    for (const t of twins) assert.ok([200, 201].includes(t.status), String(t.status));
    assert.deepEqual((twins[0].body as ReservationState).reservation, (twins[1].body as ReservationState).reservation);
    assert.equal((await propertiesOf(stack.world, externalIdFor(same))).length, 1);
  });

  it('refuses invalid input with 400 naming the fields, and starts nothing', async () => {
    const id = newId();
    const res = await api.call('POST', '/v1/reservations', {
      body: { viabilityId: id, customer: { code: ' ', name: 'N' }, coordinates: { lat: 123, lng: 0 }, radiusMeters: 0 },
    });
    assert.equal(res.status, 400);
    assert.deepEqual((res.body as ErrorBody).details.map((d) => d.field).sort(), [
      'coordinates.lat',
      'customer.code',
      'radiusMeters',
    ]);
    const none = await api.call('POST', '/v1/reservations', {
      body: { viabilityId: id, customer: { code: 'C', name: 'N' } },
    });
    assert.equal(none.status, 400);
    assert.equal((none.body as ErrorBody).details[0]?.field, 'address');
    const unknown = await api.call('GET', ONE, { params: { viabilityId: 'nobody-here' } });
    assert.equal(unknown.status, 404);
    const badId = await api.call('GET', ONE, { params: { viabilityId: 'bad id!' } });
    assert.equal(badId.status, 400);
    assert.equal((badId.body as ErrorBody).details[0]?.field, 'viabilityId');
    const text = await api.call('POST', '/v1/reservations', {
      rawBody: 'viabilityId=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(text.status, 415);
    const malformed = await api.call('POST', '/v1/reservations', {
      rawBody: '{"viabilityId":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    const huge = await api.call('POST', '/v1/reservations', {
      rawBody: JSON.stringify({ viabilityId: id, pad: 'x'.repeat(100_000) }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(huge.status, 413);
    await notStarted(id);
  });
});

describe('HTTP API process with Temporal down', () => {
  it('starts, answers /healthz 503 and every API call 503 with Retry-After, quickly; 4xx stays 4xx', async () => {
    const [httpPort, closedPort] = await Promise.all([findFreePort(), findFreePort()]);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'api', 'main.ts')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: `127.0.0.1:${closedPort}`,
        HTTP_PORT: String(httpPort),
        ISPBOX_API_KEY: TEST_API_KEY,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    try {
      const url = `http://127.0.0.1:${httpPort}`;
      await eventually(() => Promise.resolve(assert.match(output, /\/docs/)), 30_000);
      const contract = new ResponseContract(await loadValidDocument(url));
      const call = async (method: string, route: string, pathname: string, body?: unknown, auth = true) => {
        const started = Date.now();
        const res = await fetch(`${url}${pathname}`, {
          method,
          headers: {
            ...(auth ? { authorization: `Bearer ${TEST_API_KEY}` } : {}),
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
        const json: unknown = await res.json();
        contract.check(method, route, res.status, json);
        return { status: res.status, body: json, headers: res.headers, ms: Date.now() - started };
      };
      const health = await call('GET', '/healthz', '/healthz', undefined, false);
      assert.equal(health.status, 503);
      assert.equal((health.body as { status: string }).status, 'temporal-unreachable');
      const create = await call('POST', '/v1/reservations', '/v1/reservations', {
        viabilityId: 'V-down',
        customer: { code: 'C', name: 'N' },
        address: 'Rua X',
      });
      assert.equal(create.status, 503, JSON.stringify(create.body));
      assert.equal(create.headers.get('retry-after'), '5');
      assert.ok(create.ms < 5000, `503 after ${create.ms} ms`);
      assert.equal((await call('GET', ONE, '/v1/reservations/V-down')).status, 503);
      assert.equal((await call('GET', '/v1/reservations', '/v1/reservations')).status, 503);
      assert.equal((await call('POST', `${ONE}/confirm`, '/v1/reservations/V-down/confirm', {})).status, 503);
      // Invalid input and missing keys never reach Temporal: still 4xx.
      assert.equal((await call('POST', '/v1/reservations', '/v1/reservations', { viabilityId: 'V-down' })).status, 400);
      assert.equal((await call('GET', ONE, '/v1/reservations/V-down', undefined, false)).status, 401);
      assert.doesNotMatch(output, new RegExp(TEST_API_KEY), 'the key never reaches the log');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
