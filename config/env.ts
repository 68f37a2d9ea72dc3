/**
 * Configuration from the environment (DESIGN §7), validated with zod at start-up.
 * Every problem is reported at once, by variable name, with the fix; secrets never appear in messages.
 */
import { z } from 'zod';
import { DEFAULTS, DEFAULT_TASK_QUEUE } from '../contract/defaults.ts';
import { EncryptionKey, KEY_BYTES, KEY_ID_PATTERN, decodeBase64Strict, keyFingerprint } from '../codec/keys.ts';

/** The simulator's documented demo key: used only when OZMAP_URL is unset or points at the local simulator. */
export const DEMO_OZMAP_API_KEY = 'demo-ozmap-key';
export const DEFAULT_OZMAP_URL = 'http://127.0.0.1:9994';
export const PUBLIC_NOMINATIM_URL = 'https://nominatim.openstreetmap.org';
/** The Temporal samples' codec server port. */
export const DEFAULT_CODEC_SERVER_PORT = 8888;
/** The dev server's Web UI, as a browser may name it. */
export const DEFAULT_CODEC_ORIGINS = 'http://127.0.0.1:8233,http://localhost:8233';
/** The HTTP API's documented demo key: used only when ISPBOX_API_KEY is unset and the API listens on loopback. */
export const DEMO_ISPBOX_API_KEY = 'demo-ispbox-key-change-me';
/**
 * Workflows the worker keeps in memory between tasks. The SDK's default grows with the heap limit (about 2,300 with a
 * 4 GiB heap) and a held reservation costs about 0.3 MiB of RSS while cached, though it wakes only once or twice in
 * its 30 days. The cache only pays off for reservations being made (a few tasks within seconds); an evicted one is
 * replayed from its short history when its hold ends or a message arrives.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 250;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveNumber = (what: string) =>
  z.coerce
    .number({ error: `must be a number (${what})` })
    .refine((n) => Number.isFinite(n) && n > 0, `must be a positive number (${what})`);

const url = (what: string) =>
  z
    .string()
    .trim()
    .refine(
      (s) => URL.canParse(s) && ['http:', 'https:'].includes(new URL(s).protocol),
      `must be an http(s) URL (${what})`,
    )
    .transform((s) => s.replace(/\/+$/, ''));

const isLoopback = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname);

const GENERATE_KEY = 'generate one with `openssl rand -base64 32`';

/** Base64 of 32 random bytes; the message says what is wrong without repeating the value. */
const aesKey = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const bytes = decodeBase64Strict(text);
    if (bytes?.length === KEY_BYTES) return bytes;
    ctx.addIssue({
      code: 'custom',
      message: bytes
        ? `must be ${KEY_BYTES} bytes once base64-decoded, not ${bytes.length}: ${GENERATE_KEY}`
        : `must be base64 (of ${KEY_BYTES} random bytes): ${GENERATE_KEY}`,
    });
    return z.NEVER;
  });

const keyId = z
  .string()
  .trim()
  .regex(KEY_ID_PATTERN, 'must be 1-64 of [A-Za-z0-9._-] (it is stored in every encrypted payload)');

/** `id:base64,id:base64` (or bare base64: the id is then the key's fingerprint), for decrypting after a rotation. */
const previousKeys = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const keys: EncryptionKey[] = [];
    text
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .forEach((entry, i) => {
        const colon = entry.indexOf(':');
        const id = colon < 0 ? undefined : entry.slice(0, colon).trim();
        const bytes = decodeBase64Strict(colon < 0 ? entry : entry.slice(colon + 1));
        if (id !== undefined && !KEY_ID_PATTERN.test(id)) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1}: the key id must be 1-64 of [A-Za-z0-9._-] (entries are "<id>:<base64 key>", comma-separated)`,
          });
        } else if (bytes?.length !== KEY_BYTES) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1}: the key must be the base64 of ${KEY_BYTES} bytes (entries are "<id>:<base64 key>", comma-separated)`,
          });
        } else {
          keys.push(new EncryptionKey(id ?? keyFingerprint(bytes), bytes));
        }
      });
    return keys;
  });

