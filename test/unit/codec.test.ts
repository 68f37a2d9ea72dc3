import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ENCRYPTED_ENCODING, EncryptionCodec, METADATA_KEY_ID } from '../../codec/encryption-codec.ts';
import { EncryptionKey, decodeBase64Strict } from '../../codec/keys.ts';

const key = (id: string) => new EncryptionKey(id, randomBytes(32));
const input = {
  viabilityId: 'V-1042',
  customer: { code: 'C-77', name: 'Maria Souza' },
  address: 'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC',
};
const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (p: Payload): unknown => defaultPayloadConverter.fromPayload(p);
const text = (p: Payload) =>
  Buffer.concat([...Object.values(p.metadata ?? {}), p.data ?? new Uint8Array()].map((b) => Buffer.from(b))).toString(
    'latin1',
  );

describe('payload encryption codec (AES-256-GCM)', () => {
  it('round-trips: decode(encode(x)) equals x, metadata included', async () => {
    const codec = new EncryptionCodec({ current: key('k1') });
    const originals = [payload(input), payload(null), payload('texto com acentuação'), payload(42)];
    const decoded = await codec.decode(await codec.encode(originals));
    assert.deepEqual(decoded.map(valueOf), [input, null, 'texto com acentuação', 42]);
    assert.deepEqual(Buffer.from(decoded[0]!.metadata!.encoding!).toString(), 'json/plain');
  });

  it('marks the ciphertext with its encoding and key id, and hides the plaintext', async () => {
    const codec = new EncryptionCodec({ current: key('2026-01') });
    const [encrypted] = await codec.encode([payload(input)]);
    assert.equal(Buffer.from(encrypted!.metadata!.encoding!).toString(), ENCRYPTED_ENCODING);
    assert.equal(Buffer.from(encrypted!.metadata![METADATA_KEY_ID]!).toString(), '2026-01');
    const seen = text(encrypted!) + Buffer.from(encrypted!.data!).toString('base64');
    for (const secret of [
      'Maria Souza',
      'C-77',
      'Bocaiúva',
      'json/plain',
      Buffer.from('Maria Souza').toString('base64'),
    ]) {
      assert.ok(!seen.includes(secret), `ciphertext must not contain ${secret}`);
    }
    // A fresh IV each time: the same value never encrypts to the same bytes.
    const [again] = await codec.encode([payload(input)]);
    assert.notDeepEqual(Buffer.from(again!.data!), Buffer.from(encrypted!.data!));
  });

  it('fails clearly with the wrong key, an unknown key id, or altered data', async () => {
    const [encrypted] = await new EncryptionCodec({ current: key('k1') }).encode([payload(input)]);
    await assert.rejects(
      new EncryptionCodec({ current: key('k1') }).decode([encrypted!]),
      /key "k1" failed authentication: the configured key with that id is not the one that encrypted it/,
    );
    await assert.rejects(
      new EncryptionCodec({ current: key('k2') }).decode([encrypted!]),
      /encrypted with key "k1", which is not configured: .*PAYLOAD_ENCRYPTION_PREVIOUS_KEYS/,
    );
    const k = key('k3');
    const codec = new EncryptionCodec({ current: k });
    const [good] = await codec.encode([payload(input)]);
    const tampered = Buffer.from(good!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await assert.rejects(codec.decode([{ ...good, data: tampered }]), /failed authentication/);
    await assert.rejects(codec.decode([{ ...good, data: tampered.subarray(0, 10) }]), /truncated/);
  });

  it('passes payloads that are not encrypted through decode untouched (existing histories keep working)', async () => {
    const codec = new EncryptionCodec({ current: key('k1') });
    const plain = [
      payload(input),
      payload(undefined),
      { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.from([1, 2, 3]) },
    ];
    const decoded = await codec.decode(plain);
    assert.deepEqual(decoded, plain);
  });

  it('rotates: the new key encrypts, the old key still decrypts what it encrypted', async () => {
    const old = key('2025-12');
    const current = key('2026-01');
    const [before] = await new EncryptionCodec({ current: old }).encode([payload(input)]);
    const rotated = new EncryptionCodec({ current, previous: [old] });
    assert.equal(rotated.currentKeyId, '2026-01');
    const [after] = await rotated.encode([payload('new')]);
    assert.equal(Buffer.from(after!.metadata![METADATA_KEY_ID]!).toString(), '2026-01');
    assert.deepEqual((await rotated.decode([before!, after!])).map(valueOf), [input, 'new']);
    // Decrypt-only (no current key): nothing new is encrypted, old payloads still read.
    const decryptOnly = new EncryptionCodec({ previous: [old, current] });
    assert.deepEqual(await decryptOnly.encode([payload('x')]), [payload('x')]);
    assert.deepEqual((await decryptOnly.decode([before!, after!])).map(valueOf), [input, 'new']);
  });

  it('never shows key material in JSON, inspect or strings', () => {
    const material = Buffer.alloc(32, 7);
    const k = new EncryptionKey('k1', material);
    const shown = [JSON.stringify({ k }), inspect(k), String(k), inspect({ nested: { k } })].join(' ');
    assert.ok(!shown.includes(material.toString('base64')) && !shown.includes(material.toString('hex')), shown);
    assert.match(shown, /k1/);
  });

  it('reads keys as strict base64 only', () => {
    assert.equal(decodeBase64Strict(randomBytes(32).toString('base64'))?.length, 32);
    assert.equal(decodeBase64Strict(randomBytes(32).toString('base64url'))?.length, 32);
    assert.equal(decodeBase64Strict('not base64!'), undefined);
    assert.equal(decodeBase64Strict('abcde'), undefined);
  });
});
