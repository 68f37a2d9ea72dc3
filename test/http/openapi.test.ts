/**
 * The served OpenAPI document says what the API enforces, so that generated clients and API fuzzers (Schemathesis,
 * test/contract/) can rely on it: a body the document accepts is not refused for a rule it leaves out, the page token's
 * form is described, and links lead from a reservation's state to every operation on it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/env.ts';
import { buildHttpServer } from '../../api/server.ts';
import { openRegistry } from '../../registry/open.ts';
import type { TenantRegistry } from '../../registry/registry.ts';
import { fakeReservations } from '../support/fake-reservations.ts';
import { loadValidDocument, type OpenApiDocument } from '../support/http-api.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const KEY = 'openapi-test-key-0123456789';

interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: string; schema: Record<string, unknown>; description?: string }>;
  responses: Record<string, { links?: Record<string, { operationId: string; parameters: Record<string, string> }> }>;
}

describe('the OpenAPI document says what the API enforces', () => {
  let app: FastifyInstance;
  let doc: OpenApiDocument;
  let registry: TenantRegistry | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-openapi-'));
  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ path, method, op: op as unknown as Operation })),
    );
  before(async () => {
    // With the admin API on, as a deployment with tenants serves it: its routes are in the document too.
    const config = loadConfig({
      ISPBOX_API_KEY: KEY,
      LOG_LEVEL: 'silent',
      ADMIN_API_KEY: 'openapi-test-admin-key-0123456789',
      TENANT_SECRETS_KEY: randomBytes(32).toString('base64'),
      ISPBOX_OZMAP_DATA_DIR: dataDir,
    });
    registry = await openRegistry(config);
    app = await buildHttpServer({
      // Signals are accepted as the real library accepts them.
      reservations: Object.assign(fakeReservations().reservations, {
        confirm: () => Promise.resolve(),
        cancel: () => Promise.resolve(),
      }),
      config,
      logger: false,
      registry,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    doc = await loadValidDocument(`http://127.0.0.1:${port}`);
  });
  after(async () => {
    await app?.close();
    await registry?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the admin API under its own scheme, every operation named', () => {
    const admin = operations().filter((o) => o.path.startsWith('/v1/admin/'));
    assert.deepEqual(admin.map((o) => o.op.operationId).sort(), [
      'createTenantKey',
      'getTenant',
      'listTenants',
      'putTenant',
      'resealSecrets',
      'revokeTenantKey',
    ]);
    for (const { op } of admin) assert.deepEqual((op as { security?: unknown }).security, [{ admin: [] }]);
  });

  it('a reservation needs an address or coordinates, in the schema as in the API', async () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ $id: 'openapi', components: doc.components });
    const matches = ajv.compile({ $ref: 'openapi#/components/schemas/ReservationInput' });
    const base = { viabilityId: 'V-1', customer: { code: 'C-1', name: 'N' } };
    for (const [body, valid] of [
      [base, false],
      [{ ...base, address: 'Rua Bocaiúva, 2125' }, true],
      [{ ...base, coordinates: { lat: -27.5, lng: -48.5 } }, true],
      [{ ...base, address: 'Rua Bocaiúva, 2125', coordinates: { lat: -27.5, lng: -48.5 } }, true],
    ] as const) {
      assert.equal(matches(body), valid, `the document on ${JSON.stringify(body)}`);
      const res = await app.inject({
        method: 'POST',
        url: '/v1/reservations',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      assert.equal(res.statusCode !== 400, valid, `the API on ${JSON.stringify(body)}: ${res.statusCode} ${res.body}`);
    }
  });

  it('describes the page token: opaque, base64url, at most 4096 characters, both ways', () => {
    const list = doc.paths['/v1/reservations']!.get as unknown as Operation;
    const pageToken = list.parameters?.find((p) => p.name === 'pageToken');
    assert.ok(pageToken, 'pageToken is a documented query parameter');
    assert.match(pageToken.description ?? '', /opaque/i);
    assert.equal(pageToken.schema.maxLength, 4096);
    assert.equal(typeof pageToken.schema.pattern, 'string');
    const page = doc.components.schemas.ReservationPage as { properties: Record<string, Record<string, unknown>> };
    const next = page.properties.nextPageToken!;
    assert.match(String(next.description), /opaque/i);
    assert.equal(next.maxLength, 4096);
    assert.equal(next.pattern, pageToken.schema.pattern);
  });

  it('a body the API lets out is optional in the document (confirm, cancel), every other body required', async () => {
    for (const { path, method, op } of operations()) {
      const body = (op as { requestBody?: { required?: boolean } }).requestBody;
      if (!body) continue;
      const optional = ['confirmSale', 'cancelReservation'].includes(op.operationId ?? '');
      assert.equal(body.required, !optional, `${method} ${path}: requestBody.required`);
      if (!optional) continue;
      const res = await app.inject({
        method: 'POST',
        url: path.replace('{viabilityId}', 'V-1'),
        headers: { authorization: `Bearer ${KEY}` },
      });
      assert.equal(res.statusCode, 202, `${path} without a body: ${res.body}`);
    }
  });

  it("links lead from a reservation's state to every operation on it", () => {
    const byId = new Map(operations().map((o) => [o.op.operationId, o]));
    const onOne = operations().filter((o) => o.path.startsWith('/v1/reservations/{viabilityId}'));
    assert.equal(onOne.length, 8);
    for (const [path, method, statuses] of [
      ['/v1/reservations', 'post', ['200', '201', '202']],
      ['/v1/reservations/{viabilityId}', 'get', ['200']],
    ] as const) {
      const op = doc.paths[path]![method] as unknown as Operation;
      for (const status of statuses) {
        const links = Object.values(op.responses[status]?.links ?? {});
        assert.deepEqual(
          links.map((l) => l.operationId).sort(),
          onOne.map((o) => o.op.operationId).sort(),
          `${method} ${path} ${status}`,
        );
        for (const link of links) {
          const target = byId.get(link.operationId);
          assert.ok(target, `${link.operationId} is an operation of the document`);
          assert.deepEqual(link.parameters, { viabilityId: '$response.body#/viabilityId' });
          assert.ok(target.op.parameters?.some((p) => p.in === 'path' && p.name === 'viabilityId'));
        }
      }
    }
  });
});
