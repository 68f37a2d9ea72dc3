/**
 * Signed links to the viability map page. Ispbox opens the page in the salesperson's browser with the customer's
 * data in the query, as it opens OZloc today; the browser must never hold the Ispbox API key, so Ispbox's backend
 * signs the query with it (HMAC-SHA256) and adds an expiry. The page's endpoints verify the signature and act only
 * on the viability named in the link.
 *
 * Canonical form (what is signed; docs/map-page.md shows it in PHP too): every query parameter except `sig`, by name in
 * byte order, as `name=value` with name and value percent-encoded per RFC 3986 (everything but A-Z a-z 0-9 - _ . ~,
 * UTF-8, upper-case hex), joined with `&`. `sig` is the lower-case hex HMAC-SHA256 of that string keyed with the
 * link key (linkSigningKey: VIABILITY_LINK_SECRET when set, else HKDF-SHA256 of ISPBOX_API_KEY), never the API key
 * itself; `exp` is the expiry in Unix seconds. Pure: no I/O, the clock is passed in.
 *
 * This is the one home of the canonical form and of what a link may carry: the signer (the CLI's `ozres link`,
 * integrators) lives here, the page's verifier (api/link-verifier.ts) builds on it.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { z } from 'zod';
import { tenantKeyIdOf } from '../contract/ids.ts';
import { Address, Coordinates, Customer, ReservationInput, ViabilityId } from '../contract/schemas.ts';
import { InvalidInputError, type FieldProblem } from './errors.ts';

/** What a link carries: the OZloc-like customer data of one viability. */
export interface ViabilityLinkInput {
  viabilityId: string;
  customer: { code: string; name: string };
  /** As the salesperson typed it; geocoded when no coordinates are given. */
  address?: string;
  coordinates?: { lat: number; lng: number };
  radiusMeters?: number;
}

/** The query parameters of a link, in the order they are written (the signature does not depend on it). */
export const LINK_PARAMS = [
  'viabilityId',
  'code',
  'name',
  'address',
  'lat',
  'lng',
  'radius',
  'key',
  'exp',
  'sig',
] as const;

export const DEFAULT_LINK_TTL_SECONDS = 3600;
/** Longer links would outlive a sales visit and be worth stealing; Ispbox signs a fresh one for each visit. */
export const MAX_LINK_TTL_SECONDS = 7 * 24 * 3600;

/** RFC 3986 percent-encoding (PHP's rawurlencode): encodeURIComponent leaves !'()* alone, RFC 3986 does not. */
export const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The string that is signed: every parameter but `sig`, sorted by name (byte order), RFC 3986-encoded, `&`-joined. */
export function canonicalForm(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((name) => name !== 'sig')
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((name) => `${rfc3986(name)}=${rfc3986(params[name]!)}`)
    .join('&');
}

/** HKDF's info: fixes what the derived key is for, so it is never the key of anything else. */
export const LINK_KEY_INFO = 'ispbox-ozmap viability link v1';

/**
 * The key links are signed with: VIABILITY_LINK_SECRET (UTF-8) when set, else 32 bytes of HKDF-SHA256 from
 * ISPBOX_API_KEY (empty salt, info LINK_KEY_INFO). A leaked link signature then says nothing usable about the API
 * key, and the secret can be rotated (invalidating links) without changing what Ispbox sends.
 */
export function linkSigningKey(keys: { ispboxApiKey: string; linkSecret?: string }): Buffer {
  if (keys.linkSecret) return Buffer.from(keys.linkSecret, 'utf8');
  return Buffer.from(hkdfSync('sha256', keys.ispboxApiKey, '', LINK_KEY_INFO, 32));
}

export const signCanonical = (canonical: string, signingKey: Buffer): string =>
  createHmac('sha256', signingKey).update(canonical, 'utf8').digest('hex');

/**
 * The query parameters of a signed link for `input`, valid for `ttlSeconds` from `now`. `apiKey` is ISPBOX_API_KEY
 * and `linkSecret` VIABILITY_LINK_SECRET when set: the signing key comes from them (linkSigningKey).
 */
export function signViabilityParams(options: {
  apiKey: string;
  linkSecret?: string;
  input: ViabilityLinkInput;
  ttlSeconds?: number;
  now?: Date;
}): Record<string, string> {
  return signLinkParams({
    ...options,
    data: toParams(options.input),
    // Signing what the page would refuse only hands the salesperson an error page: refuse here, naming the field.
    check: (data) => {
      const problems = parseLinkData(data);
      if (!problems.success) throw new InvalidInputError(problems.problems);
    },
  });
}

/**
 * Any page's signed query (the viability page's, the batch map's): `data` with `key` (a tenant key's id), `exp` and
 * `sig` added, in the canonical form above. What `data` may hold is the page's to check.
 */
