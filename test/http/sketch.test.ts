/**
 * GET /v1/reservations/{viabilityId}/sketch.svg and …/sketch.pdf over real loopback HTTP: their types and headers
 * (an SVG that can never run script), the same key, tenant and answers as GET state (404, 401, 400), 409 without a
 * port, the ISP's name from the tenant registry, and the OpenAPI document. First on reservations built by hand behind
 * a real registry (two tenants), then on a real RESERVED reservation (dev server, worker, simulator). The PDF is read
 * with pdftotext, the SVG with Python's XML parser.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../../api/server.ts';
import { ReservationNotFoundError } from '../../client/errors.ts';
import type { ReservationsClient } from '../../client/reservations.ts';
import { linkSigningKey } from '../../client/viability-link.ts';
import { loadConfig } from '../../config/env.ts';
import { ReservationInput, type ReservationState } from '../../contract/schemas.ts';
import { openRegistry } from '../../registry/open.ts';
import type { TenantRegistry } from '../../registry/registry.ts';
import { elementsOf, parseXml, pdfText } from '../support/documents.ts';
import { ResponseContract, loadValidDocument, startApi, type ApiUnderTest } from '../support/http-api.ts';
import { startStack, type Stack } from '../support/stack.ts';
import { eventually, reservablePoints } from '../support/world.ts';

const SVG = '/v1/reservations/{viabilityId}/sketch.svg';
const PDF = '/v1/reservations/{viabilityId}/sketch.pdf';
const CSP = "default-src 'none'; style-src 'unsafe-inline'";
const HOSTILE = '</text><script>alert(1)</script>&';
type ErrorBody = { error: string; message: string; details: Array<{ field: string; message: string }> };

const CUSTOMER = { lat: -27.5935, lng: -48.5585 };
function reserved(viabilityId: string, boxName: string, extra: Partial<ReservationState> = {}): ReservationState {
  const route = [
    CUSTOMER,
    { lat: -27.5933, lng: -48.5583 },
    { lat: -27.5931, lng: -48.5584 },
    { lat: -27.593, lng: -48.5582 },
  ];
  return {
    viabilityId,
    status: 'RESERVED',
    selection: 'auto',
    radiusMeters: 250,
    holdDays: 30,
    coordinates: { ...CUSTOMER, source: 'input' },
    candidates: [],
    reservation: {
      boxId: 'box-1',
      boxName,
      splitterId: 'sp-1',
      splitterName: 'Splitter 1',
      port: 5,
      clientId: 'cl-1',
      propertyId: 'pr-1',
      reservedAt: '2026-11-28T12:00:00Z',
      expiresAt: '2026-12-28T12:00:00Z',
      drop: { lengthMeters: 87.4, poles: ['p1', 'p2'], route },
    },
    ...extra,
  };
}
const inputOf = (viabilityId: string, name: string) => ({
  viabilityId,
  customer: { code: 'C-9', name },
  address: { street: 'Rua Bocaiúva', number: '2125', neighborhood: 'Centro', city: 'Florianópolis', state: 'SC' },
});

/** Each tenant's reservations, as its scoped client would find them. */
const WORLDS: Record<string, Map<string, { state: ReservationState; input: unknown }>> = {
  default: new Map([
    ['V-1', { state: reserved('V-1', 'CTO-DEFAULT'), input: inputOf('V-1', 'Maria Souza') }],
    ['V-2', { state: reserved('V-2', HOSTILE), input: inputOf('V-2', 'João') }],
    ['V:3.a_b', { state: reserved('V:3.a_b', 'CTO-3'), input: inputOf('V:3.a_b', 'Ana') }],
    [
      'V-WAIT',
      {
        state: {
          ...reserved('V-WAIT', 'x'),
          status: 'AWAITING_SELECTION',
          selection: 'manual',
          reservation: undefined,
        },
        input: inputOf('V-WAIT', 'Rui'),
      },
    ],
    ['V-GONE', { state: reserved('V-GONE', 'CTO-9', { status: 'CANCELLED' }), input: inputOf('V-GONE', 'Rui') }],
  ]),
  acme: new Map([['V-1', { state: reserved('V-1', 'CTO-ACME'), input: inputOf('V-1', 'Cliente da Acme') }]]),
};

