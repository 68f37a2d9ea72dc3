import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  ListReservationsQuery,
  decodePageToken,
  encodePageToken,
  pageTokenKey,
  visibilityQuery,
} from '../../client/listing.ts';

describe('listing reservations', () => {
  it('builds one visibility query from the filters, always scoped to the workflow type', () => {
    assert.equal(visibilityQuery({}, 'ReservationWorkflow'), 'WorkflowType = "ReservationWorkflow"');
    assert.equal(
      visibilityQuery(
        { status: 'RESERVED', customerCode: 'C-77', expiresBefore: '2026-12-31T00:00:00-03:00' },
        'ReservationWorkflow',
      ),
      'WorkflowType = "ReservationWorkflow" AND ReservationStatus = "RESERVED" AND CustomerCode = "C-77" AND ReservationExpiresAt < "2026-12-31T03:00:00.000Z"',
    );
  });

  it('quotes a customer code so it cannot widen the query', () => {
    const q = visibilityQuery({ customerCode: 'x" OR WorkflowType != "y' }, 'ReservationWorkflow');
    assert.equal(q, 'WorkflowType = "ReservationWorkflow" AND CustomerCode = "x\\" OR WorkflowType != \\"y"');
  });

  it('names the field of each bad filter', () => {
    const result = ListReservationsQuery.safeParse({
      status: 'SOLD',
      expiresBefore: 'tomorrow',
      pageSize: '1000',
      pageToken: '%%',
      colour: 'red',
    });
    assert.equal(result.success, false);
    const fields = result.error.issues.map((i) => i.path.join('.') || String((i as { keys?: string[] }).keys));
    for (const field of ['status', 'expiresBefore', 'pageSize', 'pageToken', 'colour'])
      assert.ok(fields.includes(field), `${field} in ${fields.join(', ')}`);
  });

  it('accepts strings for the page size, as query strings give them', () => {
    assert.deepEqual(ListReservationsQuery.parse({ pageSize: '5' }), { pageSize: 5 });
  });
});

describe('page tokens', () => {
  const query = visibilityQuery({ customerCode: 'C-77' }, 'ReservationWorkflow');
  const server = new Uint8Array([123, 34, 0, 255, 7]);
  const key = pageTokenKey('ispbox-test-key-0123456789');

  it('carry the server token through unchanged', () => {
    assert.deepEqual(decodePageToken(key, query, encodePageToken(key, query, server)), Buffer.from(server));
  });

  it('are refused when mangled, made up, or taken from a listing with other filters', () => {
    const token = encodePageToken(key, query, server);
    assert.equal(
      decodePageToken(key, visibilityQuery({ customerCode: 'C-78' }, 'ReservationWorkflow'), token),
      undefined,
    );
    assert.equal(decodePageToken(key, query, 'bm90LWEtdG9rZW4'), undefined);
    assert.equal(decodePageToken(key, query, token.slice(0, -3)), undefined);
    assert.equal(decodePageToken(key, query, ''), undefined);
  });

  it('are keyed: a token forged with an unkeyed hash, or made with another key, is refused', () => {
    const t = Buffer.from('forged-server-token').toString('base64url');
    const c = createHash('sha256').update(query).update('\0').update(t).digest('base64url').slice(0, 22);
    const forged = Buffer.from(JSON.stringify({ t, c })).toString('base64url');
    assert.equal(decodePageToken(key, query, forged), undefined);
    const other = encodePageToken(pageTokenKey('another-key-0123456789abc'), query, server);
    assert.equal(decodePageToken(key, query, other), undefined);
  });
});
