/**
 * Rules across variables (docs/architecture.md, configuration). They read the raw values, so that they are reported
 * together with every per-variable problem: zod skips object-level refinements when a field fails.
 */
import { DEFAULTS } from '../contract/defaults.ts';
import { DEFAULT_MAX_HOLD_DAYS, holdDaysProblem } from '../contract/limits.ts';
import { isLoopbackHost, splitHostPort } from '../net/hosts.ts';
import {
  DEFAULT_LISTEN_HOST,
  DEFAULT_MAX_CACHED_WORKFLOWS,
  DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS,
  DEFAULT_OZMAP_URL,
} from './defaults.ts';
import { TRUE_WORDS } from './fields.ts';
import type { ConfigRole } from './roles.ts';
import type { Config } from './schema.ts';

export type RawEnv = Record<string, string | undefined>;

/** Every problem of the raw (present, non-empty) variables taken together, as `NAME: what and how to fix`. */
export function crossFieldProblems(raw: RawEnv, role: ConfigRole = 'worker'): string[] {
  return [
    ...urlProblems(raw),
    ...keyRequiredProblems(raw, role),
    ...temporalTlsProblems(raw),
    ...encryptionProblems(raw),
    ...metricsProblems(raw),
    ...deploymentProblems(raw),
    ...webhookProblems(raw),
    ...workerSlotProblems(raw),
    ...holdProblems(raw),
  ];
}

/** The default hold is a hold like any other: whole days (unless fractions are on), within the longest one. */
function holdProblems(raw: RawEnv): string[] {
  const days = Number(raw.RESERVATION_HOLD_DAYS ?? DEFAULTS.holdDays);
  const maxHoldDays = Number(raw.RESERVATION_MAX_HOLD_DAYS ?? DEFAULT_MAX_HOLD_DAYS);
  if (!Number.isFinite(days) || days <= 0 || !Number.isInteger(maxHoldDays)) return [];
  const fractionalHoldDays = TRUE_WORDS.includes(raw.RESERVATION_FRACTIONAL_HOLD_DAYS ?? '');
  const problem = holdDaysProblem(days, { maxHoldDays, fractionalHoldDays });
  return problem ? [`RESERVATION_HOLD_DAYS: ${problem}: lower it, or raise RESERVATION_MAX_HOLD_DAYS`] : [];
}

/** The SDK runs no more workflow tasks at once than it can cache, and would lower the slots without a word. */
function workerSlotProblems(raw: RawEnv): string[] {
  const cache = Number(raw.WORKER_MAX_CACHED_WORKFLOWS ?? DEFAULT_MAX_CACHED_WORKFLOWS);
  const slots = Number(raw.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ?? DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS);
  if (!Number.isInteger(cache) || !Number.isInteger(slots) || cache === 0 || slots <= cache) return [];
  return [
    `WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: must be at most ${cache} (WORKER_MAX_CACHED_WORKFLOWS): ` +
      'lower it, or raise the cache',
  ];
}

/** Worker Deployment versioning needs both parts of the version (docs/deployment.md, upgrades). */
function deploymentProblems(raw: RawEnv): string[] {
  if (Boolean(raw.WORKER_DEPLOYMENT_NAME) === Boolean(raw.WORKER_BUILD_ID)) return [];
  const [given, missing] = raw.WORKER_DEPLOYMENT_NAME
    ? ['WORKER_DEPLOYMENT_NAME', 'WORKER_BUILD_ID']
    : ['WORKER_BUILD_ID', 'WORKER_DEPLOYMENT_NAME'];
  return [`${missing}: is required when ${given} is set (Worker Deployment versioning): set both, or neither`];
}

/** The webhook URL carries the events (not the secret), so it must be encrypted off loopback; the secret signs. */
function webhookProblems(raw: RawEnv): string[] {
  const problems: string[] = [];
  const target = httpUrl(raw.WEBHOOK_URL);
  if (target?.protocol === 'http:' && !isLoopbackHost(target.hostname)) {
    problems.push(
      'WEBHOOK_URL: uses plain http:// outside loopback, which would send reservations in clear: use https://',
    );
  }
  if (target && (target.username || target.password)) {
    problems.push(
      'WEBHOOK_URL: must not carry credentials (user:password@), which would end up in logs: ' +
        'the receiver verifies the webhook-signature header instead',
    );
  }
  if (raw.WEBHOOK_URL && !raw.WEBHOOK_SECRET) {
    problems.push(
      'WEBHOOK_SECRET: is required when WEBHOOK_URL is set (it signs every event): ' +
        'set it to at least 16 random characters shared with the receiver, e.g. `openssl rand -hex 32`',
    );
  }
  return problems;
}

function httpUrl(text: string | undefined): URL | undefined {
  return text && URL.canParse(text) && /^https?:$/.test(new URL(text).protocol) ? new URL(text) : undefined;
}