/** An origin as browsers send it: scheme, host and port, nothing else. */
const origins = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const list = text
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    for (const origin of list) {
      if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
        ctx.addIssue({
          code: 'custom',
          message: `"${origin}" is not an origin: give scheme, host and port only, e.g. http://127.0.0.1:8233 (no "*": this service decrypts)`,
        });
      }
    }
    return list;
  });

const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().trim().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default(DEFAULT_TASK_QUEUE),
  TEMPORAL_API_KEY: z.string().trim().min(1).optional(),
  TEMPORAL_TLS: bool.optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().trim().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().trim().min(1).optional(),
  TEMPORAL_TLS_CA_PATH: z.string().trim().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().trim().min(1).optional(),

  OZMAP_URL: url('e.g. https://acme.ozmap.com.br:9994').default(DEFAULT_OZMAP_URL),
  OZMAP_API_KEY: z.string().trim().min(1, 'must not be empty').optional(),
  OZMAP_ALLOW_INSECURE_HTTP: bool.default(false),
  OZMAP_TIMEOUT_MS: positiveNumber('milliseconds').default(15_000),
  // doctor (issue 13): tenant switches for inferred OZmap facts (README "Before the first sale").
  OZMAP_AUTH_SCHEME: z.enum(['raw', 'bearer'], { error: 'must be "raw" (the key alone) or "bearer"' }).default('raw'),
  OZMAP_FIND_BY: z
    .enum(['external_id', 'client_code'], { error: 'must be "external_id" or "client_code"' })
    .default('external_id'),
  DOCTOR_GEOCODE_ADDRESS: z.string().trim().min(3, 'must be an address the geocoder knows').optional(),
  OZMAP_RADIUS_METERS: positiveNumber('metres').default(DEFAULTS.radiusMeters),
  RESERVATION_HOLD_DAYS: positiveNumber('days').default(DEFAULTS.holdDays),
  SELECTION_TIMEOUT_HOURS: positiveNumber('hours').default(DEFAULTS.selectionTimeoutHours),

  GEOCODER_PROVIDER: z.enum(['nominatim', 'google'], { error: 'must be "nominatim" or "google"' }).optional(),
  GEOCODER_URL: url('a Nominatim-compatible base URL').optional(),
  GEOCODER_USER_AGENT: z.string().trim().min(1).default('ispbox-ozmap-reservations/0.1 (+https://github.com/)'),
  GEOCODER_MIN_INTERVAL_MS: z.coerce.number().int().nonnegative().default(1000),
  GOOGLE_GEOCODING_API_KEY: z.string().trim().min(1).optional(),

  HTTP_PORT: z.coerce.number().int().min(1).max(65535, 'must be a TCP port (1-65535)').default(3000),
  HTTP_HOST: z.string().trim().min(1).default('127.0.0.1'),
  // How long POST /v1/reservations waits for the reservation before answering 202; well below Node's 24.8-day timer limit.
  HTTP_WAIT_SECONDS: positiveNumber('seconds')
    .refine((n) => n <= 600, 'must be at most 600 seconds')
    .default(20),
  ISPBOX_API_KEY: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  PAYLOAD_ENCRYPTION_KEY: aesKey.optional(),
  PAYLOAD_ENCRYPTION_KEY_ID: keyId.optional(),
  PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: previousKeys.optional(),
  CODEC_SERVER_HOST: z.string().trim().min(1).default('127.0.0.1'),
  CODEC_SERVER_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535, 'must be a TCP port (0-65535, 0 picks a free one)')
    .default(DEFAULT_CODEC_SERVER_PORT),
  CODEC_SERVER_ALLOWED_ORIGINS: origins.default(() => DEFAULT_CODEC_ORIGINS.split(',')),
  CODEC_SERVER_TOKEN: z
    .string()
    .trim()
    .min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 24`)')
    .optional(),
  MAP_TILE_URL: z
    .string()
    .trim()
    .regex(
      /^https?:\/\/[^/\s]+\/\S*\{z\}\S*$/,
      'must be an http(s) tile URL template with {z}, {x} and {y}, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    )
    .refine((s) => s.includes('{x}') && s.includes('{y}'), 'must contain {z}, {x} and {y}')
    .optional(),
  MAP_TILE_ATTRIBUTION: z.string().trim().min(1).max(300).optional(),
  WORKFLOW_BUNDLE_PATH: z.string().trim().min(1).optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (no cache) or more')
    .default(DEFAULT_MAX_CACHED_WORKFLOWS),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/**
 * Rules across variables, checked on the raw values so that they are reported together with every
 * per-variable problem (zod skips object-level refinements when a field fails).
 */
function crossFieldProblems(raw: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const ozmapUrl = raw.OZMAP_URL ?? DEFAULT_OZMAP_URL;
  // An unparsable URL is reported by its own rule; the rules here apply to a usable one.
  const ozmap = URL.canParse(ozmapUrl) && /^https?:$/.test(new URL(ozmapUrl).protocol) ? new URL(ozmapUrl) : undefined;
  const insecureAllowed = ['true', '1', 'yes'].includes(raw.OZMAP_ALLOW_INSECURE_HTTP ?? '');
  if (ozmap && (ozmap.username || ozmap.password)) {
    problems.push(
      'OZMAP_URL: must not carry credentials (user:password@), which would end up in logs: remove them and put the key in OZMAP_API_KEY',
    );
  }
  if (ozmap && (ozmap.search || ozmap.hash)) {
    problems.push(
      'OZMAP_URL: must be a base URL without a query string or fragment (e.g. https://acme.ozmap.com.br:9994): the key goes in OZMAP_API_KEY',
    );
  }
  const geocoderUrl = raw.GEOCODER_URL && URL.canParse(raw.GEOCODER_URL) ? new URL(raw.GEOCODER_URL) : undefined;
  if (geocoderUrl && (geocoderUrl.username || geocoderUrl.password)) {
    problems.push('GEOCODER_URL: must not carry credentials (user:password@), which would end up in logs: remove them');
  }
  if (ozmap?.protocol === 'http:' && !isLoopback(ozmap.hostname) && !insecureAllowed) {
    problems.push(
      'OZMAP_URL: uses plain http:// outside loopback, which would send the API key in clear: use https:// or set OZMAP_ALLOW_INSECURE_HTTP=true',
    );
  }
  if (ozmap && !isLoopback(ozmap.hostname) && !raw.OZMAP_API_KEY) {
    problems.push(
      "OZMAP_API_KEY: is required when OZMAP_URL points at a real OZmap: set it to the integration user's API key",
    );
  }
  if (raw.GEOCODER_PROVIDER === 'google' && !raw.GOOGLE_GEOCODING_API_KEY) {
    problems.push('GOOGLE_GEOCODING_API_KEY: is required when GEOCODER_PROVIDER=google');
  }
  if (!isLoopback(raw.HTTP_HOST ?? '127.0.0.1') && !raw.ISPBOX_API_KEY) {
    problems.push(
      'ISPBOX_API_KEY: is required when HTTP_HOST is not a loopback address (the demo key is public): set it to the key Ispbox will send',
    );
  }
  if (Boolean(raw.TEMPORAL_TLS_CERT_PATH) !== Boolean(raw.TEMPORAL_TLS_KEY_PATH)) {
    problems.push(
      `${raw.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH'}: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: set both or neither`,
    );
  }
  if (!raw.PAYLOAD_ENCRYPTION_KEY && raw.PAYLOAD_ENCRYPTION_KEY_ID) {
    problems.push(
      'PAYLOAD_ENCRYPTION_KEY_ID: names a key that is not set: set PAYLOAD_ENCRYPTION_KEY too, or unset the id',
    );
  }
  if (raw.CODEC_SERVER_HOST && !isLoopback(raw.CODEC_SERVER_HOST.trim()) && !raw.CODEC_SERVER_TOKEN) {
    problems.push(
      'CODEC_SERVER_HOST: outside loopback the codec endpoint would decrypt for anyone who reaches it: set CODEC_SERVER_TOKEN, or keep 127.0.0.1',
    );
  }
  return problems;
}

