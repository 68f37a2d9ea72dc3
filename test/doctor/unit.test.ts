/** The doctor's pure parts: configuration lines, masking, the text report, the refusal reading, auth schemes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configChecks } from '../../doctor/config-checks.ts';
import { fail, mask, pass, reportOf, warn } from '../../doctor/checks.ts';
import { formatText } from '../../doctor/report.ts';
import { transportCheck, geocodeAddressFor, SIMULATOR_DEMO_ADDRESS } from '../../doctor/ozmap-checks.ts';
import { validate } from '../../doctor/validate.ts';
import { OzmapClient, refusalOf } from '../../activities/ozmap/client.ts';
import { OzSplitter } from '../../activities/ozmap/schemas.ts';
import { loadConfig } from '../../config/env.ts';
import { startTestServer, json } from '../support/http-server.ts';

describe('doctor: configuration lines', () => {
  it('lists every problem at once, one ✗ line each, by variable, with a fix', () => {
    const { config, checks } = configChecks({
      OZMAP_RADIUS_METERS: 'abc',
      HTTP_PORT: '99999',
      OZMAP_AUTH_SCHEME: 'basic',
      OZMAP_FIND_BY: 'name',
    });
    assert.equal(config, undefined);
    assert.deepEqual(checks.map((c) => c.id).sort(), [
      'config.HTTP_PORT',
      'config.OZMAP_AUTH_SCHEME',
      'config.OZMAP_FIND_BY',
      'config.OZMAP_RADIUS_METERS',
    ]);
    for (const c of checks) {
      assert.equal(c.status, 'fail');
      assert.ok(c.fix && c.fix.length > 5, c.id);
    }
  });

  it('reads the new switches, with their defaults', () => {
    assert.deepEqual(
      [loadConfig({}).ozmap.authScheme, loadConfig({}).ozmap.findBy, loadConfig({}).doctor.geocodeAddress],
      ['raw', 'external_id', undefined],
    );
    const set = loadConfig({
      OZMAP_AUTH_SCHEME: 'bearer',
      OZMAP_FIND_BY: 'client_code',
      DOCTOR_GEOCODE_ADDRESS: 'X, 1',
    });
    assert.deepEqual(
      [set.ozmap.authScheme, set.ozmap.findBy, set.doctor.geocodeAddress],
      ['bearer', 'client_code', 'X, 1'],
    );
    // The geocoder check asks the simulator for its demo address, a real geocoder for DOCTOR_GEOCODE_ADDRESS.
    assert.equal(geocodeAddressFor(loadConfig({})), SIMULATOR_DEMO_ADDRESS);
    assert.equal(geocodeAddressFor(set), 'X, 1');
  });

  it('never shows a secret, even in a problem', () => {
    const key = 'super-secret-ozmap-key';
    const { checks } = configChecks({ OZMAP_API_KEY: key, OZMAP_URL: `https://u:${key}@acme.example:9994` });
    assert.ok(checks.length > 0);
    const report = reportOf(checks, [key]);
    assert.ok(!JSON.stringify(report).includes(key));
    assert.equal(mask(`a ${key} b`, [key, undefined, 'ab']), 'a *** b');
  });
});

describe('doctor: report and lines', () => {
  it('ok only without a ✗; the text has one line per check and the failing ids', () => {
    const checks = [
      pass('a.one', 'One', 'fine'),
      warn('a.two', 'Two', 'look', 'do this'),
      fail('a.three', 'Three', 'broken', 'fix that', 'OZmap fact O5'),
    ];
    const report = reportOf(checks);
    assert.equal(report.ok, false);
    assert.deepEqual(report.summary, { pass: 1, fail: 1, warn: 1 });
    const text = formatText(report);
    assert.match(text, /^✓ One {4}fine$/m);
    assert.match(text, /^! Two {4}look → fix: do this$/m);
    assert.match(text, /^✗ Three {2}broken → fix: fix that \[OZmap fact O5\]$/m);
    assert.match(text, /Not ready for a sale .*a\.three/);
    assert.equal(reportOf([checks[0]!, checks[1]!]).ok, true);
  });

  it('https passes, http on loopback warns, http elsewhere fails with the fix', () => {
    assert.equal(transportCheck('https://acme.ozmap.com.br:9994').status, 'pass');
    assert.equal(transportCheck('http://127.0.0.1:9994').status, 'warn');
    const out = transportCheck('http://acme.ozmap.com.br:9090');
    assert.equal(out.status, 'fail');
    assert.match(out.fix ?? '', /https:\/\//);
  });

  it('takes loopback to be addresses, not names that start like them (127.0.0.1.example.com is not loopback)', () => {
    for (const url of ['http://127.0.0.1.example.com:9994', 'http://localhost.example.com:9994', 'http://127.evil:1']) {
      assert.equal(transportCheck(url).status, 'fail', url);
    }
    for (const url of ['http://127.0.0.2:9994', 'http://[::1]:9994', 'http://localhost:9994']) {
      assert.equal(transportCheck(url).status, 'warn', url);
    }
  });

  it('a schema failure names the field and shows the value seen', () => {
    const result = validate(OzSplitter, { id: 's1', parent: 'b1', connectables: { output: [null, 7] } }, 'GET x');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.problem, /field connectables\.output\.1 .*\(seen: 7\)/);
  });

  it('reads a refusal: {message} as assumed, anything else with the shape problem named', () => {
    assert.deepEqual(refusalOf(422, { message: 'Port 3 is already occupied' }), {
      status: 422,
      message: 'Port 3 is already occupied',
      body: { message: 'Port 3 is already occupied' },
    });
    const odd = refusalOf(409, { error: { code: 'PORT_UNAVAILABLE' } });
    assert.equal(odd.shapeProblem, 'no string `message` in the body');
    assert.match(odd.message, /PORT_UNAVAILABLE/);
  });
});

describe('OZmap client: OZMAP_AUTH_SCHEME', () => {
  it('sends the raw key by default and "Bearer <key>" when asked', async () => {
    const seen: Array<string | undefined> = [];
    const server = await startTestServer((req, res) => {
      seen.push(req.headers.authorization);
      json(res, 200, { authenticated: true });
    });
    try {
      for (const authScheme of [undefined, 'raw', 'bearer'] as const) {
        const ozmap = new OzmapClient({ baseUrl: server.url, apiKey: 'key-1234', authScheme });
        await ozmap.checkKey();
        await ozmap.close();
      }
      assert.deepEqual(seen, ['key-1234', 'key-1234', 'Bearer key-1234']);
    } finally {
      await server.close();
    }
  });
});
