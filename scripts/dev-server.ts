/**
 * Runs a Temporal dev server (`temporal server start-dev`) for `npm start` and the tests, or reuses one that already
 * answers on the address, and makes sure the project's search attributes exist on it (docs/architecture.md).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import {
  encodeSearchAttributeIndexedValueType,
  type SearchAttributeKey,
} from '@temporalio/common/lib/search-attributes.js';
import { msToTs } from '@temporalio/common/lib/time.js';
import { SEARCH_ATTRIBUTE_KEYS } from '../contract/search-attributes.ts';
import { dialableHost, hostPort, splitHostPort } from '../net/hosts.ts';
import { ensureTemporalCli } from './temporal-tools.ts';

/**
 * Priority and Fairness in the matching service (docs/tenants.md, "Isolation"): tasks of one fairness key (a tenant)
 * wait behind each other, not in front of another tenant's. The server needs both settings; the keys are Temporal's.
 */
export const FAIRNESS_DYNAMIC_CONFIG = { 'matching.useNewMatcher': true, 'matching.enableFairness': true } as const;

export interface DevServerOptions {
  /** gRPC port; 0 picks a free one. Default 7233. */
  port?: number;
  /** Web UI port; 0 picks a free one. Default: port + 1000 (8233), or a free one when `port` is 0. */
  uiPort?: number;
  /** No Web UI. */
  headless?: boolean;
  /** SQLite file to persist to (its directory is created); undefined keeps everything in memory. */
  dbFile?: string;
  /** Namespace the project uses; created if missing. Default `default`. */
  namespace?: string;
  /** Address to bind. Default 127.0.0.1. */
  ip?: string;
  /** The server's output and our notices, one line each. Default: stderr. */
  log?: (line: string) => void;
  /** Server log level: debug, info, warn (default), error or never. */
  logLevel?: string;
  /** How long a spawned server may take to answer. Default 60 s. */
  readyTimeoutMs?: number;
  /** Codec endpoint the Web UI decodes payloads with (`--ui-codec-endpoint`), when payloads are encrypted. */
  uiCodecEndpoint?: string;
  /** Server dynamic configuration beyond the project's own (`--dynamic-config-value key=JSON`), e.g. for tests. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface DevServer {
  /** host:port for Connection/NativeConnection. */
  address: string;
  uiUrl?: string;
  namespace: string;
  /** True when a server was already running there; then stop() leaves it alone. */
  reused: boolean;
  /** The server process (undefined when reused): the bench reads its CPU time. */
  pid?: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the server has exited. */
  stop: () => Promise<void>;
}

const DEFAULT_PORT = 7233;
const UI_PORT_OFFSET = 1000; // the CLI's own default: 7233 → 8233
const DEFAULT_READY_TIMEOUT_MS = 60_000;

export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const log = opts.log ?? logToStderr;
  const port = opts.port === 0 ? await findFreePort(ip) : (opts.port ?? DEFAULT_PORT);
  const host = dialableHost(ip);
  const address = hostPort(host, port);

  if (opts.port !== 0 && (await isPortOpen(host, port))) {
    const uiPort = opts.headless ? undefined : (opts.uiPort ?? port + UI_PORT_OFFSET);
    return await reuseDevServer({ host, port, uiPort, namespace }, log);
  }

  const uiPort = opts.headless ? undefined : await chooseUiPort(ip, port, opts.uiPort, log);
  const args = await devServerArgs({
    ip,
    port,
    uiPort,
    namespace,
    dbFile: opts.dbFile,
    logLevel: opts.logLevel ?? 'warn',
    uiCodecEndpoint: opts.uiCodecEndpoint,
    dynamicConfig: opts.dynamicConfig,
  });
  const server = spawnServer(await ensureTemporalCli({ log }), args, { label: 'temporal', log });
  try {
    await server.waitUntilReady(address, opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    await withConnection(address, (connection) => ensureSearchAttributes(connection, namespace));
  } catch (error) {
    await server.stop();
    throw error;
  }
  const uiUrl = uiPort === undefined ? undefined : `http://${hostPort(host, uiPort)}`;
  const extras = [uiUrl && `Web UI at ${uiUrl}`, opts.dbFile && `data in ${opts.dbFile}`].filter(Boolean);
  log(`[temporal] dev server at ${[address, ...extras].join(', ')}`);
  return { address, uiUrl, namespace, reused: false, pid: server.pid, stop: () => server.stop() };
}

