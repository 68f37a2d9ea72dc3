/** The configuration's documented defaults and demo values (docs/architecture.md, configuration). */
import path from 'node:path';

/**
 * Where the embedded default keeps its state (the dev server's SQLite file, the simulator's, the tenant registry's):
 * `.data/` in the project, whichever entry point (a built worker lives in dist/, one folder down too).
 */
export const DEFAULT_DATA_DIR = path.resolve(import.meta.dirname, '..', '.data');

/** The simulator's documented demo key: used only when OZMAP_URL is unset or points at the local simulator. */
export const DEMO_OZMAP_API_KEY = 'demo-ozmap-key';
export const DEFAULT_OZMAP_URL = 'http://127.0.0.1:9994';
export const PUBLIC_NOMINATIM_URL = 'https://nominatim.openstreetmap.org';
export const GOOGLE_GEOCODING_URL = 'https://maps.googleapis.com/maps/api/geocode/json';
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
/** Where the HTTP API and the codec endpoint listen unless told otherwise: loopback, so no key is needed. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';
/** The Temporal samples' codec server port. */
export const DEFAULT_CODEC_SERVER_PORT = 8888;
/** The dev server's Web UI, as a browser may name it. */
export const DEFAULT_CODEC_ORIGINS = 'http://127.0.0.1:8233,http://localhost:8233';
/** The HTTP API's documented demo key: used only when ISPBOX_API_KEY is unset and the API listens on loopback. */
export const DEMO_ISPBOX_API_KEY = 'demo-ispbox-key-change-me';
/**
 * Workflows the worker keeps in memory between tasks. The SDK's default grows with the heap limit (about 2,300 with a
 * 4 GiB heap); a cached run costs its V8 state in the workflow thread and its state machines in the SDK core, though a
 * held reservation wakes only once or twice in its 30 days. The cache pays off only for reservations being made (a
 * few tasks within seconds), so it is sized for those: above the workflow task slots, which it must not be below.
 * An evicted reservation is replayed from its short history when its hold ends or a message arrives
 * (bench/README.md: memory and the replay's cost).
 */
// 50: with the built worker and 20,000 held, RSS 260 MiB against 303 at 100, while 1,000 simultaneous expiries took
// 90.7 s against 88 and the fill was no slower (bench/README.md, "Settings chosen").
export const DEFAULT_MAX_CACHED_WORKFLOWS = 50;
/** Workflow tasks run at once (the SDK's default: 40); never more than the cache holds. */
export const DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS = 40;
/**
 * How long a workflow task waits for the worker that has its workflow cached before any worker may take it (the SDK's
 * default: 10 s). A worker's own (sticky) queue is first come, first served; the shared queue is where Temporal's
 * Fairness hands tasks out per tenant. An idle worker takes its tasks at once, so this only acts under load: then a
 * tenant's tasks stop queueing behind another tenant's burst, at the cost of a replay of a short history
 * (docs/tenants.md, "Isolation").
 */
export const DEFAULT_STICKY_TIMEOUT_MS = 100;
/**
 * Activities a second that one tenant's work may be dispatched on the task queue (Temporal's per-fairness-key rate
 * limit). A reservation is two activities and its webhooks a few more; two cores run about 30 a second in all
 * (bench/README.md), so one tenant's burst leaves a third of that to the others (docs/tenants.md, "Isolation"). Raise
 * it with the workers' capacity.
 */
export const DEFAULT_TENANT_ACTIVITIES_PER_SECOND = 20;
/** Threads that run workflow code (the SDK's default with its reused V8 context: 1). */
export const DEFAULT_WORKFLOW_THREADS = 1;
/**
 * `npm run start:cluster` (docs/deployment.md): workers it runs, and its ports besides TEMPORAL_ADDRESS and HTTP_PORT.
 */
export const DEFAULT_CLUSTER_WORKERS = 2;
export const DEFAULT_CLUSTER_POSTGRES_PORT = 5432;
export const DEFAULT_CLUSTER_UI_PORT = 8233;
export const DEFAULT_CLUSTER_PROMETHEUS_PORT = 9090;
/** Metrics ports: base+1..4 the Temporal services, base+100+n worker n's SDK metrics, base+200+n its own. */
export const DEFAULT_CLUSTER_METRICS_PORT_BASE = 9000;
