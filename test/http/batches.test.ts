/**
 * /v1/feasibility/batches over real loopback HTTP, in process: a real store (SQLite) and registry (two tenants), a
 * recording stand-in for Temporal, and a stand-in engine that writes results the way the batch workflow's activities
 * do (store.saveResults, then finish). The contract's answers (checked against the served OpenAPI document), the
 * CSV and GeoJSON exports, tenants kept apart, cancelling, bad files refused with nothing stored, the map's link.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildHttpServer } from '../../api/server.ts';
import { BatchesClient, DEFAULT_BATCH_SETTINGS } from '../../client/batches.ts';
import { linkSigningKey } from '../../client/viability-link.ts';
import { loadConfig } from '../../config/env.ts';
import { BATCH_WORKFLOW_TYPE, MAX_BATCH_ROWS, batchWorkflowIdFor } from '../../contract/demand.ts';
import { BatchStore } from '../../registry/batches.ts';
import { migrate, openRegistryDb, type RegistryDb } from '../../registry/database.ts';
import { openRegistry } from '../../registry/open.ts';
import type { TenantRegistry } from '../../registry/registry.ts';
import { ResponseContract, loadValidDocument } from '../support/http-api.ts';
import { fakeTemporal, reservationsFor, runEngine } from '../support/batches.ts';

const KEY = 'batch-test-key-0123456789';
const BATCHES = '/v1/feasibility/batches';
const BATCH = '/v1/feasibility/batches/{batchId}';
type Json = Record<string, unknown> & { details?: Array<{ field: string; message: string }> };

describe('feasibility batches over HTTP (in process: SQLite store, two tenants)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-batches-'));
  const temporal = fakeTemporal();
  let app: FastifyInstance;
  let registry: TenantRegistry;
  let db: RegistryDb;
  let store: BatchStore;
  let url: string;
  let contract: ResponseContract;
  let acmeKey: string;

  before(async () => {
    const config = loadConfig({
      ISPBOX_API_KEY: KEY,
      LOG_LEVEL: 'silent',
      TENANT_SECRETS_KEY: randomBytes(32).toString('base64'),
      ISPBOX_OZMAP_DATA_DIR: dataDir,
    });
    registry = await openRegistry(config);
    await registry.put('acme', { name: 'Acme', ozmap: { url: 'https://acme.ozmap.example', apiKey: 'k' } });
    acmeKey = (await registry.createKey('acme', (key) => linkSigningKey({ ispboxApiKey: key })))!.key;
    db = openRegistryDb(config.registry.store);
    await migrate(db);
    store = new BatchStore(db);
    const batches = new BatchesClient(store, temporal.client, 'test-queue', DEFAULT_BATCH_SETTINGS);
    app = await buildHttpServer({ reservations: reservationsFor('default'), config, logger: false, registry, batches });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    contract = new ResponseContract(await loadValidDocument(url));
  });
  after(async () => {
    await app?.close();
    await registry?.close();
    await db?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (
    method: string,
    route: string,
    options: { batchId?: string; query?: string; csv?: string; type?: string; key?: string | null } = {},
  ) => {
    const headers: Record<string, string> = {};
    if (options.key !== null) headers.authorization = `Bearer ${options.key ?? KEY}`;
    if (options.csv !== undefined) headers['content-type'] = options.type ?? 'text/csv';
    const res = await fetch(`${url}${route.replace('{batchId}', options.batchId ?? '')}${options.query ?? ''}`, {
      method,
      headers,
      body: options.csv,
    });
    const text = await res.text();
    const json = /json/.test(res.headers.get('content-type') ?? '') ? (JSON.parse(text) as Json) : undefined;
    if (json && !/geo\+json/.test(res.headers.get('content-type') ?? ''))
      contract.check(method, route, res.status, json);
    return { status: res.status, json: json ?? {}, text, headers: res.headers };
  };

  const LEADS =
    '\uFEFFid;address;name;telefone\r\n' +
    'L-1;"Rua Bocaiúva, 2125; Centro";"João ""Joca"" Araújo";48 99999\r\n' +
    'L-2;Servidão da Conceição, 12;Ana\r\n' + // a field short: invalid, the batch goes on
    'L-3;Rua Felipe Schmidt, 300;=HYPERLINK("x");1\r\n';

  it('takes a CSV (202), starts its workflow for the tenant, and answers progress with an honest ETA', async () => {
    const created = await call('POST', BATCHES, { csv: LEADS, query: '?radiusMeters=300&prospects=true' });
    assert.equal(created.status, 202, created.text);
    const { batchId, total, status, ignoredColumns } = created.json as {
      batchId: string;
      total: number;
      status: string;
      ignoredColumns: string[];
    };
    assert.match(batchId, /^fb_[a-z2-7]{20}$/);
    assert.deepEqual([total, status, ignoredColumns], [3, 'RUNNING', ['telefone']]);
    assert.equal(created.headers.get('location'), `${BATCHES}/${batchId}`);
    const start = temporal.starts.at(-1)!;
    assert.equal(start.type, BATCH_WORKFLOW_TYPE);
    assert.equal(start.options.workflowId, batchWorkflowIdFor('default', batchId));
    assert.deepEqual(start.options.args, [{ tenantId: 'default', batchId }]);
    assert.deepEqual((await store.progress('default', batchId))!.options, { radiusMeters: 300, prospects: true });

    const running = await call('GET', BATCH, { batchId });
    assert.equal(running.status, 200);
    assert.equal(running.json.status, 'RUNNING');
    // Nothing done yet; two rows wait for the geocoder (1 s each by default), L-2's line needs no look-up.
    assert.equal(running.json.etaSeconds, 2);
    const early = await call('GET', `${BATCH}/results.csv`, { batchId });
    assert.equal(early.status, 409);
    assert.match(early.json.message as string, /still running \(0 of 3 rows done\)/);

    await runEngine(store, 'default', batchId);
    const done = await call('GET', BATCH, { batchId });
    assert.deepEqual(
      [
        done.json.status,
        done.json.done,
        done.json.viable,
        done.json.notViable,
        done.json.invalid,
        done.json.etaSeconds,
      ],
      ['COMPLETED', 3, 2, 0, 1, null],
    );
    // Even rows are viable in the stand-in engine; L-2 had a problem: invalid, with the reader's reason.
    const csv = await call('GET', `${BATCH}/results.csv`, { batchId });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type')!, /^text\/csv/);
    assert.equal(
      csv.text,
      'id,lat,lng,viable,boxId,boxName,distanceMeters,freePorts,reason\r\n' +
        'L-1,-27.59,-48.55,true,box-0,"CTO ""Centro"", 0",42.5,3,\r\n' +
        'L-2,,,false,,,,,"row 2 has 3 fields, the header 4: quote a field that holds the separator or a line break ' +
        '(""Rua A, 10"")"\r\n' +
        'L-3,-27.592,-48.55,true,box-2,"CTO ""Centro"", 2",42.5,3,\r\n',
    );
  });

  it('exports CSV and GeoJSON in input order, quoted, formulas defused, one row per input row', async () => {
    const created = await call('POST', BATCHES, { csv: 'id,lat,lng\n=1+1,-27.6,-48.5\nb,-27.65\nc,-27.7,-48.6\n' });
    const { batchId } = created.json as { batchId: string };
    await runEngine(store, 'default', batchId);
    const csv = await call('GET', `${BATCH}/results.csv`, { batchId });
    const lines = csv.text.trimEnd().split('\r\n');
    assert.equal(lines.length, 4);
    assert.match(lines[1]!, /^'=1\+1,-27.59,-48.55,true,/);
    assert.match(lines[2]!, /^b,,,false,,,,,"row 2 has 2 fields, the header 3/);
    const geo = await call('GET', `${BATCH}/results.geojson`, { batchId });
    assert.equal(geo.status, 200);
    assert.match(geo.headers.get('content-type')!, /^application\/geo\+json/);
    const collection = JSON.parse(geo.text) as {
      type: string;
      features: Array<{ geometry: { coordinates: number[] }; properties: { id: string; viable: boolean } }>;
    };
    assert.equal(collection.type, 'FeatureCollection');
    assert.deepEqual(
      collection.features.map((f) => [f.properties.id, f.properties.viable, f.geometry.coordinates[0]]),
      [
        ['=1+1', true, -48.55],
        ['c', true, -48.55],
      ],
    );
  });

  it('keeps tenants apart: another tenant’s batch is a 404 everywhere, and lists show only one’s own', async () => {
    const mine = (await call('POST', BATCHES, { csv: 'id,address\n1,Rua A\n' })).json.batchId as string;
    const theirs = await call('POST', BATCHES, { csv: 'id,address\n1,Rua B\n', key: acmeKey });
    assert.equal(theirs.status, 202);
    assert.equal(temporal.starts.at(-1)!.options.workflowId, batchWorkflowIdFor('acme', theirs.json.batchId as string));
    for (const [method, route] of [
      ['GET', BATCH],
      ['GET', `${BATCH}/results.csv`],
      ['DELETE', BATCH],
    ] as const) {
      const answer = await call(method, route, { batchId: mine, key: acmeKey });
      assert.equal(answer.status, 404, `${method} ${route}`);
    }
    const listed = await call('GET', BATCHES, { key: acmeKey });
    assert.deepEqual(
      (listed.json.batches as Array<{ batchId: string }>).map((b) => b.batchId),
      [theirs.json.batchId],
    );
    // Its map link opens its own batch; the default tenant's key never signed it.
    const { links } = (await call('GET', BATCH, { batchId: theirs.json.batchId as string, key: acmeKey })).json as {
      links: { map: string };
    };
    const page = await fetch(`${url}${links.map}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /batch-map\.js/);
    const progress = await fetch(`${url}${links.map.replace('/batch-map?', '/batch-map/api/progress?')}`);
    assert.equal(progress.status, 200);
    assert.equal(((await progress.json()) as { batchId: string }).batchId, theirs.json.batchId);
    const tampered = links.map
      .replace(theirs.json.batchId as string, mine)
      .replace('/batch-map?', '/batch-map/api/progress?');
    assert.equal((await fetch(`${url}${tampered}`)).status, 403);
    const rows = await fetch(`${url}${links.map.replace('/batch-map?', '/batch-map/api/rows/0?')}`);
    assert.deepEqual(await rows.json(), { rows: [], next: null, pendingFrom: 0 });
  });

  it('cancels a running batch (200 CANCELLED, the workflow cancelled), then refuses again with 409', async () => {
    const { batchId } = (await call('POST', BATCHES, { csv: 'id,address\n1,Rua A\n2,Rua B\n' })).json as {
      batchId: string;
    };
    await runEngine(store, 'default', batchId, 1);
    const cancelled = await call('DELETE', BATCH, { batchId });
    assert.equal(cancelled.status, 200);
    assert.deepEqual([cancelled.json.status, cancelled.json.done], ['CANCELLED', 1]);
    assert.deepEqual(temporal.cancels.at(-1), batchWorkflowIdFor('default', batchId));
    const again = await call('DELETE', BATCH, { batchId });
    assert.equal(again.status, 409);
    assert.match(again.json.message as string, /already ended as CANCELLED/);
    const csv = await call('GET', `${BATCH}/results.csv`, { batchId });
    assert.match(csv.text, /\r\n2,,,,,,,,not checked: the batch was cancelled\r\n$/);
  });

  it('refuses bad files and requests with the field and the fix, storing nothing', async () => {
    const before = (await store.list('default', 100)).length;
    const refused: Array<[Parameters<typeof call>[2], number, string, RegExp]> = [
      [{ csv: 'code,address\n1,Rua A\n' }, 400, 'id', /no "id" column/],
      [{ csv: 'id,lat\n1,-27\n' }, 400, 'lng', /lat and lng go together/],
      [{ csv: 'id,address\n' }, 400, '(body)', /no rows/],
      [{ csv: 'id,address\n1,a\n', type: 'text/csv; charset=iso-8859-1' }, 415, 'content-type', /UTF-8/],
      [{ csv: 'id,address\n1,a\n', query: '?radiusMeters=abc' }, 400, 'radiusMeters', /number/],
      [{ csv: 'id,address\n1,a\n', query: '?radiusMeters=0' }, 400, 'radiusMeters', /at least 1 metre/],
      [{ csv: 'id,address\n1,a\n', query: '?prospects=yes' }, 400, 'prospects', /true or false/],
      [{ csv: 'id,address\n1,a\n', query: '?other=1' }, 400, 'other', /./],
      [{ csv: 'id,address\n1,a\n', key: null }, 401, 'authorization', /missing/],
      [
        { csv: `id,address\n${Array.from({ length: MAX_BATCH_ROWS + 1 }, (_, i) => `${i},R`).join('\n')}\n` },
        413,
        '(body)',
        /more than 50000 rows/,
      ],
    ];
    for (const [options, status, field, message] of refused) {
      const answer = await call('POST', BATCHES, options).catch((err: unknown) => {
        throw new Error(`${JSON.stringify(options).slice(0, 80)}: ${String(err)}`);
      });
      assert.equal(answer.status, status, `${JSON.stringify(options).slice(0, 80)}: ${answer.text.slice(0, 200)}`);
      assert.equal(answer.json.details?.[0]?.field, field, answer.text);
      assert.match(answer.json.message as string, message);
    }
    const json = await call('POST', BATCHES, { csv: '{}', type: 'application/json' });
    assert.equal(json.status, 415); // the body is not a batch: the route takes text/csv only
    assert.equal((await store.list('default', 100)).length, before);
    assert.equal((await call('GET', BATCH, { batchId: 'fb_aaaaaaaaaaaaaaaaaaaa' })).status, 404);
    assert.equal((await call('GET', BATCH, { batchId: 'nope' })).status, 400);
  });

  it('shows the routes in the OpenAPI document', () => {
    const paths = contract.doc.paths;
    assert.ok(paths[BATCHES]?.post && paths[BATCHES]?.get);
    assert.ok(paths[BATCH]?.get && paths[BATCH]?.delete);
    assert.ok(paths[`${BATCH}/results.csv`]?.get && paths[`${BATCH}/results.geojson`]?.get);
  });
});
