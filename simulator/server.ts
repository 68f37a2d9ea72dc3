/**
 * The OZmap simulator: a real HTTP server (node:http) for the OZmap API v2 subset of the reservation flow, a
 * Nominatim-compatible /search, and /__sim/ controls. See docs/architecture.md, "Parts", simulator/ and "OZmap facts".
 *
 *   /api/v2/*   OZmap: API key in Authorization (raw, or "Bearer <key>"); subject to fault injection
 *   /search     Nominatim-style geocoding over the demo gazetteer; no key
 *   /__sim/*    faults, stats, summary, reset; same key; never faulted
 */
import { once } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostPort } from '../net/hosts.ts';
import { type SimulatorSummary, adminRouter, summarize } from './admin.ts';
import { API_PREFIX, apiRouter } from './api.ts';
import { type FaultConfig, type FaultKind, FaultInjector, FaultPatch } from './faults.ts';
import { nominatimSearch } from './geocoding.ts';
import { ApiError, type ApiResult, isAuthorized, parseJson, readBody, send } from './http.ts';
import { DEFAULT_SEED, pristineNetwork } from './network.ts';
import { StateFile } from './persistence.ts';
import { runtimeObjectIds } from './random.ts';
import { Stats } from './stats.ts';
import { Store } from './store.ts';
import type { Variant } from './variants.ts';

/** The documented demo key: what the simulator accepts when no OZMAP_API_KEY is configured. */
export const DEFAULT_SIM_API_KEY = 'demo-ozmap-key';
export const DEFAULT_SIM_HOST = '127.0.0.1';
/** OZmap's API port. */
export const DEFAULT_SIM_PORT = 9994;

export { DEFAULT_SEED, ISOLATED_BOX, NO_COVERAGE_POINT, RIVER, RIVER_DEMO_POINT, generateNetwork } from './network.ts';
export { GAZETTEER } from './gazetteer.ts';
export type { FaultConfig } from './faults.ts';
export type { SimulatorSummary } from './admin.ts';

export interface SimulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  apiKey?: string;
  /** JSON file the state is loaded from and saved to; without it the state lives in memory only. */
  stateFile?: string;
  /** Seed of the generated network (used when there is no state file yet, and by reset). */
  seed?: number;
  faults?: Partial<FaultConfig>;
  /** Tenant variants, each differing on one inferred fact (variants.ts). */
  variants?: readonly Variant[];
  /** Where operational messages go (state-file problems, unexpected errors). Default: stderr. */
  log?: (message: string) => void;
}

export interface Simulator {
  /** Base URL, e.g. http://127.0.0.1:9994 (OZMAP_URL and the geocoder URL alike). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly apiKey: string;
  readonly stateFile: string | undefined;
  /** The live state (tests read it; changing it bypasses the API's rules). */
  readonly store: Store;
  readonly faults: FaultInjector;
  readonly stats: Stats;
  /** Partial update of the fault configuration; returns the new one. */
  setFaults(patch: Partial<FaultConfig>): FaultConfig;
  summary(): SimulatorSummary;
  /** Back to the seeded network (this seed, or the one it started with). */
  reset(seed?: number): void;
  /** Writes pending state to the state file. */
  flush(): Promise<void>;
  /** Stops listening, ends connections and writes the state. */
  close(): Promise<void>;
}

const ERROR_BODY = { message: 'Service temporarily unavailable (simulated fault)' };