/** A stand-in for the client library: the calls the sketch makes, per tenant (forTenant). */
function clientFor(tenantId: string): ReservationsClient {
  const own = WORLDS[tenantId] ?? new Map<string, { state: ReservationState; input: unknown }>();
  const fake = {
    tenantId,
    defaults: { radiusMeters: 250, holdDays: 30, selectionTimeoutHours: 24 },
    inputSchema: ReservationInput,
    within: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn(),
    get: (id: string) => {
      const found = own.get(id);
      return found ? Promise.resolve(structuredClone(found.state)) : Promise.reject(new ReservationNotFoundError(id));
    },
    startedWith: (id: string) => {
      const found = own.get(id);
      return Promise.resolve(found && { runId: 'run-1', status: 'RUNNING', input: structuredClone(found.input) });
    },
    forTenant: (id: string) => clientFor(id),
  };
  return fake as unknown as ReservationsClient;
}

const text = (pdf: Buffer) => pdfText(pdf).replace(/\s+/g, ' ');
const svgTexts = (svg: string) =>
  elementsOf(parseXml(svg))
    .filter((e) => e.name === 'text')
    .map((e) => e.text)
    .join('\n');

describe("the installer's sketch over HTTP, on reservations built by hand, two tenants", () => {
  const KEY = 'sketch-test-key-0123456789';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-sketch-'));
  let app: FastifyInstance;
  let registry: TenantRegistry;
  let url: string;
  let contract: ResponseContract;
  let acmeKey: string;
  before(async () => {
    const config = loadConfig({
      ISPBOX_API_KEY: KEY,
      LOG_LEVEL: 'silent',
      TENANT_SECRETS_KEY: randomBytes(32).toString('base64'),
      ISPBOX_OZMAP_DATA_DIR: dataDir,
      DEFAULT_TENANT_NAME: 'Provedor Padrão',
    });
    registry = await openRegistry(config);
    await registry.put('acme', {
      name: 'Acme Fibra & <Cia>',
      ozmap: { url: 'https://acme.ozmap.example', apiKey: 'acme-ozmap-key' },
    });
    const created = await registry.createKey('acme', (key) => linkSigningKey({ ispboxApiKey: key }));
    acmeKey = created!.key;
    app = await buildHttpServer({ reservations: clientFor('default'), config, logger: false, registry });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    contract = new ResponseContract(await loadValidDocument(url));
  });
  after(async () => {
    await app?.close();
    await registry?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `key` null: no Authorization header at all. */
  const get = (route: string, viabilityId: string, key: string | null = KEY) =>
    fetch(`${url}${route.replace('{viabilityId}', encodeURIComponent(viabilityId))}`, {
      headers: key === null ? {} : { authorization: `Bearer ${key}` },
    });
  /** An error answer: JSON in the API's error shape, as the document says for that status. */
  const problem = async (route: string, res: Response): Promise<ErrorBody> => {
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as ErrorBody;
    contract.check('GET', route, res.status, body);
    return body;
  };

  it('SVG: image/svg+xml under a CSP that runs nothing, nosniff, a safe file name; the facts and the ISP', async () => {
    const res = await get(SVG, 'V-1');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.equal(res.headers.get('content-security-policy'), CSP);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="croqui-V-1.svg"');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const texts = svgTexts(await res.text());
    for (const expected of [
      'Provedor Padrão',
      'V-1',
      'Maria Souza',
      'Rua Bocaiúva, 2125, Centro, Florianópolis - SC', // the address as the ISP sent it (its recorded input)
      'CTO-DEFAULT',
      'Porta: 5',
      '87 m',
      'por 2 postes',
      '28/11/2026',
      '28/12/2026',
    ])
      assert.ok(texts.includes(expected), `${expected} in\n${texts}`);
  });

  it('PDF: application/pdf, inline with a file name, the same facts as text', async () => {
    const res = await get(PDF, 'V-1');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.equal(res.headers.get('content-disposition'), 'inline; filename="croqui-V-1.pdf"');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const pdf = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), pdf.length);
    const said = text(pdf);
    for (const expected of [
      'Croqui de instalação',
      'Provedor Padrão',
      'Maria Souza',
      'CTO-DEFAULT',
      'Splitter 1',
      '87 m',
    ])
      assert.ok(said.includes(expected), `${expected} in\n${said}`);
  });

  it('a box named like markup: escaped in the SVG (still well-formed XML, no script), plain text in the PDF', async () => {
    const svg = await (await get(SVG, 'V-2')).text();
    assert.ok(!/<script/i.test(svg));
    assert.ok(svg.includes('&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;'));
    assert.ok(svgTexts(svg).includes(`Caixa: ${HOSTILE}`));
    assert.ok(text(Buffer.from(await (await get(PDF, 'V-2')).arrayBuffer())).includes(HOSTILE));
  });

  it('file names keep only letters, digits, ".", "_" and "-" of the viability id', async () => {
    const svg = await get(SVG, 'V:3.a_b');
    assert.equal(svg.headers.get('content-disposition'), 'inline; filename="croqui-V_3.a_b.svg"');
    const pdf = await get(PDF, 'V:3.a_b');
    assert.equal(pdf.headers.get('content-disposition'), 'inline; filename="croqui-V_3.a_b.pdf"');
  });

  it('409 without a port to draw: none reserved yet, or released; the API error shape saying why', async () => {
    for (const route of [SVG, PDF]) {
      const waiting = await get(route, 'V-WAIT');
      assert.equal(waiting.status, 409);
      const body = await problem(route, waiting);
      assert.equal(body.error, 'no-port');
      assert.match(body.message, /V-WAIT.*no reserved port.*AWAITING_SELECTION/);
      assert.deepEqual(
        body.details.map((d) => d.field),
        ['viabilityId'],
      );
      const gone = await get(route, 'V-GONE');
      assert.equal(gone.status, 409);
      assert.match((await problem(route, gone)).message, /released.*CANCELLED/);
      assert.equal(gone.headers.get('content-security-policy'), null, 'an error is JSON, not the sketch');
    }
  });

  it('as GET state: 404 unknown, 401 without the right key, 400 a malformed id', async () => {
    for (const route of [SVG, PDF]) {
      const unknown = await get(route, 'V-NOPE');
      assert.equal(unknown.status, 404);
      assert.equal((await problem(route, unknown)).error, 'not-found');
      for (const key of [null, 'wrong-key-wrong-key-wrong']) {
        const refused = await get(route, 'V-1', key);
        assert.equal(refused.status, 401);
        assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer/);
        await problem(route, refused);
      }
      const bad = await get(route, 'V 1!');
      assert.equal(bad.status, 400);
      assert.equal((await problem(route, bad)).details[0]?.field, 'viabilityId');
    }
  });

  it("a tenant's key draws that tenant's reservation with its name; another tenant's is a 404", async () => {
    const svg = await get(SVG, 'V-1', acmeKey);
    assert.equal(svg.status, 200);
    const texts = svgTexts(await svg.text());
    assert.ok(texts.includes('Acme Fibra & <Cia>'), texts);
    assert.ok(texts.includes('CTO-ACME') && texts.includes('Cliente da Acme'), texts);
    assert.ok(!texts.includes('CTO-DEFAULT') && !texts.includes('Provedor Padrão'));
    const pdf = text(Buffer.from(await (await get(PDF, 'V-1', acmeKey)).arrayBuffer()));
    assert.ok(pdf.includes('Acme Fibra & <Cia>') && pdf.includes('CTO-ACME'), pdf);
    // V-2 is the default tenant's alone.
    for (const route of [SVG, PDF]) {
      const other = await get(route, 'V-2', acmeKey);
      assert.equal(other.status, 404);
      await problem(route, other);
    }
  });

  it('the OpenAPI document: both operations, their media types and headers, linked from the state', () => {
    const { doc } = contract;
    for (const [route, media, headers] of [
      [SVG, 'image/svg+xml', ['Content-Security-Policy', 'X-Content-Type-Options', 'Content-Disposition']],
      [PDF, 'application/pdf', ['X-Content-Type-Options', 'Content-Disposition']],
    ] as const) {
      const operation = doc.paths[route]?.get as unknown as {
        security: unknown;
        responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
      };
      assert.ok(operation, `${route} is documented`);
      assert.deepEqual(operation.security, [{ bearer: [] }]);
      assert.deepEqual(Object.keys(operation.responses['200']?.content ?? {}), [media]);
      assert.deepEqual(Object.keys(operation.responses['200']?.headers ?? {}).sort(), [...headers].sort());
      assert.deepEqual(Object.keys(operation.responses).sort(), ['200', '400', '401', '404', '409', '502', '503']);
    }
    const links = (
      doc.paths['/v1/reservations/{viabilityId}']!.get as unknown as {
        responses: Record<string, { links: Record<string, { operationId: string }> }>;
      }
    ).responses['200']!.links;
    const linked = Object.values(links).map((l) => l.operationId);
    assert.ok(linked.includes('getReservationSketchSvg') && linked.includes('getReservationSketchPdf'));
  });
});

