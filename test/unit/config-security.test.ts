/** Configuration rules that keep secrets safe: the OZmap URL rule, credentials in URLs, encryption keys, messages. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../config/env.ts';
import { keyFingerprint } from '../../codec/keys.ts';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}
/** A real OZmap needs a real Ispbox key too (the demo one is for the simulator only). */
const ISPBOX_API_KEY = 'a-real-ispbox-key-0123456789';
const named = (problems: string[], name: string) => problems.filter((p) => p.startsWith(`${name}:`));

describe('configuration: OZmap URL rule', () => {
  it('refuses http:// outside loopback, naming the field and both fixes', () => {
    for (const url of [
      'http://acme.ozmap.com.br:9994',
      'http://10.0.0.5:9994',
      'http://[2001:db8::1]:9994',
      'http://128.0.0.1',
      'http://127.0.0.1.example.com:9994',
      'http://localhost.example.com:9994',
    ]) {
      const [problem, ...more] = named(problemsOf({ OZMAP_URL: url, OZMAP_API_KEY: 'k' }), 'OZMAP_URL');
      assert.equal(more.length, 0);
      assert.match(
        problem!,
        /^OZMAP_URL: uses plain http:\/\/ outside loopback.*use https:\/\/ or set OZMAP_ALLOW_INSECURE_HTTP=true/,
        url,
      );
    }
  });

  it('accepts http:// on loopback (127.0.0.1, 127.x, localhost, [::1]) and https:// anywhere', () => {
    for (const url of [
      'http://127.0.0.1:9994',
      'http://127.1.2.3:9994',
      'http://localhost:9994',
      'http://[::1]:9994',
    ]) {
      assert.equal(loadConfig({ OZMAP_URL: url }).ozmap.url, url);
    }
    assert.equal(
      loadConfig({ OZMAP_URL: 'https://acme.ozmap.com.br:9994/', OZMAP_API_KEY: 'k', ISPBOX_API_KEY }).ozmap.url,
      'https://acme.ozmap.com.br:9994',
    );
  });

  it('takes loopback to be addresses, not names that look like them, for every rule', () => {
    for (const host of ['::1', '127.0.0.2', 'localhost', '::ffff:127.0.0.1']) {
      assert.deepEqual(problemsOf({ HTTP_HOST: host, CODEC_SERVER_HOST: host, RESERVATION_HOLD_DAYS: 'x' }), [
        'RESERVATION_HOLD_DAYS: must be a number (days)',
      ]);
    }
    for (const host of ['127.0.0.1.example.com', 'localhost.example.com', '0.0.0.0', '::']) {
      const problems = problemsOf({ HTTP_HOST: host, CODEC_SERVER_HOST: host });
      assert.equal(named(problems, 'ISPBOX_API_KEY').length, 1, host);
      assert.equal(named(problems, 'CODEC_SERVER_HOST').length, 1, host);
    }
  });

  it('allows http:// outside loopback only with OZMAP_ALLOW_INSECURE_HTTP=true', () => {
    const env = { OZMAP_URL: 'http://ozmap.internal:9994', OZMAP_API_KEY: 'k', ISPBOX_API_KEY };
    assert.equal(named(problemsOf({ ...env, OZMAP_ALLOW_INSECURE_HTTP: 'false' }), 'OZMAP_URL').length, 1);
    assert.equal(loadConfig({ ...env, OZMAP_ALLOW_INSECURE_HTTP: 'true' }).ozmap.url, 'http://ozmap.internal:9994');
  });

  it('refuses credentials or a query string in the URL, without echoing them', () => {
    const problems = problemsOf({
      OZMAP_URL: 'https://integration:pw-Zq81xv@acme.ozmap.com.br:9994',
      OZMAP_API_KEY: 'k',
    });
    assert.match(named(problems, 'OZMAP_URL')[0]!, /must not carry credentials \(user:password@\).*OZMAP_API_KEY/);
    assert.ok(!problems.join('\n').includes('pw-Zq81xv'));
    const query = problemsOf({ OZMAP_URL: 'https://acme.ozmap.com.br:9994?key=Kq-7731-secret', OZMAP_API_KEY: 'k' });
    assert.match(named(query, 'OZMAP_URL')[0]!, /without a query string/);
    assert.match(
      named(problemsOf({ GEOCODER_URL: 'https://u:p4ss-geo@geo.example.org' }), 'GEOCODER_URL')[0]!,
      /must not carry credentials/,
    );
    assert.equal(
      named(problemsOf({ OZMAP_URL: 'http://user@127.0.0.1:1' }), 'OZMAP_URL').length,
      1,
      'loopback is no exception',
    );
  });
});

