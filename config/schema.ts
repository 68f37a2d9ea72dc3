/**
 * The environment's variables (EnvSchema) and the nested configuration the parts read (ConfigSchema, its transform).
 * `Config` is inferred from the transform, so the shape has one definition (docs/architecture.md, configuration).
 * Rules that span variables live in rules.ts; this file checks each variable on its own.
 */
import path from 'node:path';
import { z } from 'zod';
import { DEFAULTS, DEFAULT_TASK_QUEUE } from '../contract/defaults.ts';
import { DEFAULT_MAX_HOLD_DAYS, DEFAULT_MAX_MOVES, DEFAULT_POLE_MAX_DROP_METERS } from '../contract/limits.ts';
import { EncryptionKey, keyFingerprint } from '../codec/keys.ts';
import { isLoopbackHost } from '../net/hosts.ts';
import {
  DEFAULT_CODEC_ORIGINS,
  DEFAULT_DATA_DIR,
  DEFAULT_CLUSTER_METRICS_PORT_BASE,
  DEFAULT_CLUSTER_POSTGRES_PORT,
  DEFAULT_CLUSTER_PROMETHEUS_PORT,
  DEFAULT_CLUSTER_UI_PORT,
  DEFAULT_CLUSTER_WORKERS,
  DEFAULT_CODEC_SERVER_PORT,
  DEFAULT_LISTEN_HOST,
  DEFAULT_MAX_CACHED_WORKFLOWS,
  DEFAULT_STICKY_TIMEOUT_MS,
  DEFAULT_TENANT_ACTIVITIES_PER_SECOND,
  DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS,
  DEFAULT_WORKFLOW_THREADS,
  DEFAULT_OZMAP_URL,
  DEFAULT_TEMPORAL_ADDRESS,
  DEMO_ISPBOX_API_KEY,
  DEMO_OZMAP_API_KEY,
  GOOGLE_GEOCODING_URL,
  PUBLIC_NOMINATIM_URL,
} from './defaults.ts';
import {
  aesKey,
  bool,
  frameAncestors,
  keyId,
  origins,
  positiveNumber,
  previousKeys,
  reconcileSchedule,
  reminderDays,
  url,
} from './fields.ts';
import { DEFAULT_REMINDER_DAYS } from '../contract/webhooks.ts';
import { webhookSecretProblem } from '../contract/webhook-secret.ts';
import { DEFAULT_RECONCILE_PAGE_SIZE } from '../contract/reconcile.ts';
import { DEFAULT_BATCH_GEOCODE_INTERVAL_MS, DEFAULT_BATCH_RETENTION_DAYS } from '../contract/demand.ts';

/** A webhook secret: 16+ characters, and a `whsec_` one must decode as its receivers will (webhook-secret.ts). */
const webhookSecret = (tooShort: string) =>
  z
    .string()
    .trim()
    .min(16, tooShort)
    .superRefine((secret, ctx) => {
      const problem = webhookSecretProblem(secret);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const tcpPort = z.coerce
  .number({ error: 'must be a TCP port (1-65535)' })
  .int('must be a TCP port (1-65535)')
  .min(1, 'must be a TCP port (1-65535)')
  .max(65535, 'must be a TCP port (1-65535)');

/** host:port for a metrics endpoint, e.g. 127.0.0.1:9464 (0.0.0.0:9464 to let a Prometheus elsewhere scrape it). */
const listenAddress = z
  .string()
  .trim()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'must be host:port with a port up to 65535');

/** A Worker Deployment name or Build ID: Temporal joins them as `<name>.<buildId>`, so no dot in the name. */
const deploymentPart = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/, 'must be 1-255 of [A-Za-z0-9._-], e.g. ozmap-reservations or v2');

/** Daily at 03:00 UTC: a quiet hour for OZmap, and long before a morning's sales. */
export const DEFAULT_RECONCILE_CRON = '0 3 * * *';

