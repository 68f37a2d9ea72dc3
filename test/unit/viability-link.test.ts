/** Signed links to the map page: what Ispbox signs, what the page accepts, and everything it must refuse. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, hkdfSync } from 'node:crypto';
import {
  canonicalForm,
  rfc3986,
  linkSigningKey,
  signViabilityParams,
  viabilityPageUrl,
  type ViabilityLinkInput,
} from '../../client/viability-link.ts';
import { verifyViabilityLink, type LinkVerdict } from '../../api/link-verifier.ts';
import { LINK_REFUSALS } from '../../api/viability-page.ts';

const KEY = 'ispbox-test-key-0123456789';
/** Links are signed with a key derived from the API key, never the API key itself (docs/map-page.md, the canonical form). */
const LINK_KEY = Buffer.from(hkdfSync('sha256', KEY, '', 'ispbox-ozmap viability link v1', 32));
const NOW = new Date('2026-11-28T12:00:00Z');
const input: ViabilityLinkInput = {
  viabilityId: 'V-1042',
  customer: { code: 'C-77', name: "Maria D'Ávila (filial)" },
  address: 'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC',
  coordinates: { lat: -27.5935, lng: -48.5585 },
  radiusMeters: 250,
};

/** Why a link is refused, and how the page answers that (the verdict itself carries no status). */
const refusal = (verdict: LinkVerdict) =>
  verdict.ok ? undefined : { reason: verdict.reason, ...LINK_REFUSALS[verdict.reason] };

const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams);
const signed = (
  overrides: Partial<{ ttlSeconds: number; now: Date; apiKey: string; input: ViabilityLinkInput }> = {},
) =>
  queryOf(
    viabilityPageUrl({
      baseUrl: 'https://reservas.example',
      apiKey: KEY,
      input,
      ttlSeconds: 600,
      now: NOW,
      ...overrides,
    }),
  );