/** Credentials, queries and plain http in the OZmap and geocoder URLs; an unparsable URL has its own rule. */
function urlProblems(raw: RawEnv): string[] {
  const problems: string[] = [];
  const ozmap = httpUrl(raw.OZMAP_URL ?? DEFAULT_OZMAP_URL);
  if (ozmap && (ozmap.username || ozmap.password)) {
    problems.push(
      'OZMAP_URL: must not carry credentials (user:password@), which would end up in logs: ' +
        'remove them and put the key in OZMAP_API_KEY',
    );
  }
  if (ozmap && (ozmap.search || ozmap.hash)) {
    problems.push(
      'OZMAP_URL: must be a base URL without a query string or fragment (e.g. https://acme.ozmap.com.br:9994): ' +
        'the key goes in OZMAP_API_KEY',
    );
  }
  const geocoder = raw.GEOCODER_URL && URL.canParse(raw.GEOCODER_URL) ? new URL(raw.GEOCODER_URL) : undefined;
  if (geocoder && (geocoder.username || geocoder.password)) {
    problems.push('GEOCODER_URL: must not carry credentials (user:password@), which would end up in logs: remove them');
  }
  const insecureAllowed = TRUE_WORDS.includes(raw.OZMAP_ALLOW_INSECURE_HTTP ?? '');
  if (ozmap?.protocol === 'http:' && !isLoopbackHost(ozmap.hostname) && !insecureAllowed) {
    problems.push(
      'OZMAP_URL: uses plain http:// outside loopback, which would send the API key in clear: ' +
        'use https:// or set OZMAP_ALLOW_INSECURE_HTTP=true',
    );
  }
  return problems;
}

/** Keys that must be given: off loopback (the demo keys are public), and Google's; upstream ones by workers only. */
function keyRequiredProblems(raw: RawEnv, role: ConfigRole): string[] {
  const problems: string[] = [];
  const ozmap = httpUrl(raw.OZMAP_URL ?? DEFAULT_OZMAP_URL);
  if (role !== 'worker') {
    const refused = raw.ISPBOX_API_KEY ? undefined : demoIspboxKeyRefusal(raw);
    return refused ? [`ISPBOX_API_KEY: is required ${refused}: set it to the key Ispbox will send`] : [];
  }
  if (ozmap && !isLoopbackHost(ozmap.hostname) && !raw.OZMAP_API_KEY) {
    problems.push(
      "OZMAP_API_KEY: is required when OZMAP_URL points at a real OZmap: set it to the integration user's API key",
    );
  }
  if (raw.GEOCODER_PROVIDER === 'google' && !raw.GOOGLE_GEOCODING_API_KEY) {
    problems.push('GOOGLE_GEOCODING_API_KEY: is required when GEOCODER_PROVIDER=google');
  }
  const demoRefused = raw.ISPBOX_API_KEY ? undefined : demoIspboxKeyRefusal(raw);
  if (demoRefused) problems.push(`ISPBOX_API_KEY: is required ${demoRefused}: set it to the key Ispbox will send`);
  return problems;
}

/**
 * Why the public demo Ispbox key may not be used, or undefined when it may: only for the embedded default, the API
 * on loopback in front of the local simulator. With a real OZmap a reverse proxy on the same host would publish the
 * demo key, so loopback alone is not enough. The one home of this rule (schema.ts only falls back to the key).
 */
function demoIspboxKeyRefusal(raw: RawEnv): string | undefined {
  if (!isLoopbackHost(raw.HTTP_HOST?.trim() ?? DEFAULT_LISTEN_HOST))
    return 'when HTTP_HOST is not a loopback address (the demo key is public)';
  const ozmap = httpUrl(raw.OZMAP_URL ?? DEFAULT_OZMAP_URL);
  if (ozmap && !isLoopbackHost(ozmap.hostname))
    return 'when OZMAP_URL points at a real OZmap (the demo key is public, and a proxy on this host would expose it)';
  return undefined;
}

function temporalTlsProblems(raw: RawEnv): string[] {
  if (Boolean(raw.TEMPORAL_TLS_CERT_PATH) === Boolean(raw.TEMPORAL_TLS_KEY_PATH)) return [];
  const missing = raw.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH';
  return [`${missing}: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: set both or neither`];
}

/** The encryption key's id, and the codec endpoint that decrypts with the keys. */
function encryptionProblems(raw: RawEnv): string[] {
  const problems: string[] = [];
  if (!raw.PAYLOAD_ENCRYPTION_KEY && raw.PAYLOAD_ENCRYPTION_KEY_ID) {
    problems.push(
      'PAYLOAD_ENCRYPTION_KEY_ID: names a key that is not set: set PAYLOAD_ENCRYPTION_KEY too, or unset the id',
    );
  }
  if (raw.CODEC_SERVER_HOST && !isLoopbackHost(raw.CODEC_SERVER_HOST.trim()) && !raw.CODEC_SERVER_TOKEN) {
    problems.push(
      'CODEC_SERVER_HOST: outside loopback the codec endpoint would decrypt for anyone who reaches it: ' +
        'set CODEC_SERVER_TOKEN, or keep 127.0.0.1',
    );
  }
  return problems;
}

/** The API's metrics show business volume (requests by route and status): open only on loopback. */
function metricsProblems(raw: RawEnv): string[] {
  const address = raw.HTTP_METRICS_ADDRESS?.trim();
  if (!address || raw.METRICS_TOKEN) return [];
  if (isLoopbackHost(splitHostPort(address).host)) return [];
  return [
    "HTTP_METRICS_ADDRESS: outside loopback the API's metrics (requests by route and status) would be open to anyone " +
      'who reaches it: set METRICS_TOKEN (Prometheus sends it as its bearer token), or keep 127.0.0.1',
  ];
}

/**
 * An id must name one key: two keys under one id would make decryption pick the wrong one. Checked on the parsed
 * keys (ids default to fingerprints), so only once every variable parsed.
 */
export function duplicateKeyIdProblems(keys: Config['payloadEncryption']): string[] {
  if (!keys) return [];
  const ids = [...(keys.current ? [keys.current] : []), ...keys.previous].map((k) => k.id);
  const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  return repeated.map(
    (id) =>
      `PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: key id "${id}" is used twice ` +
      '(or is the current PAYLOAD_ENCRYPTION_KEY_ID): give each key its own id',
  );
}