describe('configuration: secrets never echoed', () => {
  it('masks every secret value in every problem, whatever rule produced it', () => {
    const secrets = {
      OZMAP_API_KEY: 'ozk-echo-test-1111',
      TEMPORAL_API_KEY: 'tmprl-echo-test-2222',
      GOOGLE_GEOCODING_API_KEY: 'ggl-echo-test-3333',
      ISPBOX_API_KEY: 'short-isp', // too short: reported, not echoed
      PAYLOAD_ENCRYPTION_KEY: 'bm90LWEtMzItYnl0ZS1rZXk=', // base64, but of the wrong length
      CODEC_SERVER_TOKEN: 'tok', // too short
    };
    const problems = problemsOf({
      ...secrets,
      OZMAP_URL: 'http://u:pw-echo-4444@10.1.2.3',
      GEOCODER_PROVIDER: 'bing',
      RESERVATION_HOLD_DAYS: 'soon',
    });
    const text = problems.join('\n');
    for (const value of [...Object.values(secrets), 'pw-echo-4444'])
      assert.ok(!text.includes(value), `a problem echoes ${value}:\n${text}`);
    for (const name of ['ISPBOX_API_KEY', 'PAYLOAD_ENCRYPTION_KEY', 'CODEC_SERVER_TOKEN', 'OZMAP_URL'])
      assert.ok(named(problems, name).length > 0, name);
  });

  it('masks a secret even when another variable repeats it in a message', () => {
    // The origins rule quotes what it got; here that happens to be the OZmap key pasted into the wrong variable.
    const problems = problemsOf({ OZMAP_API_KEY: 'same-value-5555', CODEC_SERVER_ALLOWED_ORIGINS: 'same-value-5555' });
    assert.match(named(problems, 'CODEC_SERVER_ALLOWED_ORIGINS')[0]!, /"\*\*\*" is not an origin/);
    assert.ok(!problems.join('\n').includes('same-value-5555'));
  });
});

