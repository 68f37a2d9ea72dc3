/**
 * The HTTP API under test: built on a stack's client and listening on a random loopback port, plus a small caller
 * that checks every answer against the served OpenAPI document (an undocumented status, or a body that does not
 * match its documented schema, fails the test).
 */
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../config/env.ts';
import { buildHttpServer } from '../../api/server.ts';
import type { ReservationsClient } from '../../client/reservations.ts';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const TEST_API_KEY = 'test-ispbox-key-0123456789';

export interface OpenApiDocument {
  openapi: string;
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  components: { schemas: Record<string, unknown> };
}

/** Validates a response body against the document's schema for route + method + status. */
export class ResponseContract {
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly #cache = new Map<string, ValidateFunction>();
  checked = 0;

  constructor(readonly doc: OpenApiDocument) {
    addFormats(this.#ajv);
    this.#ajv.addSchema({ $id: 'openapi', components: doc.components });
  }

  check(method: string, route: string, status: number, body: unknown): void {
    const operation = this.doc.paths[route]?.[method.toLowerCase()];
    assert.ok(operation, `${method} ${route} is not in the OpenAPI document`);
    const response = operation.responses[String(status)];
    assert.ok(
      response,
      `${method} ${route} answered ${status}, which the OpenAPI document does not list (${Object.keys(operation.responses).join(', ')})`,
    );
    const key = `${method} ${route} ${status}`;
    let validate = this.#cache.get(key);
    if (!validate) {
      const schema = response.content?.['application/json']?.schema;
      assert.ok(schema, `${key}: no JSON schema in the document`);
      // The document's $refs point into its own components; ajv knows them as the schema "openapi".
      validate = this.#ajv.compile(
        JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object,
      );
      this.#cache.set(key, validate);
    }
    assert.ok(
      validate(body),
      `${key}: body does not match the documented schema: ${this.#ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
    );
    this.checked++;
  }
}

/** Fetches /openapi.json and checks it with an OpenAPI schema validator. */
export async function loadValidDocument(baseUrl: string): Promise<OpenApiDocument> {
  const res = await fetch(`${baseUrl}/openapi.json`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as OpenApiDocument;
  const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
  assert.ok(result.valid, `the OpenAPI document is not valid: ${JSON.stringify(result.errors)}`);
  return doc;
}

export interface ApiUnderTest {
  app: FastifyInstance;
  url: string;
  config: Config;
  contract: ResponseContract;
  call(
    method: string,
    route: string,
    options?: CallOptions,
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  close(): Promise<void>;
}

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Raw body text (sent as is). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Default true: send the test key. */
  auth?: boolean;
}

export async function startApi(
  reservations: ReservationsClient,
  env: NodeJS.ProcessEnv,
  extraEnv: Record<string, string> = {},
): Promise<ApiUnderTest> {
  const config = loadConfig({ ...env, ISPBOX_API_KEY: TEST_API_KEY, ...extraEnv });
  const app = await buildHttpServer({ reservations, config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address && typeof address === 'object');
  const url = `http://127.0.0.1:${address.port}`;
  const contract = new ResponseContract(await loadValidDocument(url));
  return {
    app,
    url,
    config,
    contract,
    async call(method, route, options = {}) {
      let path = route;
      for (const [name, value] of Object.entries(options.params ?? {}))
        path = path.replace(`{${name}}`, encodeURIComponent(value));
      const query = options.query ? `?${new URLSearchParams(options.query).toString()}` : '';
      const headers: Record<string, string> = {
        ...(options.auth === false ? {} : { authorization: `Bearer ${TEST_API_KEY}` }),
        ...options.headers,
      };
      let payload: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        payload = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(`${url}${path}${query}`, { method, headers, body: payload });
      const text = await res.text();
      assert.match(
        res.headers.get('content-type') ?? '',
        /application\/json/,
        `${method} ${path}: ${res.status} ${text.slice(0, 200)}`,
      );
      const body = JSON.parse(text) as unknown;
      contract.check(method, route, res.status, body);
      return { status: res.status, body, headers: res.headers };
    },
    close: () => app.close(),
  };
}