function errorResult(error: unknown, log: (message: string) => void): ApiResult {
  if (error instanceof ApiError) return { status: error.status, body: error.body };
  log(`OZmap simulator: unexpected error: ${(error as Error).stack ?? String(error)}`);
  return { status: 500, body: { message: `Internal simulator error: ${(error as Error).message}` } };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? DEFAULT_SIM_HOST;
  const apiKey = options.apiKey ?? DEFAULT_SIM_API_KEY;
  const log = options.log ?? ((message: string) => console.error(message));
  const faults = new FaultInjector(options.faults);
  const variants: ReadonlySet<Variant> = new Set(options.variants ?? []);
  const stats = new Stats();

  const stateFile = options.stateFile
    ? new StateFile(options.stateFile, (error) =>
        log(`OZmap simulator: cannot save state to ${options.stateFile}: ${error.message}`),
      )
    : undefined;
  let seed = options.seed ?? DEFAULT_SEED;
  const saved = await stateFile?.load();
  if (saved) seed = saved.seed;
  const store = new Store(saved ?? pristineNetwork(seed), { newId: runtimeObjectIds(), clock: () => new Date() });
  if (stateFile) {
    store.onChange = () => stateFile.markDirty(() => store.snapshot());
    if (!saved) store.onChange();
  }
  const reset = (newSeed?: number) => {
    seed = newSeed ?? seed;
    store.replace(pristineNetwork(seed));
  };

  /** Aborted on close, so that a held late create does not land after the state was written. */
  const closing = new AbortController();
  const api = apiRouter();
  const admin = adminRouter();

  /** Answers an /api/v2 request; only those are counted, so the stats describe what an OZmap client did. */
  const respond = (res: ServerResponse, result: ApiResult) => {
    stats.countStatus(result.status);
    send(res, result);
  };

  const injectFault = (res: ServerResponse, kind: FaultKind) => {
    stats.countFault(kind);
    if (kind === 'error') {
      respond(res, { status: 503, body: ERROR_BODY, headers: { 'retry-after': '1' } });
    } else {
      // An RST, so the client sees ECONNRESET rather than a clean close.
      const socket = res.socket;
      if (socket) socket.resetAndDestroy();
      else res.destroy();
    }
  };

  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const match = api.match(method, url.pathname);
    const pattern =
      match.kind === 'none' ? `${API_PREFIX}/(unknown)` : match.kind === 'found' ? match.route.pattern : match.pattern;
    stats.countRequest(`${method} ${pattern}`);
    const raw = await readBody(req);
    const plan = faults.plan(method);
    if (plan.delayMs > 0) {
      stats.countFault('delayed');
      // Cut short by close(): a long injected latency must not keep a stopped simulator's process alive.
      await sleep(plan.delayMs, undefined, { signal: closing.signal }).catch(() => undefined);
      if (closing.signal.aborted) return void res.destroy();
    }
    if (plan.fault && plan.phase === 'before') return injectFault(res, plan.fault);
    const lateMs = method === 'POST' ? faults.takeLateCreate(pattern.slice(API_PREFIX.length + 1)) : undefined;
    if (lateMs !== undefined) {
      // The caller has usually given up by now; the create is applied all the same, as a slow server would.
      stats.countFault('late');
      stats.lateStarted();
      await sleep(lateMs, undefined, { signal: closing.signal }).catch(() => undefined);
      if (closing.signal.aborted) {
        stats.lateEnded();
        return void res.destroy();
      }
    }

    let result: ApiResult;
    try {
      const isPublic = match.kind === 'found' && match.route.handler.public;
      if (!isPublic && !isAuthorized(req.headers.authorization, apiKey)) {
        throw new ApiError(401, 'Unauthorized: send the API key in the Authorization header');
      }
      if (match.kind === 'none') throw new ApiError(404, `No route for ${method} ${url.pathname}`);
      if (match.kind === 'wrong-method') {
        throw new ApiError(405, `${method} is not allowed on ${match.pattern}; allowed: ${match.allowed.join(', ')}`);
      }
      // Synchronous from here to the response: the check-and-set of a reservation cannot interleave.
      result = match.route.handler.run({
        store,
        apiKey,
        params: match.params,
        query: url.searchParams,
        body: parseJson(raw),
        variants,
      });
    } catch (error) {
      result = errorResult(error, log);
    } finally {
      if (lateMs !== undefined) stats.lateEnded(); // applied (or refused): no longer held
    }
    if (plan.fault && plan.phase === 'after') return injectFault(res, plan.fault);
    respond(res, result);
  }

  async function handleAdmin(req: IncomingMessage, res: ServerResponse, method: string, url: URL): Promise<void> {
    const raw = await readBody(req);
    if (!isAuthorized(req.headers.authorization, apiKey))
      throw new ApiError(401, 'Unauthorized: send the API key in the Authorization header');
    const match = admin.match(method, url.pathname);
    if (match.kind === 'none') throw new ApiError(404, `No route for ${method} ${url.pathname}`);
    if (match.kind === 'wrong-method')
      throw new ApiError(405, `${method} is not allowed on ${match.pattern}; allowed: ${match.allowed.join(', ')}`);
    send(res, match.route.handler({ store, faults, stats, reset, body: parseJson(raw) }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let isApi = false;
    try {
      const url = new URL(req.url ?? '/', 'http://simulator.invalid');
      const path = url.pathname;
      isApi = path === API_PREFIX || path.startsWith(`${API_PREFIX}/`);
      if (isApi) return await handleApi(req, res, method, url);
      if (path.startsWith('/__sim/')) return await handleAdmin(req, res, method, url);
      await readBody(req);
      if (path === '/search' || path === '/search.php') {
        if (method !== 'GET') throw new ApiError(405, `${method} is not allowed on ${path}; allowed: GET`);
        return send(res, nominatimSearch(url.searchParams));
      }
      throw new ApiError(404, `No route for ${method} ${path}`);
    } catch (error) {
      const result = errorResult(error, log);
      if (isApi) respond(res, result);
      else send(res, result);
    }
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('clientError', (_error, socket) => {
    const body = JSON.stringify({ message: 'Bad request' });
    if (socket.writable) {
      socket.end(
        `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ` +
          `${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
    } else {
      socket.destroy();
    }
  });
  server.listen(options.port ?? DEFAULT_SIM_PORT, host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const url = `http://${hostPort(host, port)}`;

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closing.abort();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Requests still waiting on injected latency are cut after a short grace period rather than holding shutdown.
    const force = setTimeout(() => server.closeAllConnections(), 1000);
    force.unref();
    await stopped;
    clearTimeout(force);
    await stateFile?.flush();
  };

  return {
    url,
    host,
    port,
    apiKey,
    stateFile: options.stateFile,
    store,
    faults,
    stats,
    setFaults: (patch) => faults.update(FaultPatch.parse(patch)),
    summary: () => summarize(store),
    reset,
    flush: async () => {
      await stateFile?.flush();
    },
    close: () => (closed ??= close()),
  };
}