export function signLinkParams(options: {
  apiKey: string;
  linkSecret?: string;
  data: Record<string, string>;
  ttlSeconds?: number;
  now?: Date;
  /** Throws InvalidInputError when the page would refuse `data` (checked after the key and the TTL). */
  check?: (data: Record<string, string>) => void;
}): Record<string, string> {
  const { apiKey } = options;
  if (!apiKey)
    throw new InvalidInputError([{ field: 'apiKey', message: 'is required to sign a link (ISPBOX_API_KEY)' }]);
  const ttl = options.ttlSeconds ?? DEFAULT_LINK_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_LINK_TTL_SECONDS)
    throw new InvalidInputError([
      { field: 'ttlSeconds', message: `must be a whole number from 1 to ${MAX_LINK_TTL_SECONDS}` },
    ]);
  options.check?.(options.data);
  // A tenant's key names itself (its id, not its secret), so that the page knows whose links these are and which
  // key to check them with (docs/tenants.md, "Links"); VIABILITY_LINK_SECRET is the `default` tenant's alone.
  const keyId = tenantKeyIdOf(apiKey);
  const params = {
    ...options.data,
    ...(keyId ? { key: keyId } : {}),
    exp: String(Math.floor((options.now ?? new Date()).getTime() / 1000) + ttl),
  };
  const signingKey = linkSigningKey({ ispboxApiKey: apiKey, linkSecret: keyId ? undefined : options.linkSecret });
  return { ...params, sig: signCanonical(canonicalForm(params), signingKey) };
}

/** A signed link to the map page (`baseUrl` is where the HTTP server answers, e.g. https://reservas.isp.example). */
export function viabilityPageUrl(options: {
  baseUrl: string;
  apiKey: string;
  linkSecret?: string;
  input: ViabilityLinkInput;
  ttlSeconds?: number;
  now?: Date;
}): string {
  const params = signViabilityParams(options);
  const url = new URL('/viability', options.baseUrl);
  for (const name of LINK_PARAMS) if (params[name] !== undefined) url.searchParams.set(name, params[name]);
  return url.toString();
}

function toParams(input: ViabilityLinkInput): Record<string, string> {
  const params: Record<string, string> = {
    viabilityId: input.viabilityId,
    code: input.customer.code,
    name: input.customer.name,
  };
  if (input.address !== undefined) params.address = input.address;
  if (input.coordinates) {
    params.lat = String(input.coordinates.lat);
    params.lng = String(input.coordinates.lng);
  }
  if (input.radiusMeters !== undefined) params.radius = String(input.radiusMeters);
  return params;
}

const decimal = (what: string) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, `must be a decimal number (${what})`)
    .transform(Number);

/** The page's query, parsed with the contract's own pieces; errors name the query parameter. */
export const ViabilityLinkQuery = z
  .strictObject({
    viabilityId: ViabilityId,
    code: Customer.shape.code,
    name: Customer.shape.name,
    address: Address.options[0].optional(),
    lat: decimal('latitude, e.g. -27.5935').pipe(Coordinates.shape.lat).optional(),
    lng: decimal('longitude, e.g. -48.5585').pipe(Coordinates.shape.lng).optional(),
    radius: z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be a whole number of metres')
      .transform(Number)
      .pipe(ReservationInput.shape.radiusMeters.unwrap())
      .optional(),
  })
  .superRefine((q, ctx) => {
    if ((q.lat === undefined) !== (q.lng === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [q.lat === undefined ? 'lat' : 'lng'],
        message: 'lat and lng go together: give both or neither',
      });
    if (q.address === undefined && q.lat === undefined && q.lng === undefined)
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'give an address or lat and lng (or both)' });
  });

/** The link's data (every parameter but `sig` and `exp`) as the page would take it, or the problems naming each. */
export function parseLinkData(
  params: Record<string, string>,
): { success: true; input: ViabilityLinkInput } | { success: false; problems: FieldProblem[] } {
  const parsed = ViabilityLinkQuery.safeParse(params);
  if (!parsed.success) {
    return {
      success: false,
      problems: parsed.error.issues.map((i) => ({
        field: i.path.map(String).join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(', ') : '(query)'),
        message: i.message,
      })),
    };
  }
  const q = parsed.data;
  return {
    success: true,
    input: {
      viabilityId: q.viabilityId,
      customer: { code: q.code, name: q.name },
      ...(q.address !== undefined ? { address: q.address } : {}),
      ...(q.lat !== undefined && q.lng !== undefined ? { coordinates: { lat: q.lat, lng: q.lng } } : {}),
      ...(q.radius !== undefined ? { radiusMeters: q.radius } : {}),
    },
  };
}
