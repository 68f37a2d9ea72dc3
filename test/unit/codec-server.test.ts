/** The codec endpoint over real HTTP on loopback, as the Web UI and the Temporal CLI call it. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { EncryptionCodec } from '../../codec/encryption-codec.ts';
import { toJson, type JsonPayload } from '../../codec/json-payloads.ts';
import { EncryptionKey } from '../../codec/keys.ts';
import { startCodecServer, type CodecServer } from '../../codec/server.ts';

const UI = 'http://127.0.0.1:8233';
const TOKEN = 'codec-token-unit-0123456789';
const codec = new EncryptionCodec({ current: new EncryptionKey('k1', randomBytes(32)) });
const value = { customer: { code: 'C-77', name: 'Maria Souza' }, address: 'Rua Bocaiúva, 2125' };

async function encryptedJson(v: unknown): Promise<JsonPayload> {
  const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(v)]);
  return toJson(encrypted!);
}
const decodeJson = (p: JsonPayload): unknown => JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8'));

describe('codec endpoint', () => {
  let open: CodecServer;
  let guarded: CodecServer;
  before(async () => {
    const quiet = () => {};
    open = await startCodecServer({ codec, port: 0, allowedOrigins: [UI], log: quiet });
    guarded = await startCodecServer({ codec, port: 0, allowedOrigins: [UI], token: TOKEN, log: quiet });
  });
  after(async () => {
    await open?.close();
    await guarded?.close();
  });

  const post = (server: CodecServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: UI, 'x-namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });

  it('answers the UI preflight with its origin and the headers it sends', async () => {
    const res = await fetch(`${open.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace,authorization',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), UI);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST/);
    for (const header of ['content-type', 'x-namespace', 'authorization']) {
      assert.ok((res.headers.get('access-control-allow-headers') ?? '').toLowerCase().includes(header), header);
    }
    assert.match(res.headers.get('vary') ?? '', /Origin/);
  });

  it('decodes what the codec encrypted; encode then decode round-trips; any prefix before /decode works', async () => {
    const res = await post(open, '/decode', { payloads: [await encryptedJson(value)] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), UI);
    const body = (await res.json()) as { payloads: JsonPayload[] };
    assert.deepEqual(decodeJson(body.payloads[0]!), value);
    assert.equal(Buffer.from(body.payloads[0]!.metadata!.encoding!, 'base64').toString(), 'json/plain');

    const plain = toJson(defaultPayloadConverter.toPayload('olá'));
    const encoded = (await (await post(open, '/default/encode', { payloads: [plain] })).json()) as {
      payloads: JsonPayload[];
    };
    assert.equal(Buffer.from(encoded.payloads[0]!.metadata!.encoding!, 'base64').toString(), 'binary/encrypted');
    const back = (await (await post(open, '/default/decode', encoded)).json()) as { payloads: JsonPayload[] };
    assert.deepEqual(back.payloads, [plain]);
  });

  it('refuses another origin, even for the preflight', async () => {
    const other = 'https://evil.example';
    const preflight = await fetch(`${open.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: other, 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    const res = await post(open, '/decode', { payloads: [await encryptedJson(value)] }, { origin: other });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { message: string }).message, /CODEC_SERVER_ALLOWED_ORIGINS/);
  });

  it('explains bad requests and payloads it cannot decrypt', async () => {
    const notJson = await fetch(`${open.url}/decode`, { method: 'POST', body: '{' });
    assert.equal(notJson.status, 400);
    const wrongShape = await post(open, '/decode', { payload: [] });
    assert.equal(wrongShape.status, 400);
    assert.match(((await wrongShape.json()) as { message: string }).message, /payloads/);
    const otherKey = new EncryptionCodec({ current: new EncryptionKey('k9', randomBytes(32)) });
    const [foreign] = await otherKey.encode([defaultPayloadConverter.toPayload(value)]);
    const unknown = await post(open, '/decode', { payloads: [toJson(foreign!)] });
    assert.equal(unknown.status, 422);
    assert.match(((await unknown.json()) as { message: string }).message, /key "k9", which is not configured/);
    assert.equal((await fetch(`${open.url}/decode`)).status, 405);
    assert.equal((await post(open, '/elsewhere', { payloads: [] })).status, 404);
  });

  it('with a token: POSTs need the bearer token (as `temporal --codec-auth` sends it); the preflight does not', async () => {
    const payloads = [await encryptedJson(value)];
    assert.equal((await post(guarded, '/decode', { payloads })).status, 401);
    assert.equal((await post(guarded, '/decode', { payloads }, { authorization: 'Bearer not-the-token' })).status, 401);
    const ok = await post(guarded, '/decode', { payloads }, { authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.status, 200);
    assert.deepEqual(decodeJson(((await ok.json()) as { payloads: JsonPayload[] }).payloads[0]!), value);
    const preflight = await fetch(`${guarded.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 204);
  });
});