describe('viability page links', () => {
  it('round-trips: a signed link verifies and gives back the data it carries', () => {
    const url = viabilityPageUrl({
      baseUrl: 'https://reservas.example/',
      apiKey: KEY,
      input,
      ttlSeconds: 600,
      now: NOW,
    });
    assert.match(url, /^https:\/\/reservas\.example\/viability\?viabilityId=V-1042&code=C-77&name=/);
    const verdict = verifyViabilityLink(queryOf(url), LINK_KEY, NOW);
    assert.ok(verdict.ok, JSON.stringify(verdict));
    assert.deepEqual(verdict.input, input);
    assert.equal(verdict.expiresAt.toISOString(), '2026-11-28T12:10:00.000Z');
  });

  it('signs the documented canonical form (what another language reproduces)', () => {
    const params = signViabilityParams({ apiKey: KEY, input, ttlSeconds: 600, now: NOW });
    const canonical =
      'address=Rua%20Bocai%C3%BAva%2C%202125%20-%20Centro%2C%20Florian%C3%B3polis%20-%20SC&code=C-77&exp=1795867800&lat=-27.5935&lng=-48.5585' +
      '&name=Maria%20D%27%C3%81vila%20%28filial%29&radius=250&viabilityId=V-1042';
    assert.equal(canonicalForm(params), canonical);
    assert.equal(params.sig, createHmac('sha256', LINK_KEY).update(canonical).digest('hex'));
    assert.equal(
      params.sig,
      'c4356febba51bbf850114481462636a7905a68839d290c30b6a7414d4ca9c8d2',
      'the known answer docs/map-page.md gives',
    );
    assert.equal(rfc3986("!'()*~-_. ç"), '%21%27%28%29%2A~-_.%20%C3%A7');
  });

  it('refuses a change to any parameter, an added one or a removed one (403)', () => {
    const good = signed();
    const changes: Array<Record<string, string>> = [
      { viabilityId: 'V-1043' },
      { code: 'C-78' },
      { name: 'Maria Souza' },
      { address: 'Rua Felipe Schmidt, 10' },
      { lat: '-27.5936' },
      { lng: '-48.5586' },
      { radius: '5000' },
      { exp: String(Number(good.exp) + 3600) },
      { selection: 'auto' },
      { sig: good.sig!.replace(/^./, (c) => (c === '0' ? '1' : '0')) },
    ];
    for (const change of changes) {
      const verdict = verifyViabilityLink({ ...good, ...change }, LINK_KEY, NOW);
      assert.equal(verdict.ok, false, `accepted ${JSON.stringify(change)}`);
      assert.deepEqual(
        refusal(verdict),
        { reason: 'tampered', status: 403, error: 'bad-signature' },
        JSON.stringify(change),
      );
    }
    for (const name of ['address', 'lat', 'radius']) {
      const { [name]: _dropped, ...rest } = good;
      const verdict = verifyViabilityLink(rest, LINK_KEY, NOW);
      assert.equal(refusal(verdict)?.error, 'bad-signature', `accepted without ${name}`);
    }
  });

  it('refuses another key, an expired link, and an unsigned one', () => {
    const other = verifyViabilityLink(signed({ apiKey: 'another-key-0123456789abcdef' }), LINK_KEY, NOW);
    assert.deepEqual(refusal(other), { reason: 'tampered', status: 403, error: 'bad-signature' });

    const good = signed();
    assert.ok(verifyViabilityLink(good, LINK_KEY, new Date(NOW.getTime() + 599_000)).ok, 'valid until the last second');
    const expired = verifyViabilityLink(good, LINK_KEY, new Date(NOW.getTime() + 600_000));
    assert.deepEqual(refusal(expired), { reason: 'expired', status: 403, error: 'link-expired' });

    const { sig: _sig, ...unsigned } = good;
    const noSig = verifyViabilityLink(unsigned, LINK_KEY, NOW);
    assert.deepEqual(refusal(noSig), { reason: 'unsigned', status: 401, error: 'unsigned-link' });
    const { exp: _exp, ...noExpiry } = good;
    assert.equal(refusal(verifyViabilityLink(noExpiry, LINK_KEY, NOW))?.status, 401);
    const garbage = verifyViabilityLink({ ...good, sig: 'zz' }, LINK_KEY, NOW);
    assert.deepEqual(refusal(garbage), { reason: 'tampered', status: 403, error: 'bad-signature' });
  });

  it('a repeated parameter is refused (400), not silently picked', () => {
    const verdict = verifyViabilityLink({ ...signed(), code: ['C-77', 'C-78'] }, LINK_KEY, NOW);
    assert.deepEqual(!verdict.ok && [refusal(verdict)?.status, verdict.problems?.[0]?.field], [400, 'code']);
    assert.equal(refusal(verdict)?.reason, 'invalid');
  });

  it('signed but invalid data is a 400 naming the parameter', () => {
    const sign = (params: Record<string, string>) => {
      const withExp = { ...params, exp: String(NOW.getTime() / 1000 + 60) };
      return { ...withExp, sig: createHmac('sha256', LINK_KEY).update(canonicalForm(withExp)).digest('hex') };
    };
    const cases: Array<[Record<string, string>, string]> = [
      [{ viabilityId: 'V 1', code: 'C', name: 'N', address: 'Rua X' }, 'viabilityId'],
      [{ viabilityId: 'V-1', code: ' ', name: 'N', address: 'Rua X' }, 'code'],
      [{ viabilityId: 'V-1', code: 'C', name: 'N', lat: '-27.5', lng: 'oeste' }, 'lng'],
      [{ viabilityId: 'V-1', code: 'C', name: 'N', lat: '-97', lng: '-48' }, 'lat'],
      [{ viabilityId: 'V-1', code: 'C', name: 'N', lat: '-27.5' }, 'lng'],
      [{ viabilityId: 'V-1', code: 'C', name: 'N' }, 'address'],
      [{ viabilityId: 'V-1', code: 'C', name: 'N', address: 'Rua X', radius: '9000' }, 'radius'],
      [{ viabilityId: 'V-1', code: 'C', name: 'N', address: 'Rua X', radius: '2.5' }, 'radius'],
      [{ viabilityId: 'V-1', code: 'C', name: 'N', address: 'Rua X', selection: 'auto' }, 'selection'],
    ];
    for (const [params, field] of cases) {
      const verdict = verifyViabilityLink(sign(params), LINK_KEY, NOW);
      assert.deepEqual(
        refusal(verdict),
        { reason: 'invalid', status: 400, error: 'invalid-input' },
        JSON.stringify(params),
      );
      assert.ok(
        !verdict.ok && verdict.problems?.some((p) => p.field === field),
        `${JSON.stringify(params)} → ${JSON.stringify(verdict)}`,
      );
    }
    const exp = verifyViabilityLink(
      { ...sign({ viabilityId: 'V-1', code: 'C', name: 'N', address: 'Rua X' }) },
      LINK_KEY,
      NOW,
    );
    assert.ok(exp.ok);
  });

  it('__proto__, constructor and prototype in the query are parameters like any other (not swallowed)', () => {
    const sign = (params: Record<string, string>) => {
      const withExp = { ...params, exp: String(NOW.getTime() / 1000 + 60) };
      return { ...withExp, sig: createHmac('sha256', LINK_KEY).update(canonicalForm(withExp)).digest('hex') };
    };
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      // As a query parser hands them over: own properties (JSON.parse keeps __proto__ as a key).
      const extra = JSON.parse(`{"${name}": "x"}`) as Record<string, string>;
      const unsignedExtra = verifyViabilityLink({ ...signed(), ...extra }, LINK_KEY, NOW);
      assert.equal(refusal(unsignedExtra)?.reason, 'tampered', `${name} added after signing`);
      const signedExtra = verifyViabilityLink(
        sign({ viabilityId: 'V-1', code: 'C', name: 'N', address: 'Rua X', ...extra }),
        LINK_KEY,
        NOW,
      );
      assert.equal(refusal(signedExtra)?.reason, 'invalid', `${name} signed in: ${JSON.stringify(signedExtra)}`);
      assert.ok(!signedExtra.ok && signedExtra.problems?.some((p) => p.field.includes(name)), name);
    }
  });

  it('refuses an expiry further away than the longest link life plus clock skew (a link for year 33658)', () => {
    const far = (seconds: number) => {
      const withExp = { viabilityId: 'V-1', code: 'C', name: 'N', address: 'Rua X', exp: String(seconds) };
      return { ...withExp, sig: createHmac('sha256', LINK_KEY).update(canonicalForm(withExp)).digest('hex') };
    };
    const nowSeconds = NOW.getTime() / 1000;
    const year33658 = verifyViabilityLink(far(999_999_999_999), LINK_KEY, NOW);
    assert.equal(refusal(year33658)?.reason, 'invalid');
    assert.ok(!year33658.ok && year33658.problems?.[0]?.field === 'exp', JSON.stringify(year33658));
    assert.equal(refusal(verifyViabilityLink(far(nowSeconds + 8 * 24 * 3600), LINK_KEY, NOW))?.reason, 'invalid');
    assert.ok(
      verifyViabilityLink(far(nowSeconds + 7 * 24 * 3600), LINK_KEY, NOW).ok,
      'the longest signable link works',
    );
    assert.ok(
      verifyViabilityLink(far(nowSeconds + 7 * 24 * 3600 + 300), LINK_KEY, NOW).ok,
      'with five minutes of skew',
    );
  });

  it('signs with HKDF-SHA256 of ISPBOX_API_KEY, not the key itself, or with VIABILITY_LINK_SECRET when set', () => {
    const params = signViabilityParams({ apiKey: KEY, input, ttlSeconds: 600, now: NOW });
    assert.notEqual(params.sig, createHmac('sha256', KEY).update(canonicalForm(params)).digest('hex'));
    assert.deepEqual(linkSigningKey({ ispboxApiKey: KEY }), LINK_KEY);
    const secret = 'a-separate-link-secret-0123456789';
    const withSecret = signViabilityParams({ apiKey: KEY, linkSecret: secret, input, ttlSeconds: 600, now: NOW });
    assert.equal(withSecret.sig, createHmac('sha256', secret).update(canonicalForm(withSecret)).digest('hex'));
    const secretKey = linkSigningKey({ ispboxApiKey: KEY, linkSecret: secret });
    assert.ok(verifyViabilityLink(withSecret, secretKey, NOW).ok);
    assert.equal(refusal(verifyViabilityLink(withSecret, LINK_KEY, NOW))?.reason, 'tampered');
  });

  it('the signer refuses what the page would refuse, and a missing key or a silly lifetime', () => {
    assert.throws(
      () => viabilityPageUrl({ baseUrl: 'http://x', apiKey: KEY, input: { ...input, viabilityId: 'V 1' } }),
      /viabilityId/,
    );
    assert.throws(
      () =>
        viabilityPageUrl({
          baseUrl: 'http://x',
          apiKey: KEY,
          input: { viabilityId: 'V-1', customer: { code: 'C', name: 'N' } },
        }),
      /address/,
    );
    assert.throws(() => viabilityPageUrl({ baseUrl: 'http://x', apiKey: '', input }), /apiKey/);
    assert.throws(() => viabilityPageUrl({ baseUrl: 'http://x', apiKey: KEY, input, ttlSeconds: 0 }), /ttlSeconds/);
    assert.throws(
      () => viabilityPageUrl({ baseUrl: 'http://x', apiKey: KEY, input, ttlSeconds: 365 * 24 * 3600 }),
      /ttlSeconds/,
    );
  });
});