describe('configuration: payload encryption', () => {
  const b64 = () => randomBytes(32).toString('base64');

  it('is off by default', () => {
    assert.equal(loadConfig({}).payloadEncryption, undefined);
    assert.deepEqual(loadConfig({}).codecServer, {
      host: '127.0.0.1',
      port: 8888,
      allowedOrigins: ['http://127.0.0.1:8233', 'http://localhost:8233'],
      token: undefined,
    });
  });

  it('takes the base64 of 32 bytes, with an id (default: the key fingerprint)', () => {
    const raw = randomBytes(32);
    const withId = loadConfig({
      PAYLOAD_ENCRYPTION_KEY: raw.toString('base64'),
      PAYLOAD_ENCRYPTION_KEY_ID: '2026-01',
    }).payloadEncryption!;
    assert.equal(withId.current?.id, '2026-01');
    assert.deepEqual(withId.current?.material, raw);
    assert.equal(
      loadConfig({ PAYLOAD_ENCRYPTION_KEY: raw.toString('base64') }).payloadEncryption!.current?.id,
      keyFingerprint(raw),
    );
  });

  it('explains a wrong key: not base64, wrong length, with how to generate one', () => {
    const [notBase64] = named(problemsOf({ PAYLOAD_ENCRYPTION_KEY: 'this is not base64!' }), 'PAYLOAD_ENCRYPTION_KEY');
    assert.match(notBase64!, /must be base64 \(of 32 random bytes\): generate one with `openssl rand -base64 32`/);
    const [short] = named(
      problemsOf({ PAYLOAD_ENCRYPTION_KEY: randomBytes(16).toString('base64') }),
      'PAYLOAD_ENCRYPTION_KEY',
    );
    assert.match(short!, /must be 32 bytes once base64-decoded, not 16: generate one with `openssl rand -base64 32`/);
    assert.match(
      named(
        problemsOf({ PAYLOAD_ENCRYPTION_KEY: b64(), PAYLOAD_ENCRYPTION_KEY_ID: 'no spaces allowed' }),
        'PAYLOAD_ENCRYPTION_KEY_ID',
      )[0]!,
      /1-64 of/,
    );
    assert.match(
      named(problemsOf({ PAYLOAD_ENCRYPTION_KEY_ID: 'k1' }), 'PAYLOAD_ENCRYPTION_KEY_ID')[0]!,
      /set PAYLOAD_ENCRYPTION_KEY too/,
    );
  });

  it('reads older keys for rotation, and refuses an id used twice', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const config = loadConfig({
      PAYLOAD_ENCRYPTION_KEY: b64(),
      PAYLOAD_ENCRYPTION_KEY_ID: 'k3',
      PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: `k1:${a.toString('base64')}, ${b.toString('base64')}`,
    });
    assert.deepEqual(
      config.payloadEncryption!.previous.map((k) => k.id),
      ['k1', keyFingerprint(b)],
    );
    assert.deepEqual(config.payloadEncryption!.previous[0]!.material, a);
    const twice = problemsOf({
      PAYLOAD_ENCRYPTION_KEY: b64(),
      PAYLOAD_ENCRYPTION_KEY_ID: 'k1',
      PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: `k1:${a.toString('base64')}`,
    });
    assert.match(named(twice, 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS')[0]!, /key id "k1" is used twice/);
    const bad = problemsOf({ PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: `k1:${a.toString('base64')},k2:tooshort` });
    assert.match(named(bad, 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS')[0]!, /entry 2: the key must be the base64 of 32 bytes/);
    // Decrypt-only: older keys without a current one.
    assert.equal(
      loadConfig({ PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: `k1:${a.toString('base64')}` }).payloadEncryption!.current,
      undefined,
    );
  });

  it('keeps the codec endpoint on loopback unless a token protects it; origins must be origins', () => {
    assert.match(
      named(problemsOf({ CODEC_SERVER_HOST: '0.0.0.0' }), 'CODEC_SERVER_HOST')[0]!,
      /set CODEC_SERVER_TOKEN, or keep 127\.0\.0\.1/,
    );
    const token = 'codec-token-0123456789';
    assert.equal(loadConfig({ CODEC_SERVER_HOST: '0.0.0.0', CODEC_SERVER_TOKEN: token }).codecServer.token, token);
    assert.match(
      named(problemsOf({ CODEC_SERVER_ALLOWED_ORIGINS: '*' }), 'CODEC_SERVER_ALLOWED_ORIGINS')[0]!,
      /is not an origin/,
    );
    assert.match(
      named(
        problemsOf({ CODEC_SERVER_ALLOWED_ORIGINS: 'http://ui.example.org:8080/path' }),
        'CODEC_SERVER_ALLOWED_ORIGINS',
      )[0]!,
      /is not an origin/,
    );
    assert.deepEqual(
      loadConfig({ CODEC_SERVER_ALLOWED_ORIGINS: 'https://ui.example.org, http://127.0.0.1:8233' }).codecServer
        .allowedOrigins,
      ['https://ui.example.org', 'http://127.0.0.1:8233'],
    );
  });
});

describe('configuration: masking keeps messages useful', () => {
  it('masks previous keys but not their ids, and survives a malformed URL password', () => {
    const problems = problemsOf({
      PAYLOAD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      PAYLOAD_ENCRYPTION_KEY_ID: '2026-01',
      PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: `2026-01:${randomBytes(32).toString('base64')}`,
    });
    assert.match(named(problems, 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS')[0]!, /key id "2026-01" is used twice/);
    assert.match(
      named(problemsOf({ OZMAP_URL: 'https://user:%zz-pass@acme.ozmap.com.br', OZMAP_API_KEY: 'k' }), 'OZMAP_URL')[0]!,
      /credentials/,
    );
  });
});

describe('configuration: the public demo Ispbox key', () => {
  it('is refused with a real OZmap even on loopback (a reverse proxy would expose it), naming ISPBOX_API_KEY', () => {
    for (const env of [
      { OZMAP_URL: 'https://acme.ozmap.com.br:9994', OZMAP_API_KEY: 'real-ozmap-key' },
      { OZMAP_URL: 'https://acme.ozmap.com.br:9994', OZMAP_API_KEY: 'real-ozmap-key', HTTP_HOST: '::1' },
      { OZMAP_URL: 'http://10.0.0.5:9994', OZMAP_API_KEY: 'k', OZMAP_ALLOW_INSECURE_HTTP: 'true' },
    ]) {
      const [problem, ...more] = named(problemsOf(env), 'ISPBOX_API_KEY');
      assert.equal(more.length, 0);
      assert.match(problem!, /^ISPBOX_API_KEY: is required .*real OZmap/, JSON.stringify(env));
    }
  });

  it('is allowed only with the local simulator on loopback (the embedded default); a set key always works', () => {
    assert.equal(loadConfig({}).http.demoKey, true);
    assert.equal(loadConfig({ OZMAP_URL: 'http://127.0.0.1:19994', HTTP_HOST: 'localhost' }).http.demoKey, true);
    const real = loadConfig({
      OZMAP_URL: 'https://acme.ozmap.com.br:9994',
      OZMAP_API_KEY: 'real-ozmap-key',
      ISPBOX_API_KEY: 'a-real-ispbox-key-0123456789',
    });
    assert.equal(real.http.demoKey, false);
    assert.equal(real.http.ispboxApiKey, 'a-real-ispbox-key-0123456789');
  });
});

describe('configuration: webhook secrets (Standard Webhooks)', () => {
  const WEBHOOK_URL = 'http://127.0.0.1:8080/ozmap/events';
  const whsec = (bytes: number) => `whsec_${randomBytes(bytes).toString('base64')}`;

  it('takes a plain secret, or whsec_ and padded standard base64 of 16+ bytes, and the previous one with it', () => {
    const previous = whsec(24);
    const config = loadConfig({ WEBHOOK_URL, WEBHOOK_SECRET: whsec(32), WEBHOOK_PREVIOUS_SECRET: previous });
    assert.equal(config.webhooks?.previousSecret, previous);
    assert.equal(
      loadConfig({ WEBHOOK_URL, WEBHOOK_SECRET: 'plain-secret-0123456789' }).webhooks?.previousSecret,
      undefined,
    );
  });

  it('refuses a whsec_ secret receivers would decode otherwise, or too short, without echoing it', () => {
    const notBase64 = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS_'; // url-safe: Node decodes it, receivers do not
    const unpadded = 'whsec_' + randomBytes(20).toString('base64').replace(/=+$/, '');
    for (const secret of [notBase64, unpadded]) {
      const problems = named(problemsOf({ WEBHOOK_URL, WEBHOOK_SECRET: secret }), 'WEBHOOK_SECRET');
      assert.match(problems.join('\n'), /padded standard base64/);
      assert.ok(!problems.join('\n').includes(secret.slice(6)), 'the secret is not echoed');
    }
    const short = named(
      problemsOf({ WEBHOOK_URL, WEBHOOK_PREVIOUS_SECRET: whsec(12), WEBHOOK_SECRET: whsec(32) }),
      'WEBHOOK_PREVIOUS_SECRET',
    );
    assert.match(short.join('\n'), /at least 16 bytes/);
  });
});
