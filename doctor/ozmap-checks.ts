/**
 * OZmap and the geocoder, read-only: transport (https), reachable, the key accepted, at least one project visible,
 * and the geocoder answering a known address.
 */
import { z } from 'zod';
import { UpstreamHttpError } from '../activities/http.ts';
import type { Geocoder } from '../activities/geocoder/geocoder.ts';
import type { OzmapClient } from '../activities/ozmap/client.ts';
import type { Config } from '../config/env.ts';
import { isLoopbackHost } from '../net/hosts.ts';
import { describeError, fail, pass, warn, type Check } from './checks.ts';
import { validate } from './validate.ts';

/**
 * Whose OZmap the lines are about, so that each fix names what to change: the environment's (OZMAP_URL,
 * OZMAP_API_KEY) by default, a tenant's registry entry with `tenantId` (`ozres doctor --tenant`).
 */
export interface OzmapSubject {
  tenantId?: string;
}

/** The fix for a tenant's OZmap URL or key: its registry entry, changed through the admin API. */
const tenantFix = (tenantId: string, setting: 'url' | 'key', what: string) =>
  `${what}: ozres tenants update ${tenantId} ` +
  (setting === 'url' ? '--ozmap-url https://<tenant>.ozmap.com.br:9994' : '--ozmap-key - (the key on standard input)');

/** https outside loopback; plain http only on this machine (the simulator), where it is a warning. */
export function transportCheck(ozmapUrl: string, subject: OzmapSubject = {}): Check {
  const { tenantId } = subject;
  const url = new URL(ozmapUrl);
  const id = 'ozmap.transport';
  const title = 'OZmap transport';
  if (url.protocol === 'https:') return pass(id, title, `${url.origin} is https`, 'OZmap fact O1');
  if (isLoopbackHost(url.hostname)) {
    return warn(
      id,
      title,
      `${url.origin} is plain http on loopback (the simulator?): fine on this machine, not for a real OZmap`,
      tenantId === undefined
        ? 'point OZMAP_URL at https://<tenant>.ozmap.com.br:9994 for production'
        : tenantFix(tenantId, 'url', 'point it at the real OZmap for production'),
      'OZmap fact O1',
    );
  }
  return fail(
    id,
    title,
    `${url.origin} is plain http outside loopback: the API key would travel in clear`,
    tenantId === undefined
      ? 'use https://<tenant>.ozmap.com.br:9994 in OZMAP_URL (OZmap serves its API over https on port 9994)'
      : tenantFix(tenantId, 'url', 'use https (OZmap serves its API over https on port 9994)'),
    'OZmap fact O1',
  );
}

const ProjectRow = z.looseObject({ id: z.string().optional(), _id: z.string().optional() });
const ProjectPage = z.looseObject({ total: z.number().optional(), rows: z.array(ProjectRow) });

export async function ozmapChecks(
  ozmap: OzmapClient,
  config: Config['ozmap'],
  subject: OzmapSubject = {},
): Promise<Check[]> {
  const checks: Check[] = [transportCheck(config.url, subject)];
  const origin = new URL(config.url).origin;
  const scheme = config.authScheme === 'bearer' ? '"Bearer <key>"' : 'the raw key';
  try {
    const { status } = await ozmap.checkKey();
    checks.push(pass('ozmap.reachable', 'OZmap', `${origin} answers`));
    if (status === 404) {
      // Without the key-check route (OZmap fact O2), any authenticated read tells: the project list below.
      checks.push(
        warn(
          'ozmap.key',
          'OZmap key',
          'GET /api/v2/authenticated is not there (404): the key is judged by the project list below',
          undefined,
          'OZmap fact O2',
        ),
      );
    } else {
      checks.push(
        pass(
          'ozmap.key',
          'OZmap key',
          `accepted (GET /api/v2/authenticated, ${scheme} in Authorization)`,
          'OZmap fact O2',
        ),
      );
    }
  } catch (err) {
    checks.push(...keyFailure(err, origin, config, subject));
    return checks;
  }
  checks.push(await projectsCheck(ozmap));
  return checks;
}