export const EnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().trim().min(1).default(DEFAULT_TEMPORAL_ADDRESS),
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
  // Tenant switches for inferred OZmap facts (docs/operations.md, "Before the first sale").
  OZMAP_AUTH_SCHEME: z.enum(['raw', 'bearer'], { error: 'must be "raw" (the key alone) or "bearer"' }).default('raw'),
  OZMAP_FIND_BY: z
    .enum(['external_id', 'client_code'], { error: 'must be "external_id" or "client_code"' })
    .default('external_id'),
  DOCTOR_GEOCODE_ADDRESS: z.string().trim().min(3, 'must be an address the geocoder knows').optional(),
  OZMAP_RADIUS_METERS: positiveNumber('metres').default(DEFAULTS.radiusMeters),
  // The default tenant's feasibility (docs/poles.md): a straight-line radius, or drops along the poles.
  VIABILITY_MODE: z.enum(['radius', 'poles'], { error: 'must be "radius" or "poles"' }).default('radius'),
  // Pole mode: the longest drop when the box's OZmap project sets no maximum (Project.drop.maxSize).
  POLE_MAX_DROP_METERS: z.coerce
    .number({ error: 'must be a whole number of metres' })
    .int('must be a whole number of metres')
    .min(10, 'must be at least 10 metres')
    .max(2000, 'must be at most 2000 metres')
    .default(DEFAULT_POLE_MAX_DROP_METERS),
  // Whole days, at most RESERVATION_MAX_HOLD_DAYS (a rule across variables, rules.ts).
  RESERVATION_HOLD_DAYS: positiveNumber('days').default(DEFAULTS.holdDays),
  // The longest hold, from reservedAt, at creation and by extension; the worker hands it to each workflow run.
  RESERVATION_MAX_HOLD_DAYS: z.coerce
    .number({ error: 'must be a whole number of days' })
    .int('must be a whole number of days')
    .positive('must be at least 1')
    .max(365, 'must be at most 365 days')
    .default(DEFAULT_MAX_HOLD_DAYS),
  // Moves (changeBox) per reservation: each is a fresh OZmap search and a few events in history.
  RESERVATION_MAX_MOVES: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (no moves) or more')
    .max(100, 'must be at most 100')
    .default(DEFAULT_MAX_MOVES),
  // Tests and demos only: holds of a fraction of a day (seconds, say), so that expiry can be watched.
  RESERVATION_FRACTIONAL_HOLD_DAYS: bool.default(false),
  SELECTION_TIMEOUT_HOURS: positiveNumber('hours').default(DEFAULTS.selectionTimeoutHours),

  GEOCODER_PROVIDER: z.enum(['nominatim', 'google'], { error: 'must be "nominatim" or "google"' }).optional(),
  GEOCODER_URL: url('a Nominatim-compatible base URL').optional(),
  GEOCODER_USER_AGENT: z.string().trim().min(1).default('ispbox-ozmap-reservations/0.1 (+https://github.com/)'),
  GEOCODER_MIN_INTERVAL_MS: z.coerce.number().int().nonnegative().default(1000),
  GOOGLE_GEOCODING_API_KEY: z.string().trim().min(1).optional(),

  HTTP_PORT: z.coerce.number().int().min(1).max(65535, 'must be a TCP port (1-65535)').default(3000),
  HTTP_HOST: z.string().trim().min(1).default(DEFAULT_LISTEN_HOST),
  // How long POST /v1/reservations waits for the reservation before answering 202; well below Node's
  // 24.8-day timer limit.
  HTTP_WAIT_SECONDS: positiveNumber('seconds')
    .refine((n) => n <= 600, 'must be at most 600 seconds')
    .default(20),
  // How long a client may take to send a whole request (headers and body); a slow sender is cut off with 408.
  HTTP_REQUEST_TIMEOUT_SECONDS: positiveNumber('seconds')
    .refine((n) => n <= 300, 'must be at most 300 seconds')
    .default(10),
  ISPBOX_API_KEY: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  // The API's Prometheus metrics (docs/deployment.md): off unless one of these is set. A listener of their own, and/or
  // a bearer token they need wherever they are served (on the API's port only with it).
  HTTP_METRICS_ADDRESS: listenAddress.optional(),
  METRICS_TOKEN: z
    .string()
    .trim()
    .min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 24`), given to Prometheus as its bearer token')
    .optional(),
  // Signs the map page's links instead of a key derived from ISPBOX_API_KEY (client/viability-link.ts).
  VIABILITY_LINK_SECRET: z
    .string()
    .trim()
    .min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)')
    .optional(),
  PAYLOAD_ENCRYPTION_KEY: aesKey.optional(),
  PAYLOAD_ENCRYPTION_KEY_ID: keyId.optional(),
  PAYLOAD_ENCRYPTION_PREVIOUS_KEYS: previousKeys.optional(),
  CODEC_SERVER_HOST: z.string().trim().min(1).default(DEFAULT_LISTEN_HOST),
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
  // Signed webhooks to Ispbox (docs/architecture.md, "Webhooks"); off unless WEBHOOK_URL is set. The URL's scheme
  // and the secret's presence are rules across variables (rules.ts).
  WEBHOOK_URL: url(
    'the Ispbox endpoint that receives the events, e.g. https://ispbox.example.com/ozmap/events',
  ).optional(),
  // Its UTF-8 bytes are the HMAC key, or for `whsec_<base64>` the decoded bytes (Standard Webhooks' format).
  WEBHOOK_SECRET: webhookSecret(
    'must be at least 16 characters (e.g. `openssl rand -hex 32`), shared with the receiver',
  ).optional(),
  // The secret that WEBHOOK_SECRET replaced: both sign while it is set (Standard Webhooks' rotation; docs/webhooks.md).
  WEBHOOK_PREVIOUS_SECRET: webhookSecret(
    'must be at least 16 characters: the secret WEBHOOK_SECRET replaced',
  ).optional(),
  // How long a tenant's old webhook secret keeps signing beside a new one set through the admin API.
  WEBHOOK_SECRET_OVERLAP_HOURS: positiveNumber('hours')
    .refine((n) => n <= 24 * 30, 'must be at most 720 hours')
    .default(24),
  RESERVATION_REMINDER_DAYS: reminderDays.default(() => [...DEFAULT_REMINDER_DAYS]),
  // Many ISPs in one deployment (docs/tenants.md): the registry's store, its secrets' key, the admin API's key.
  ISPBOX_OZMAP_DATA_DIR: z.string().trim().min(1).default(DEFAULT_DATA_DIR),
  DATABASE_URL: z
    .string()
    .trim()
    .refine(
      (s) => URL.canParse(s) && /^postgres(ql)?:$/.test(new URL(s).protocol),
      'must be a PostgreSQL URL, e.g. postgres://ozres:<password>@127.0.0.1:5432/ozres (unset: an SQLite file in ' +
        'ISPBOX_OZMAP_DATA_DIR)',
    )
    .optional(),
  TENANT_SECRETS_KEY: aesKey.optional(),
  TENANT_SECRETS_KEY_ID: keyId.optional(),
  TENANT_SECRETS_PREVIOUS_KEYS: previousKeys.optional(),
  ADMIN_API_KEY: z.string().trim().min(24, 'must be at least 24 characters (e.g. `openssl rand -hex 24`)').optional(),
  // The `default` tenant's name: the ISP's, as the installer's sketch and `ozres tenants list` show it.
  DEFAULT_TENANT_NAME: z
    .string()
    .trim()
    .max(200, 'must be at most 200 characters')
    // eslint-disable-next-line no-control-regex -- the control characters are what it refuses
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters (tabs, line breaks)')
    .default('default'),
  MAP_TILE_URL: z
    .string()
    .trim()
    .regex(
      /^https?:\/\/[^/\s]+\/\S*\{z\}\S*$/,
      'must be an http(s) tile URL template with {z}, {x} and {y}, ' +
        'e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png',
    )
    .refine((s) => s.includes('{x}') && s.includes('{y}'), 'must contain {z}, {x} and {y}')
    .optional(),
  MAP_TILE_ATTRIBUTION: z.string().trim().min(1).max(300).optional(),
  // Which pages may show the map page in a frame (CSP frame-ancestors); Ispbox opens it in its own tab by default.
  MAP_FRAME_ANCESTORS: frameAncestors.default("'none'"),
  WORKFLOW_BUNDLE_PATH: z.string().trim().min(1).optional(),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 (no cache) or more')
    .default(DEFAULT_MAX_CACHED_WORKFLOWS),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(2, 'must be 2 or more (the SDK needs two slots with a cache)')
    .default(DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS),
  WORKER_WORKFLOW_THREADS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be 1 or more')
    .max(16, 'must be at most 16')
    .default(DEFAULT_WORKFLOW_THREADS),
  TENANT_ACTIVITIES_PER_SECOND: z.coerce
    .number({ error: 'must be a number of activities a second' })
    .min(0, 'must be 0 (no limit) or more')
    .max(100_000, 'must be at most 100000')
    .default(DEFAULT_TENANT_ACTIVITIES_PER_SECOND),
  WORKER_STICKY_TIMEOUT_MS: z.coerce
    .number({ error: 'must be a whole number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(10, 'must be 10 ms or more')
    .max(60_000, 'must be at most 60000 ms')
    .default(DEFAULT_STICKY_TIMEOUT_MS),
  // Metrics and Worker Deployments (docs/deployment.md); off unless set.
  WORKER_METRICS_ADDRESS: listenAddress.optional(),
  WORKER_APP_METRICS_ADDRESS: listenAddress.optional(),
  WORKER_DEPLOYMENT_NAME: deploymentPart.optional(),
  WORKER_BUILD_ID: deploymentPart.optional(),
  CLUSTER_WORKERS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be 1 or more')
    .max(32, 'must be at most 32')
    .default(DEFAULT_CLUSTER_WORKERS),
  CLUSTER_POSTGRES_PORT: tcpPort.default(DEFAULT_CLUSTER_POSTGRES_PORT),
  CLUSTER_UI_PORT: tcpPort.default(DEFAULT_CLUSTER_UI_PORT),
  CLUSTER_PROMETHEUS_PORT: tcpPort.default(DEFAULT_CLUSTER_PROMETHEUS_PORT),
  CLUSTER_METRICS_PORT_BASE: z.coerce
    .number({ error: 'must be a TCP port' })
    .int('must be a TCP port')
    .min(1024, 'must be 1024-65000 (ports up to base+300 are used)')
    .max(65000, 'must be 1024-65000 (ports up to base+300 are used)')
    .default(DEFAULT_CLUSTER_METRICS_PORT_BASE),
  // The reconciler (docs/architecture.md, "Reconciler"): its Schedule, registered by every worker, and page size.
  RECONCILE_SCHEDULE: reconcileSchedule.default({ kind: 'cron', expression: DEFAULT_RECONCILE_CRON }),
  RECONCILE_PAGE_SIZE: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be 1 or more')
    .max(1000, 'must be at most 1000')
    .default(DEFAULT_RECONCILE_PAGE_SIZE),
  // Batch feasibility (docs/demand.md, "Batch feasibility: how it works"): how long a batch is kept after it ends,
  // and the pace of its geocoding, per worker process, shared by every batch that process runs.
  BATCH_RETENTION_DAYS: z.coerce
    .number({ error: 'must be a whole number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(3650, 'must be at most 3650 days')
    .default(DEFAULT_BATCH_RETENTION_DAYS),
  BATCH_GEOCODE_INTERVAL_MS: z.coerce
    .number({ error: 'must be a whole number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be 0 or more milliseconds')
    .max(60_000, 'must be at most 60000 milliseconds')
    .default(DEFAULT_BATCH_GEOCODE_INTERVAL_MS),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/** The variables once parsed, before they are arranged for the parts. */
export type Env = z.output<typeof EnvSchema>;

/** The parsed variables arranged as the parts read them; its return type is `Config`. */
function toConfig(env: Env) {
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
      authScheme: env.OZMAP_AUTH_SCHEME,
      findBy: env.OZMAP_FIND_BY,
    },
    /** `ozres doctor`: the address the geocoder check asks for (default: see doctor/ozmap-checks.ts). */
    doctor: { geocodeAddress: env.DOCTOR_GEOCODE_ADDRESS },
    defaults: {
      radiusMeters: env.OZMAP_RADIUS_METERS,
      holdDays: env.RESERVATION_HOLD_DAYS,
      selectionTimeoutHours: env.SELECTION_TIMEOUT_HOURS,
    },
    /** How a box becomes a candidate (docs/poles.md): the default tenant's mode, and every tenant's fallback. */
    viability: { mode: env.VIABILITY_MODE, fallbackMaxDropMeters: env.POLE_MAX_DROP_METERS },
    /** What a reservation may grow to (contract/limits.ts): checked at the boundary and by the workflow. */
    limits: {
      maxHoldDays: env.RESERVATION_MAX_HOLD_DAYS,
      maxMoves: env.RESERVATION_MAX_MOVES,
      fractionalHoldDays: env.RESERVATION_FRACTIONAL_HOLD_DAYS,
    },
    geocoder: geocoder(env),
    /** Payload encryption (codec/): undefined when off. `current` encrypts; every key decrypts what it encrypted. */
    payloadEncryption: payloadEncryption(env),
    /** The tenant registry (docs/tenants.md): where it is stored, the key its secrets are sealed under, admin. */
    registry: registry(env),
    /** The codec endpoint for the Web UI (`npm run codec-server`, or `npm start` when encryption is on). */
    codecServer: {
      host: env.CODEC_SERVER_HOST,
      port: env.CODEC_SERVER_PORT,
      allowedOrigins: env.CODEC_SERVER_ALLOWED_ORIGINS,
      token: env.CODEC_SERVER_TOKEN,
    },
    /** The HTTP API; `demoKey` says the public demo key is in use (loopback only). */
    http: {
      port: env.HTTP_PORT,
      host: env.HTTP_HOST,
      ispboxApiKey: env.ISPBOX_API_KEY ?? DEMO_ISPBOX_API_KEY,
      demoKey: env.ISPBOX_API_KEY === undefined,
      /** VIABILITY_LINK_SECRET; unset: links are signed with a key derived from ispboxApiKey. */
      linkSecret: env.VIABILITY_LINK_SECRET,
      waitSeconds: env.HTTP_WAIT_SECONDS,
      requestTimeoutSeconds: env.HTTP_REQUEST_TIMEOUT_SECONDS,
      /** GET /metrics: on `address` (a listener of its own) or, with only a token, on the API's port; else off. */
      metrics: { address: env.HTTP_METRICS_ADDRESS, token: env.METRICS_TOKEN },
    },
    /** Signed webhooks to Ispbox: undefined when WEBHOOK_URL is unset (rules.ts requires the secret with it). */
    webhooks: env.WEBHOOK_URL
      ? {
          url: env.WEBHOOK_URL,
          secret: env.WEBHOOK_SECRET!,
          ...(env.WEBHOOK_PREVIOUS_SECRET ? { previousSecret: env.WEBHOOK_PREVIOUS_SECRET } : {}),
          reminderDays: env.RESERVATION_REMINDER_DAYS,
        }
      : undefined,
    /** Days before the end of a hold at which the reminders go out (RESERVATION_REMINDER_DAYS), for every tenant. */
    reminderDays: env.RESERVATION_REMINDER_DAYS,
    /** The viability map page's background tiles; none: a plain background (no internet needed). */
    map: {
      tileUrl: env.MAP_TILE_URL,
      tileAttribution: env.MAP_TILE_ATTRIBUTION,
      frameAncestors: env.MAP_FRAME_ANCESTORS,
    },
    /** A pre-built workflow bundle (`npm run build`); workflows are bundled at start without it. */
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
    worker: {
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
      maxConcurrentWorkflowTaskExecutions: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
      workflowThreadPoolSize: env.WORKER_WORKFLOW_THREADS,
      stickyQueueScheduleToStartTimeout: env.WORKER_STICKY_TIMEOUT_MS,
      /** Each tenant's activities a second on the task queue (worker/tenant-rate.ts); 0: no limit. */
      tenantActivitiesPerSecond: env.TENANT_ACTIVITIES_PER_SECOND,
      /** The SDK runtime's Prometheus exporter (Runtime.install telemetry), when set. */
      metricsAddress: env.WORKER_METRICS_ADDRESS,
      /** The project's own metrics (metrics/), when set. */
      appMetricsAddress: env.WORKER_APP_METRICS_ADDRESS,
      /** Worker Deployment versioning: both set (rules.ts), or off. */
      deployment:
        env.WORKER_DEPLOYMENT_NAME && env.WORKER_BUILD_ID
          ? { deploymentName: env.WORKER_DEPLOYMENT_NAME, buildId: env.WORKER_BUILD_ID }
          : undefined,
    },
    /** `npm run start:cluster` only. */
    cluster: {
      workers: env.CLUSTER_WORKERS,
      postgresPort: env.CLUSTER_POSTGRES_PORT,
      uiPort: env.CLUSTER_UI_PORT,
      prometheusPort: env.CLUSTER_PROMETHEUS_PORT,
      metricsPortBase: env.CLUSTER_METRICS_PORT_BASE,
    },
    /** The reconciler's Schedule and page size (`ozres reconcile` uses the page size too). */
    reconciler: { schedule: env.RECONCILE_SCHEDULE, pageSize: env.RECONCILE_PAGE_SIZE },
    /** Batch feasibility (docs/demand.md): retention after a batch ends, and the geocoding pace of its rows. */
    batches: { retentionDays: env.BATCH_RETENTION_DAYS, geocodeIntervalMs: env.BATCH_GEOCODE_INTERVAL_MS },
    logLevel: env.LOG_LEVEL,
  };
}

function geocoder(env: Env) {
  if ((env.GEOCODER_PROVIDER ?? (env.GOOGLE_GEOCODING_API_KEY ? 'google' : 'nominatim')) === 'google') {
    // The key's presence is a rule across variables (rules.ts): loadConfig returns nothing without it.
    return {
      provider: 'google' as const,
      url: env.GEOCODER_URL ?? GOOGLE_GEOCODING_URL,
      apiKey: env.GOOGLE_GEOCODING_API_KEY!,
    };
  }
  return {
    provider: 'nominatim' as const,
    // The simulator answers Nominatim's /search, so the embedded default needs no internet.
    url: env.GEOCODER_URL ?? (isLoopbackHost(new URL(env.OZMAP_URL).hostname) ? env.OZMAP_URL : PUBLIC_NOMINATIM_URL),
    userAgent: env.GEOCODER_USER_AGENT,
    minIntervalMs: env.GEOCODER_MIN_INTERVAL_MS,
  };
}

function registry(env: Env) {
  const key = env.TENANT_SECRETS_KEY;
  return {
    store: env.DATABASE_URL
      ? { kind: 'postgres' as const, url: env.DATABASE_URL }
      : { kind: 'sqlite' as const, file: path.join(env.ISPBOX_OZMAP_DATA_DIR, 'registry.sqlite') },
    secrets: {
      current: key ? new EncryptionKey(env.TENANT_SECRETS_KEY_ID ?? keyFingerprint(key), key) : undefined,
      previous: env.TENANT_SECRETS_PREVIOUS_KEYS ?? [],
    },
    /** ADMIN_API_KEY: the admin API (/v1/admin/) is off without it. */
    adminApiKey: env.ADMIN_API_KEY,
    /** DEFAULT_TENANT_NAME: the environment's tenant's name (the ISP's, on the installer's sketch). */
    defaultTenantName: env.DEFAULT_TENANT_NAME,
    webhookSecretOverlapMs: env.WEBHOOK_SECRET_OVERLAP_HOURS * 3_600_000,
  };
}

function payloadEncryption(env: Env) {
  const previous = env.PAYLOAD_ENCRYPTION_PREVIOUS_KEYS ?? [];
  const key = env.PAYLOAD_ENCRYPTION_KEY;
  if (!key && previous.length === 0) return undefined;
  // Without a current key but with older ones, payloads are no longer encrypted yet old histories still read.
  return {
    current: key ? new EncryptionKey(env.PAYLOAD_ENCRYPTION_KEY_ID ?? keyFingerprint(key), key) : undefined,
    previous,
  };
}

/** Parses the (present, non-empty) variables straight into a Config. */
export const ConfigSchema = EnvSchema.transform(toConfig);

export type Config = z.output<typeof ConfigSchema>;
