/**
 * Configuration from the environment (DESIGN §7), validated with zod at start-up.
 * Every problem is reported at once, by variable name, with the fix; secrets never appear in messages.
 */
import { z } from 'zod';
import { DEFAULTS, DEFAULT_TASK_QUEUE } from '../workflows/contract.ts';

/** The simulator's documented demo key: used only when OZMAP_URL is unset or points at the local simulator. */
export const DEMO_OZMAP_API_KEY = 'demo-ozmap-key';
export const DEFAULT_OZMAP_URL = 'http://127.0.0.1:9994';
export const PUBLIC_NOMINATIM_URL = 'https://nominatim.openstreetmap.org';
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
  z.coerce.number({ error: `must be a number (${what})` }).refine((n) => Number.isFinite(n) && n > 0, `must be a positive number (${what})`);

const url = (what: string) =>
  z
    .string()
    .trim()
    .refine((s) => URL.canParse(s) && ['http:', 'https:'].includes(new URL(s).protocol), `must be an http(s) URL (${what})`)
    .transform((s) => s.replace(/\/+$/, ''));

const isLoopback = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\./.test(hostname);

const EnvSchema = z
  .object({
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
    OZMAP_RADIUS_METERS: positiveNumber('metres').default(DEFAULTS.radiusMeters),
    RESERVATION_HOLD_DAYS: positiveNumber('days').default(DEFAULTS.holdDays),
    SELECTION_TIMEOUT_HOURS: positiveNumber('hours').default(DEFAULTS.selectionTimeoutHours),

    GEOCODER_PROVIDER: z.enum(['nominatim', 'google'], { error: 'must be "nominatim" or "google"' }).optional(),
    GEOCODER_URL: url('a Nominatim-compatible base URL').optional(),
    GEOCODER_USER_AGENT: z.string().trim().min(1).default('ispbox-ozmap-reservations/0.1 (+https://github.com/)'),
    GEOCODER_MIN_INTERVAL_MS: z.coerce.number().int().nonnegative().default(1000),
    GOOGLE_GEOCODING_API_KEY: z.string().trim().min(1).optional(),

    HTTP_PORT: z.coerce.number().int().min(1).max(65535, 'must be a TCP port (1-65535)').default(3000),
    ISPBOX_API_KEY: z.string().trim().min(16, 'must be at least 16 characters').optional(),
    WORKFLOW_BUNDLE_PATH: z.string().trim().min(1).optional(),
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be 0 (no cache) or more').default(DEFAULT_MAX_CACHED_WORKFLOWS),
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
  if (ozmap?.protocol === 'http:' && !isLoopback(ozmap.hostname) && !insecureAllowed) {
    problems.push('OZMAP_URL: uses plain http:// outside loopback, which would send the API key in clear: use https:// or set OZMAP_ALLOW_INSECURE_HTTP=true');
  }
  if (ozmap && !isLoopback(ozmap.hostname) && !raw.OZMAP_API_KEY) {
    problems.push("OZMAP_API_KEY: is required when OZMAP_URL points at a real OZmap: set it to the integration user's API key");
  }
  if (raw.GEOCODER_PROVIDER === 'google' && !raw.GOOGLE_GEOCODING_API_KEY) {
    problems.push('GOOGLE_GEOCODING_API_KEY: is required when GEOCODER_PROVIDER=google');
  }
  if (Boolean(raw.TEMPORAL_TLS_CERT_PATH) !== Boolean(raw.TEMPORAL_TLS_KEY_PATH)) {
    problems.push(`${raw.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH'}: TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: set both or neither`);
  }
  return problems;
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
  ozmap: { url: string; apiKey: string; timeoutMs: number };
  defaults: { radiusMeters: number; holdDays: number; selectionTimeoutHours: number };
  geocoder:
    | { provider: 'nominatim'; url: string; userAgent: string; minIntervalMs: number }
    | { provider: 'google'; url: string; apiKey: string };
  http: { port: number; ispboxApiKey?: string };
  /** A pre-built workflow bundle (`npm run build`); workflows are bundled at start without it. */
  workflowBundlePath?: string;
  worker: { maxCachedWorkflows: number };
  logLevel: Env['LOG_LEVEL'];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws one ConfigError listing every problem. Empty strings count as unset. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(environment).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = EnvSchema.safeParse(present);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`)),
    ...crossFieldProblems(present),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data;
  const tlsWanted = env.TEMPORAL_TLS ?? Boolean(env.TEMPORAL_TLS_CERT_PATH || env.TEMPORAL_API_KEY);
  return {
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      apiKey: env.TEMPORAL_API_KEY,
      tls: tlsWanted
        ? { certPath: env.TEMPORAL_TLS_CERT_PATH, keyPath: env.TEMPORAL_TLS_KEY_PATH, caPath: env.TEMPORAL_TLS_CA_PATH, serverName: env.TEMPORAL_TLS_SERVER_NAME }
        : undefined,
    },
    ozmap: { url: env.OZMAP_URL, apiKey: env.OZMAP_API_KEY ?? DEMO_OZMAP_API_KEY, timeoutMs: env.OZMAP_TIMEOUT_MS },
    defaults: {
      radiusMeters: env.OZMAP_RADIUS_METERS,
      holdDays: env.RESERVATION_HOLD_DAYS,
      selectionTimeoutHours: env.SELECTION_TIMEOUT_HOURS,
    },
    geocoder:
      (env.GEOCODER_PROVIDER ?? (env.GOOGLE_GEOCODING_API_KEY ? 'google' : 'nominatim')) === 'google'
        ? { provider: 'google', url: env.GEOCODER_URL ?? 'https://maps.googleapis.com/maps/api/geocode/json', apiKey: env.GOOGLE_GEOCODING_API_KEY! }
        : {
            provider: 'nominatim',
            // The simulator answers Nominatim's /search, so the embedded default needs no internet.
            url: env.GEOCODER_URL ?? (isLoopback(new URL(env.OZMAP_URL).hostname) ? env.OZMAP_URL : PUBLIC_NOMINATIM_URL),
            userAgent: env.GEOCODER_USER_AGENT,
            minIntervalMs: env.GEOCODER_MIN_INTERVAL_MS,
          },
    http: { port: env.HTTP_PORT, ispboxApiKey: env.ISPBOX_API_KEY },
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
    worker: { maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS },
    logLevel: env.LOG_LEVEL,
  };
}