describe("the installer's sketch of a real reservation (dev server, worker, simulator)", () => {
  let stack: Stack;
  let api: ApiUnderTest;
  let points: Array<{ lat: number; lng: number; boxId: string }>;
  before(async () => {
    stack = await startStack({ taskQueue: 'sketch' });
    api = await startApi(stack.reservations, stack.env, { DEFAULT_TENANT_NAME: 'Fibra Teste Ltda' });
    points = await reservablePoints(stack.world.ozmap, 2);
  });
  after(async () => {
    await api?.close();
    await stack?.stop();
  });

  const fetchSketch = (kind: 'svg' | 'pdf', viabilityId: string) =>
    fetch(`${api.url}/v1/reservations/${encodeURIComponent(viabilityId)}/sketch.${kind}`, {
      headers: { authorization: `Bearer ${api.config.http.ispboxApiKey}` },
    });

  it('RESERVED: the box, splitter and port the workflow reserved, in both; cancelled: 409', async () => {
    const id = `S-${randomUUID().slice(0, 8)}`;
    // Some 30 m south of a box with free ports, with the address the ISP sends.
    const coordinates = { lat: points[0]!.lat - 0.00027, lng: points[0]!.lng };
    const created = await api.call('POST', '/v1/reservations', {
      body: {
        viabilityId: id,
        customer: { code: 'C-S1', name: 'Cliente Croqui' },
        address: 'Rua Esteves Júnior, 50',
        coordinates,
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const state = created.body as ReservationState & { links?: { sketchSvg: string; sketchPdf: string } };
    assert.equal(state.status, 'RESERVED');
    const reservation = state.reservation!;
    // The answer links the sketch, relative to the API's base URL; the tests below follow those links.
    const base = `/v1/reservations/${id}`;
    assert.deepEqual(state.links, { sketchSvg: `${base}/sketch.svg`, sketchPdf: `${base}/sketch.pdf` });

    const svg = await fetch(new URL(state.links.sketchSvg, api.url), {
      headers: { authorization: `Bearer ${api.config.http.ispboxApiKey}` },
    });
    assert.equal(svg.status, 200);
    assert.equal(svg.headers.get('content-security-policy'), CSP);
    const texts = svgTexts(await svg.text());
    const pdf = await fetchSketch('pdf', id);
    assert.equal(pdf.status, 200);
    const said = text(Buffer.from(await pdf.arrayBuffer()));
    for (const expected of [
      'Fibra Teste Ltda',
      id,
      'Cliente Croqui',
      'Rua Esteves Júnior, 50',
      `Caixa: ${reservation.boxName}`,
      `Splitter: ${reservation.splitterName}`,
      `Porta: ${reservation.port}`,
      'em linha reta', // radius mode: no route along the poles
    ]) {
      assert.ok(texts.includes(expected), `the SVG says ${expected}:\n${texts}`);
      assert.ok(said.includes(expected), `the PDF says ${expected}:\n${said}`);
    }

    const cancel = await api.call('POST', '/v1/reservations/{viabilityId}/cancel', { params: { viabilityId: id } });
    assert.equal(cancel.status, 202);
    await eventually(async () => {
      const res = await api.call('GET', '/v1/reservations/{viabilityId}', { params: { viabilityId: id } });
      assert.equal((res.body as ReservationState).status, 'CANCELLED');
      assert.equal((res.body as { links?: unknown }).links, undefined, 'no link once the port is released');
    });
    const gone = await fetchSketch('pdf', id);
    assert.equal(gone.status, 409);
    assert.match(((await gone.json()) as ErrorBody).message, /released.*CANCELLED/);
  });

  it('AWAITING_SELECTION (manual mode, no port yet): 409 no-port', async () => {
    const id = `S-${randomUUID().slice(0, 8)}`;
    const created = await api.call('POST', '/v1/reservations', {
      body: {
        viabilityId: id,
        customer: { code: 'C-S2', name: 'Cliente Manual' },
        coordinates: { lat: points[1]!.lat, lng: points[1]!.lng },
        selection: 'manual',
      },
    });
    assert.equal((created.body as ReservationState).status, 'AWAITING_SELECTION');
    assert.equal((created.body as { links?: unknown }).links, undefined, 'no link before a port is held');
    for (const kind of ['svg', 'pdf'] as const) {
      const res = await fetchSketch(kind, id);
      assert.equal(res.status, 409);
      const body = (await res.json()) as ErrorBody;
      assert.equal(body.error, 'no-port');
      api.contract.check('GET', kind === 'svg' ? SVG : PDF, 409, body);
    }
    await api.call('POST', '/v1/reservations/{viabilityId}/cancel', { params: { viabilityId: id } });
  });
});