/** Variables whose values must never appear in a message. */
const SECRET_VARIABLES = [
  'OZMAP_API_KEY',
  'TEMPORAL_API_KEY',
  'GOOGLE_GEOCODING_API_KEY',
  'ISPBOX_API_KEY',
  'PAYLOAD_ENCRYPTION_KEY',
  'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS',
  'CODEC_SERVER_TOKEN',
];

/** Last line of defence: whatever a rule or zod says, a secret's value (or a URL's user or password) is masked. */
function redactSecrets(problems: string[], raw: Record<string, string | undefined>): string[] {
  const secrets = SECRET_VARIABLES.flatMap((name) => {
    const value = raw[name]?.trim();
    if (!value) return [];
    // Lists of `id:key`: the keys are secret, their ids are not (messages name them).
    const parts =
      name === 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS'
        ? value.split(',').map((entry) => entry.slice(entry.indexOf(':') + 1).trim())
        : [];
    return [value, ...parts];
  });
  for (const name of ['OZMAP_URL', 'GEOCODER_URL']) {
    const value = raw[name];
    if (!value || !URL.canParse(value)) continue;
    const { username, password } = new URL(value);
    for (const part of [username, password]) secrets.push(part, safeDecode(part));
  }
  // Longest first, so that a part never leaves the rest of a longer secret behind; short fragments are not secrets.
  const masks = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return problems.map((problem) => masks.reduce((text, secret) => text.split(secret).join('***'), problem));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    apiKey?: string;
    tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
  };
  ozmap: { url: string; apiKey: string; timeoutMs: number; authScheme: 'raw' | 'bearer'; findBy: Env['OZMAP_FIND_BY'] };
  /** `ozres doctor`: the address the geocoder check asks for (default: see doctor/geocoder-checks.ts). */
  doctor: { geocodeAddress?: string };
  defaults: { radiusMeters: number; holdDays: number; selectionTimeoutHours: number };
  geocoder:
    | { provider: 'nominatim'; url: string; userAgent: string; minIntervalMs: number }
    | { provider: 'google'; url: string; apiKey: string };
  /** Payload encryption (codec/): undefined when off. `current` encrypts; every key decrypts what it encrypted. */
  payloadEncryption?: { current?: EncryptionKey; previous: EncryptionKey[] };
  /** The codec endpoint for the Web UI (`npm run codec-server`, or `npm start` when encryption is on). */
  codecServer: { host: string; port: number; allowedOrigins: string[]; token?: string };
  /** The HTTP API; `demoKey` says the public demo key is in use (loopback only). */
  http: { port: number; host: string; ispboxApiKey: string; demoKey: boolean; waitSeconds: number };
  /** The viability map page's background tiles; none: a plain background (no internet needed). */
  map: { tileUrl?: string; tileAttribution?: string };
  /** A pre-built workflow bundle (`npm run build`); workflows are bundled at start without it. */
  workflowBundlePath?: string;
  worker: { maxCachedWorkflows: number };
  logLevel: Env['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws one ConfigError listing every problem. Empty strings count as unset. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(present);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`)),
    ...crossFieldProblems(present),
  ];
  const keyProblems = parsed.success ? encryptionKeyProblems(parsed.data) : [];
  if (!parsed.success || problems.length + keyProblems.length > 0)
    throw new ConfigError(redactSecrets([...problems, ...keyProblems], present));
  const env = parsed.data;
  const tlsWanted = env.TEMPORAL_TLS ?? Boolean(env.TEMPORAL_TLS_CERT_PATH || env.TEMPORAL_API_KEY);
  return {
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      apiKey: env.TEMPORAL_API_KEY,
      tls: tlsWanted
        ? {
            certPath: env.TEMPORAL_TLS_CERT_PATH,
            keyPath: env.TEMPORAL_TLS_KEY_PATH,
            caPath: env.TEMPORAL_TLS_CA_PATH,
            serverName: env.TEMPORAL_TLS_SERVER_NAME,
          }
        : undefined,
    },
    ozmap: {
      url: env.OZMAP_URL,
      apiKey: env.OZMAP_API_KEY ?? DEMO_OZMAP_API_KEY,
      timeoutMs: env.OZMAP_TIMEOUT_MS,
      authScheme: env.OZMAP_AUTH_SCHEME, // doctor (issue 13)
      findBy: env.OZMAP_FIND_BY, // doctor (issue 13)
    },
    doctor: { geocodeAddress: env.DOCTOR_GEOCODE_ADDRESS }, // doctor (issue 13)
    defaults: {
      radiusMeters: env.OZMAP_RADIUS_METERS,
      holdDays: env.RESERVATION_HOLD_DAYS,
      selectionTimeoutHours: env.SELECTION_TIMEOUT_HOURS,
    },
    geocoder:
      (env.GEOCODER_PROVIDER ?? (env.GOOGLE_GEOCODING_API_KEY ? 'google' : 'nominatim')) === 'google'
        ? {
            provider: 'google',
            url: env.GEOCODER_URL ?? 'https://maps.googleapis.com/maps/api/geocode/json',
            apiKey: env.GOOGLE_GEOCODING_API_KEY!,
          }
        : {
            provider: 'nominatim',
            // The simulator answers Nominatim's /search, so the embedded default needs no internet.
            url:
              env.GEOCODER_URL ?? (isLoopback(new URL(env.OZMAP_URL).hostname) ? env.OZMAP_URL : PUBLIC_NOMINATIM_URL),
            userAgent: env.GEOCODER_USER_AGENT,
            minIntervalMs: env.GEOCODER_MIN_INTERVAL_MS,
          },
    payloadEncryption: payloadEncryption(env),
    codecServer: {
      host: env.CODEC_SERVER_HOST,
      port: env.CODEC_SERVER_PORT,
      allowedOrigins: env.CODEC_SERVER_ALLOWED_ORIGINS,
      token: env.CODEC_SERVER_TOKEN,
    },
    http: {
      port: env.HTTP_PORT,
      host: env.HTTP_HOST,
      ispboxApiKey: env.ISPBOX_API_KEY ?? DEMO_ISPBOX_API_KEY,
      demoKey: env.ISPBOX_API_KEY === undefined,
      waitSeconds: env.HTTP_WAIT_SECONDS,
    },
    map: { tileUrl: env.MAP_TILE_URL, tileAttribution: env.MAP_TILE_ATTRIBUTION },
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
    worker: { maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS },
    logLevel: env.LOG_LEVEL,
  };
}

function payloadEncryption(env: Env): Config['payloadEncryption'] {
  const previous = env.PAYLOAD_ENCRYPTION_PREVIOUS_KEYS ?? [];
  const key = env.PAYLOAD_ENCRYPTION_KEY;
  if (!key && previous.length === 0) return undefined;
  // Without a current key but with older ones, payloads are no longer encrypted yet old histories still read.
  return {
    current: key ? new EncryptionKey(env.PAYLOAD_ENCRYPTION_KEY_ID ?? keyFingerprint(key), key) : undefined,
    previous,
  };
}

/** An id must name one key: two keys under one id would make decryption pick the wrong one. */
function encryptionKeyProblems(env: Env): string[] {
  const keys = payloadEncryption(env);
  if (!keys) return [];
  const all = [...(keys.current ? [keys.current] : []), ...keys.previous];
  const ids = all.map((k) => k.id);
  const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  return repeated.map(
    (id) =>
      `PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: key id "${id}" is used twice (or is the current PAYLOAD_ENCRYPTION_KEY_ID): give each key its own id`,
  );
}