async function reuseDevServer(
  at: { host: string; port: number; uiPort: number | undefined; namespace: string },
  log: (line: string) => void,
): Promise<DevServer> {
  const address = hostPort(at.host, at.port);
  await withConnection(address, async (connection) => {
    await ensureNamespace(connection, at.namespace, log);
    await ensureSearchAttributes(connection, at.namespace);
  }).catch((error: unknown) => {
    throw new Error(`${address} is in use, but not by a Temporal server we could use: ${errorMessage(error)}`, {
      cause: error,
    });
  });
  const uiOpen = at.uiPort !== undefined && (await isPortOpen(at.host, at.uiPort));
  const uiUrl = uiOpen && at.uiPort !== undefined ? `http://${hostPort(at.host, at.uiPort)}` : undefined;
  log(`[temporal] using the Temporal server already running at ${address}${uiUrl ? ` (Web UI at ${uiUrl})` : ''}`);
  return { address, uiUrl, namespace: at.namespace, reused: true, stop: () => Promise.resolve() };
}

interface DevServerArgs {
  ip: string;
  port: number;
  uiPort: number | undefined;
  namespace: string;
  dbFile: string | undefined;
  logLevel: string;
  uiCodecEndpoint: string | undefined;
  dynamicConfig: DevServerOptions['dynamicConfig'];
}

async function devServerArgs(o: DevServerArgs): Promise<string[]> {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(o.port), '--log-level', o.logLevel];
  args.push(...(o.uiPort === undefined ? ['--headless'] : ['--ui-port', String(o.uiPort)]));
  if (o.uiPort !== undefined && o.uiCodecEndpoint) args.push('--ui-codec-endpoint', o.uiCodecEndpoint);
  if (o.namespace !== 'default') args.push('--namespace', o.namespace); // `default` always exists
  if (o.dbFile) {
    const dbFile = path.resolve(o.dbFile);
    await mkdir(path.dirname(dbFile), { recursive: true }); // the CLI creates the file, not its directory
    args.push('--db-filename', dbFile);
  }
  // As sdk-core's createLocal does: no version check (the machine may be offline), and updates enabled.
  for (const setting of [
    'frontend.enableServerVersionCheck=false',
    'frontend.enableUpdateWorkflowExecution=true',
    'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
  ]) {
    args.push('--dynamic-config-value', setting);
  }
  for (const [key, value] of Object.entries(o.dynamicConfig ?? {}))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return args;
}

/** An explicit port as given; otherwise the CLI's default (port + 1000) when free, else any free port. */
async function chooseUiPort(
  ip: string,
  port: number,
  requested: number | undefined,
  log: (line: string) => void,
): Promise<number> {
  if (requested !== undefined && requested !== 0) return requested;
  const conventional = port + UI_PORT_OFFSET;
  if (requested === undefined && conventional <= 65_535) {
    if (!(await isPortOpen(dialableHost(ip), conventional))) return conventional;
    log(`[temporal] port ${conventional} is taken; the Web UI gets a free port instead`);
  }
  return await findFreePort(ip);
}

// ---------------------------------------------------------------------------------------------------------------
// Namespace and search attributes

/**
 * Registers the project's search attributes that `namespace` lacks; returns the names it added. Needed on every
 * start: `--search-attribute` only applies when a SQLite file is first created, and a reused server may lack them.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeKey<SearchAttributeType>[] = SEARCH_ATTRIBUTE_KEYS,
): Promise<string[]> {
  const wanted = indexedValueTypes(keys);
  const registered = await listCustomSearchAttributes(connection, namespace);
  if (registered === undefined) return await addEachUnlessExisting(connection, namespace, wanted);

  const missing = missingFrom(registered, wanted, namespace);
  if (Object.keys(missing).length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (error) {
    // Another process may have added them at the same time; only fail if they are still missing.
    const now = await listCustomSearchAttributes(connection, namespace);
    if (!now || Object.keys(missingFrom(now, wanted, namespace)).length > 0) throw error;
  }
  return Object.keys(missing);
}

type IndexedValueType = NonNullable<ReturnType<typeof encodeSearchAttributeIndexedValueType>>;

function indexedValueTypes(keys: readonly SearchAttributeKey<SearchAttributeType>[]): Record<string, IndexedValueType> {
  const types: Record<string, IndexedValueType> = {};
  for (const key of keys) {
    const type = encodeSearchAttributeIndexedValueType(key.type);
    if (type === undefined) throw new TypeError(`Search attribute ${key.name} has an unknown type: ${key.type}`);
    types[key.name] = type;
  }
  return types;
}

function typeName(type: IndexedValueType): string {
  const names = Object.values(SearchAttributeType);
  return names.find((name) => encodeSearchAttributeIndexedValueType(name) === type) ?? `#${type}`;
}

/** Custom attributes of the namespace, or undefined where listing is unimplemented (the Java test server). */
async function listCustomSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<Record<string, IndexedValueType> | undefined> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return customAttributes ?? {};
  } catch (error) {
    if (grpcCode(error) === GRPC.UNIMPLEMENTED) return undefined;
    throw error;
  }
}