function keyFailure(err: unknown, origin: string, config: Config['ozmap'], { tenantId }: OzmapSubject): Check[] {
  if (err instanceof UpstreamHttpError && err.kind === 'auth') {
    const other = config.authScheme === 'bearer' ? 'raw' : 'bearer';
    return [
      pass('ozmap.reachable', 'OZmap', `${origin} answers`),
      fail(
        'ozmap.key',
        'OZmap key',
        `OZmap refused the key (${err.status ?? 'auth error'} on GET /api/v2/authenticated)`,
        (tenantId === undefined
          ? "set OZMAP_API_KEY to the integration user's API key (OZmap: a user with the API module); "
          : `${tenantFix(tenantId, 'key', "the integration user's API key (OZmap: a user with the API module)")}; `) +
          `if the key is right, try OZMAP_AUTH_SCHEME=${other}`,
        'OZmap fact O2',
      ),
    ];
  }
  if (err instanceof UpstreamHttpError && err.kind === 'network') {
    return [
      fail(
        'ozmap.reachable',
        'OZmap',
        `${origin} did not answer: ${describeError(err)}; key and projects not checked`,
        tenantId === undefined
          ? 'check OZMAP_URL (https://<tenant>.ozmap.com.br:9994) and that this host may reach port 9994 (firewall)'
          : tenantFix(tenantId, 'url', 'check that this host may reach port 9994 (firewall), or correct the URL'),
        'OZmap fact O1',
      ),
    ];
  }
  return [
    fail(
      'ozmap.reachable',
      'OZmap',
      `GET /api/v2/authenticated failed: ${describeError(err)}`,
      tenantId === undefined
        ? 'check that OZMAP_URL is the OZmap API (host and port only, no /api/v2)'
        : tenantFix(tenantId, 'url', 'give the OZmap API, host and port only, no /api/v2'),
      'OZmap fact O1',
    ),
  ];
}

async function projectsCheck(ozmap: OzmapClient): Promise<Check> {
  const id = 'ozmap.projects';
  const title = 'OZmap projects';
  let body: unknown;
  try {
    body = await ozmap.rawPage('projects', [], { limit: 1 });
  } catch (err) {
    const fix =
      err instanceof UpstreamHttpError && err.kind === 'auth'
        ? "the key is not allowed to read projects: give the integration user access to the network's project"
        : 'report this line (docs/operations.md, "Before the first sale")';
    return fail(id, title, `GET /api/v2/projects failed: ${describeError(err)}`, fix, 'OZmap fact O24');
  }
  const page = validate(ProjectPage, body, 'GET /api/v2/projects');
  if (!page.ok) return fail(id, title, page.problem, 'report this line (docs/operations.md, "Before the first sale")');
  const seen = page.value.total ?? page.value.rows.length;
  if (seen === 0 || page.value.rows.length === 0) {
    return fail(
      id,
      title,
      'the account sees no project: it would find no box',
      "give the integration user access to the network's project in OZmap",
      'OZmap fact O24',
    );
  }
  return pass(id, title, `the account sees ${seen} project${seen === 1 ? '' : 's'}`, 'OZmap fact O24');
}

/** The simulator's gazetteer knows it (simulator/README.md, "The demo network"). */
export const SIMULATOR_DEMO_ADDRESS = 'Rua Bocaiúva, 2125, Florianópolis - SC';
/** A well-known Brazilian address for a real geocoder (MASP, São Paulo); DOCTOR_GEOCODE_ADDRESS overrides it. */
export const KNOWN_BRAZILIAN_ADDRESS = 'Avenida Paulista, 1578, Bela Vista, São Paulo - SP';

export function geocodeAddressFor(config: Pick<Config, 'geocoder' | 'doctor'>): string {
  if (config.doctor.geocodeAddress) return config.doctor.geocodeAddress;
  return isLoopbackHost(new URL(config.geocoder.url).hostname) ? SIMULATOR_DEMO_ADDRESS : KNOWN_BRAZILIAN_ADDRESS;
}

/** Brazil's bounding box, roughly: a known Brazilian address geocoded elsewhere is a wrong provider or URL. */
const inBrazil = (p: { lat: number; lng: number }) => p.lat > -34.8 && p.lat < 5.4 && p.lng > -74.1 && p.lng < -34.7;

export async function geocoderCheck(geocoder: Geocoder, config: Pick<Config, 'geocoder' | 'doctor'>): Promise<Check> {
  const id = 'geocoder.answers';
  const title = 'Geocoder';
  const address = geocodeAddressFor(config);
  const provider = `${config.geocoder.provider} at ${new URL(config.geocoder.url).origin}`;
  try {
    const found = await geocoder.geocode(address);
    if (!found) {
      return fail(
        id,
        title,
        `${provider} found nothing for "${address}"`,
        'check GEOCODER_URL / GEOCODER_PROVIDER, or set DOCTOR_GEOCODE_ADDRESS to an address your geocoder knows',
      );
    }
    const at = `${found.lat.toFixed(5)}, ${found.lng.toFixed(5)}`;
    if (!inBrazil(found)) {
      return warn(
        id,
        title,
        `${provider} placed "${address}" at ${at}, outside Brazil`,
        'check GEOCODER_URL / GEOCODER_PROVIDER (addresses are looked up with countrycodes=br)',
      );
    }
    return pass(id, title, `${provider} found "${address}" at ${at}`);
  } catch (err) {
    return fail(
      id,
      title,
      `${provider} failed on "${address}": ${describeError(err)}`,
      err instanceof UpstreamHttpError && err.kind === 'auth'
        ? 'check GOOGLE_GEOCODING_API_KEY'
        : 'check GEOCODER_URL (a Nominatim-compatible base URL) and that this host may reach it',
    );
  }
}
