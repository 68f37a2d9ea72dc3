/**
 * The living reservation over HTTP (POST /v1/reservations/{id}/box and /extension) against the dev server, the worker
 * as a process and the OZmap simulator: a move keeps the same OZmap client and frees the old port, an extension
 * moves expiresAt, refusals are 409 with the reason, an unknown viability 404, a bad body 400 naming the field.
 * Every answer is checked against the served OpenAPI document.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { externalIdFor } from '../../contract/ids.ts';
import { DAY_MS } from '../../contract/defaults.ts';
import { type ReservationState } from '../../contract/schemas.ts';
import { distanceMeters } from '../../activities/geo.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { propertiesOf, reservablePoints, simGet } from '../support/world.ts';
import { startApi, type ApiUnderTest } from '../support/http-api.ts';
import { PER_VIABILITY_PER_MINUTE } from '../../api/rate-limits.ts';

const newId = () => `L-${randomUUID().slice(0, 8)}`;
const BOX = '/v1/reservations/{viabilityId}/box';
const EXTENSION = '/v1/reservations/{viabilityId}/extension';
type ErrorBody = { error: string; message: string; details: Array<{ field: string; message: string }> };

describe('HTTP: moving a reservation and extending its hold', () => {
  let stack: Stack;
  let api: ApiUnderTest;
  let points: Array<{ lat: number; lng: number; boxId: string }>;
  before(async () => {
    stack = await startStack({ taskQueue: 'http-living' });
    api = await startApi(stack.reservations, stack.env);
    points = await reservablePoints(stack.world.ozmap, 6, 300);
  });
  after(async () => {
    await api?.close();
    await stack?.stop();
  });

  const reserve = async (point: { lat: number; lng: number }, radiusMeters = 250) => {
    const viabilityId = newId();
    const created = await api.call('POST', '/v1/reservations', {
      body: {
        viabilityId,
        customer: { code: 'C-77', name: 'Maria Souza' },
        coordinates: { lat: point.lat, lng: point.lng },
        radiusMeters,
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const state = created.body as ReservationState;
    assert.equal(state.status, 'RESERVED');
    return state;
  };
  const outputOf = async (splitterId: string, port: number) =>
    (await simGet<{ connectables: { output: Array<string | null> } }>(stack.world, `/api/v2/splitters/${splitterId}`))
      .connectables.output[port - 1];

  it('documents both routes with their answers and request examples', () => {
    for (const route of [BOX, EXTENSION]) {
      const operation = api.contract.doc.paths[route]?.post;
      assert.ok(operation, `${route} is in the document`);
      for (const status of ['200', '400', '401', '404', '409'])
        assert.ok(operation.responses[status], `${route} ${status}`);
    }
    const schemas = api.contract.doc.components.schemas as Record<string, { examples?: unknown[] }>;
    assert.ok((schemas.ChangeBoxInput?.examples?.length ?? 0) > 0, 'ChangeBoxInput has examples');
    assert.ok((schemas.ExtendHoldInput?.examples?.length ?? 0) > 0, 'ExtendHoldInput has examples');
  });

  it('moves to another box in the radius: 200, same client and property on the new port, the old port freed', async () => {
    const state = await reserve(points[0]!, 400);
    const before = state.reservation!;
    const target = state.candidates.find((c) => c.boxId !== before.boxId);
    assert.ok(target, 'another candidate box within 400 m');
    const moved = await api.call('POST', BOX, {
      params: { viabilityId: state.viabilityId },
      body: { boxId: target.boxId, reason: 'caixa do outro lado da rua' },
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const after = (moved.body as ReservationState).reservation!;
    assert.equal(after.boxId, target.boxId);
    assert.equal(after.splitterId, target.splitters[0]!.splitterId);
    assert.equal(after.port, target.splitters[0]!.freePorts[0]);
    for (const kept of ['clientId', 'propertyId', 'reservedAt', 'expiresAt'] as const)
      assert.equal(after[kept], before[kept], kept);
    const [change] = (moved.body as ReservationState).changes ?? [];
    assert.equal(change?.kind, 'box');
    assert.equal(change?.reason, 'caixa do outro lado da rua');
    assert.equal(change?.kind === 'box' && change.from.port, before.port);

    // OZmap agrees: one property, on the new port; the old port is free again.
    const properties = await propertiesOf(stack.world, externalIdFor(state.viabilityId));
    assert.equal(properties.length, 1);
    assert.equal(properties[0]!.box, target.boxId);
    assert.deepEqual(
      properties[0]!.connections.map((c) => [c.id, c.port]),
      [[after.splitterId, after.port]],
    );
    assert.notEqual(await outputOf(after.splitterId, after.port), null);
    assert.equal(await outputOf(before.splitterId, before.port), null, 'the old port is free');

    const read = await api.call('GET', '/v1/reservations/{viabilityId}', {
      params: { viabilityId: state.viabilityId },
    });
    assert.deepEqual((read.body as ReservationState).reservation, after);
  });

  it('refuses a box outside the radius and the port already held (409 with the reason), and changes nothing', async () => {
    const state = await reserve(points[1]!);
    const r = state.reservation!;
    const far = points.find((p) => distanceMeters(p, points[1]!) > 600)!;
    const outside = await api.call('POST', BOX, {
      params: { viabilityId: state.viabilityId },
      body: { boxId: far.boxId },
    });
    assert.equal(outside.status, 409, JSON.stringify(outside.body));
    assert.equal((outside.body as ErrorBody).error, 'rejected');
    assert.match((outside.body as ErrorBody).message, /not within the reservation's radius of 250 m/);
    const same = await api.call('POST', BOX, {
      params: { viabilityId: state.viabilityId },
      body: { boxId: r.boxId, splitterId: r.splitterId, port: r.port },
    });
    assert.equal(same.status, 409);
    assert.match((same.body as ErrorBody).message, /already on port/);
    const read = await api.call('GET', '/v1/reservations/{viabilityId}', {
      params: { viabilityId: state.viabilityId },
    });
    assert.deepEqual((read.body as ReservationState).reservation, r);
    assert.equal((read.body as ReservationState).changes, undefined);
  });

  it('extends the hold: 200 with expiresAt later by the days; beyond 90 days after reservedAt, 409 naming the limit', async () => {
    const state = await reserve(points[2]!);
    const r = state.reservation!;
    const extended = await api.call('POST', EXTENSION, {
      params: { viabilityId: state.viabilityId },
      body: { days: 15, reason: 'cliente pediu mais prazo' },
    });
    assert.equal(extended.status, 200, JSON.stringify(extended.body));
    const after = (extended.body as ReservationState).reservation!;
    assert.equal(Date.parse(after.expiresAt) - Date.parse(r.expiresAt), 15 * DAY_MS);
    assert.deepEqual((extended.body as ReservationState).changes?.[0], {
      kind: 'extension',
      at: (extended.body as ReservationState).changes?.[0]?.at,
      reason: 'cliente pediu mais prazo',
      from: { expiresAt: r.expiresAt },
      to: { expiresAt: after.expiresAt },
    });
    // 30 + 15 days held: 50 more would end 95 days after reservedAt.
    const tooLong = await api.call('POST', EXTENSION, {
      params: { viabilityId: state.viabilityId },
      body: { days: 50 },
    });
    assert.equal(tooLong.status, 409, JSON.stringify(tooLong.body));
    assert.match((tooLong.body as ErrorBody).message, /90 days/);
    const read = await api.call('GET', '/v1/reservations/{viabilityId}', {
      params: { viabilityId: state.viabilityId },
    });
    assert.equal(
      (read.body as ReservationState).reservation?.expiresAt,
      after.expiresAt,
      'the refusal changed nothing',
    );
  });

  it('paces moves per viability: past the limit 429 with Retry-After, before the workflow is asked', async () => {
    const state = await reserve(points[4]!);
    const far = points.find((p) => distanceMeters(p, points[4]!) > 600)!;
    const move = () =>
      api.call('POST', BOX, { params: { viabilityId: state.viabilityId }, body: { boxId: far.boxId } });
    for (let i = 0; i < PER_VIABILITY_PER_MINUTE.move; i++) assert.equal((await move()).status, 409);
    const paced = await move();
    assert.equal(paced.status, 429, JSON.stringify(paced.body));
    assert.equal((paced.body as ErrorBody).error, 'too-many-requests');
    assert.ok(Number(paced.headers.get('retry-after')) > 0);
    const { historyLength } = await stack.client.workflow.getHandle(`reservation-${state.viabilityId}`).describe();
    const again = await move();
    assert.equal(again.status, 429);
    const after = await stack.client.workflow.getHandle(`reservation-${state.viabilityId}`).describe();
    assert.equal(after.historyLength, historyLength, 'a paced move reaches nothing');
    // Extensions have their own count.
    const extended = await api.call('POST', EXTENSION, {
      params: { viabilityId: state.viabilityId },
      body: { days: 1 },
    });
    assert.equal(extended.status, 200);
  });

  it('refuses a hold beyond RESERVATION_MAX_HOLD_DAYS or of a fraction of a day: 400 naming holdDays', async () => {
    const schema = (
      api.contract.doc.components.schemas.ReservationInput as {
        properties: { holdDays: { type: string; maximum: number } };
      }
    ).properties.holdDays;
    assert.deepEqual([schema.type, schema.maximum], ['integer', 90], 'the document shows the bound');
    for (const holdDays of [365, 91, 1e-9, 1.5]) {
      const res = await api.call('POST', '/v1/reservations', {
        body: {
          viabilityId: newId(),
          customer: { code: 'C-77', name: 'Maria Souza' },
          coordinates: { lat: points[5]!.lat, lng: points[5]!.lng },
          holdDays,
        },
      });
      assert.equal(res.status, 400, `holdDays ${holdDays}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(
        (res.body as ErrorBody).details.map((d) => d.field),
        ['holdDays'],
      );
    }
  });

  it('a cancelled reservation is refused (409), an unknown viability 404, bad bodies 400 naming the field', async () => {
    const state = await reserve(points[3]!);
    await stack.reservations.cancel(state.viabilityId, { reason: 'cliente desistiu' });
    await stack.reservations.result(state.viabilityId);
    for (const [route, body] of [
      [BOX, { boxId: state.reservation!.boxId }],
      [EXTENSION, { days: 5 }],
    ] as const) {
      const ended = await api.call('POST', route, { params: { viabilityId: state.viabilityId }, body });
      assert.equal(ended.status, 409, `${route} on an ended reservation: ${JSON.stringify(ended.body)}`);
      const unknown = await api.call('POST', route, { params: { viabilityId: newId() }, body });
      assert.equal(unknown.status, 404, `${route}: ${JSON.stringify(unknown.body)}`);
      assert.equal((unknown.body as ErrorBody).error, 'not-found');
      const noKey = await api.call('POST', route, { params: { viabilityId: state.viabilityId }, body, auth: false });
      assert.equal(noKey.status, 401);
    }
    const bad: Array<[string, unknown, string]> = [
      [BOX, {}, 'boxId'],
      [BOX, { boxId: '' }, 'boxId'],
      [BOX, { boxId: 'b', port: 0 }, 'port'],
      [BOX, { boxId: 'b', port: 'três' }, 'port'],
      [BOX, { boxId: 'b', viabilityId: 'V-9' }, '(body)'],
      [EXTENSION, { days: 0 }, 'days'],
      [EXTENSION, { days: 1.5 }, 'days'],
      [EXTENSION, { days: 91 }, 'days'],
      [EXTENSION, { days: 5, reason: 'x'.repeat(501) }, 'reason'],
    ];
    for (const [route, body, field] of bad) {
      const res = await api.call('POST', route, { params: { viabilityId: state.viabilityId }, body });
      assert.equal(res.status, 400, `${route} ${JSON.stringify(body)}`);
      assert.deepEqual(
        (res.body as ErrorBody).details.map((d) => d.field),
        [field],
        `${route} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`,
      );
    }
  });
});