/** The wanted attributes not yet registered; throws if one is registered with another type. */
function missingFrom(
  registered: Record<string, IndexedValueType>,
  wanted: Record<string, IndexedValueType>,
  namespace: string,
): Record<string, IndexedValueType> {
  const missing: Record<string, IndexedValueType> = {};
  for (const [name, type] of Object.entries(wanted)) {
    const existing = registered[name];
    if (existing === undefined) missing[name] = type;
    else if (existing !== type) {
      throw new Error(
        `Search attribute ${name} exists in namespace ${namespace} as ${typeName(existing)}, ` +
          `but the project needs ${typeName(type)}. Remove it or use another namespace.`,
      );
    }
  }
  return missing;
}

/** Without a list to compare against, add one at a time so an existing one does not stop the others. */
async function addEachUnlessExisting(
  connection: Connection,
  namespace: string,
  wanted: Record<string, IndexedValueType>,
): Promise<string[]> {
  const added: string[] = [];
  for (const [name, type] of Object.entries(wanted)) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: { [name]: type } });
      added.push(name);
    } catch (error) {
      if (grpcCode(error) !== GRPC.ALREADY_EXISTS) throw error;
    }
  }
  return added;
}

/** A reused server may not have the project's namespace yet (a spawned one gets it from --namespace). */
async function ensureNamespace(connection: Connection, namespace: string, log: (line: string) => void): Promise<void> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return;
  } catch (error) {
    if (grpcCode(error) !== GRPC.NOT_FOUND) throw error;
  }
  log(`[temporal] registering namespace ${namespace}`);
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'), // the dev server's own default
  });
  // The frontend learns about new namespaces on its next cache refresh.
  await retryUntil(() => connection.operatorService.listSearchAttributes({ namespace }), 30_000);
}

/** gRPC status codes used here (@grpc/grpc-js, which names them, is not a direct dependency). */
const GRPC = { NOT_FOUND: 5, ALREADY_EXISTS: 6, UNIMPLEMENTED: 12 } as const;

function grpcCode(error: unknown): number | undefined {
  return isGrpcServiceError(error) ? Number(error.code) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Server processes (also used by test/support for the time-skipping test server)

export interface ServerProcess {
  readonly pid: number | undefined;
  /** Resolves once a Temporal client can connect to `address`; rejects with the server's last output. */
  waitUntilReady(address: string, timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL_LINES = 40;

export function spawnServer(
  command: string,
  args: string[],
  opts: { label: string; log: (line: string) => void },
): ServerProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  let stopping = false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (!stopping) opts.log(`[${opts.label}] ${line}`);
    });
  }
  // If Node exits without stop(), take the server with it rather than orphan it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let ended: string | undefined; // how the process ended, once it has
  const exited = new Promise<void>((resolve) => {
    const end = (how: string): void => {
      if (ended !== undefined) return;
      ended = how;
      process.removeListener('exit', killOnExit);
      if (!stopping) opts.log(`[${opts.label}] ${how}`);
      resolve();
    };
    // 'close' rather than 'exit': by then its last output is in `tail`, for the error message.
    child.once('close', (code, signal) => end(signal ? `exited on ${signal}` : `exited with code ${code}`));
    child.once('error', (error) => end(`could not be started: ${error.message}`));
  });

  const failure = (what: string): Error =>
    new Error(
      `${opts.label} (${[command, ...args].join(' ')}) ${what}.` +
        (tail.length > 0 ? ` Last output:\n${tail.join('\n')}` : ' It printed nothing.'),
    );

  return {
    pid: child.pid,
    async waitUntilReady(address, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (ended !== undefined) throw failure(`${ended} before it answered at ${address}`);
        if (await canConnect(address)) return;
        if (Date.now() > deadline) throw failure(`did not answer at ${address} within ${timeoutMs / 1000}s`);
        await Promise.race([delay(200), exited]);
      }
    },
    async stop(graceMs = 10_000) {
      stopping = true;
      if (ended !== undefined) return;
      child.kill('SIGTERM');
      const escalate = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(escalate);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Network helpers

/** A port free on `host` right now (the OS picks it), for servers on random ports. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections there (cheap check before trying gRPC). */
export function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** A Temporal frontend (or the test server) answers GetSystemInfo there. */
async function canConnect(address: string): Promise<boolean> {
  const { host, port = DEFAULT_PORT } = splitHostPort(address);
  if (!(await isPortOpen(host, port))) return false;
  try {
    const connection = await Connection.connect({ address, connectTimeout: 2_000 });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

async function withConnection<T>(address: string, fn: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  try {
    return await fn(connection);
  } finally {
    await connection.close();
  }
}

/** Calls `fn` until it resolves; after `timeoutMs` its last error is thrown. */
export async function retryUntil<T>(fn: () => Promise<T>, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(intervalMs);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const logToStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
