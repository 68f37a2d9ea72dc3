/**
 * `npm start`: the embedded default (docs/architecture.md) on one machine, in one command:
 *   - a Temporal dev server on TEMPORAL_ADDRESS (127.0.0.1:7233), persisted to .data/temporal.db, Web UI on :8233;
 *   - the OZmap simulator on 127.0.0.1:9994 (unless OZMAP_URL points elsewhere), state in .data/;
 *   - the worker, restarted if it dies;
 *   - with payload encryption on (PAYLOAD_ENCRYPTION_KEY), the codec endpoint the Web UI decrypts with.
 *   - the HTTP API on HTTP_HOST:HTTP_PORT (127.0.0.1:3000), with the demo Ispbox key unless ISPBOX_API_KEY is set.
 * A server already answering on a configured address is used, not started twice. Ctrl-C stops what it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfigOrExit, type Config } from '../config/env.ts';
import { ensureTenantSecretsKey } from './tenant-secrets-key.ts';
import { EncryptionCodec } from '../codec/encryption-codec.ts';
import { startCodecServer, type CodecServer } from '../codec/server.ts';
import { startSimulator } from '../simulator/server.ts';
import { createHttpLogger, describeUrls, startHttpApi } from '../api/main.ts';
import { viabilityPageUrl } from '../client/viability-link.ts';
import { dialableHost, hostPort, isLoopbackHost, splitHostPort, unbracketHost } from '../net/hosts.ts';
import { FAIRNESS_DYNAMIC_CONFIG, isPortOpen, startDevServer, type DevServer } from './dev-server.ts';
import { projectRoot } from './temporal-tools.ts';
import { WORKER_NODE_ARGS, workerProcessEnv } from '../worker/process-env.ts';
import { BUILD_DIR, buildWorkerIfChanged } from './worker-build.ts';

/** Where the dev server's SQLite file and the simulator's state live; tests point it at a temporary folder. */
const DATA_DIR = process.env.ISPBOX_OZMAP_DATA_DIR ?? path.join(projectRoot, '.data');
const UI_PORT = 8233;

const say = (tag: string) => (line: string) => process.stdout.write(`[${tag}] ${line}\n`);

async function main(): Promise<void> {
  // Tenants' secrets are sealed under this key: made once and kept with the rest of the embedded default's data.
  const secretsKey = ensureTenantSecretsKey(process.env, DATA_DIR);
  if (secretsKey === 'new') say('start')(`TENANT_SECRETS_KEY made in ${shortPath(DATA_DIR)}: keep it with that data`);
  const config = loadConfigOrExit();
  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('start')('stopping…');
    for (const stop of stops.reverse())
      await stop().catch((err: unknown) => say('start')(`while stopping: ${String(err)}`));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const codec = await startCodecEndpoint(config, stops);
    const temporal = await startTemporal(config, codec?.url);
    stops.push(() => temporal.stop());
    if (codec && temporal.uiUrl) {
      // The dev server prints its UI as localhost: a browser may use either name.
      const ui = new URL(temporal.uiUrl);
      for (const host of [ui.hostname, 'localhost']) codec.allowOrigin(`${ui.protocol}//${host}:${ui.port}`);
    }
    const simulatorUrl = await startOzmapSimulator(config, stops);
    // The worker as production runs it, compiled and with its workflows pre-bundled (scripts/worker-build.ts).
    const { workerFile, rebuilt } = await buildWorkerIfChanged(path.join(BUILD_DIR, 'start'));
    say('start')(rebuilt ? 'worker built' : 'worker up to date (its sources are unchanged since the last build)');
    stops.push(superviseWorker(workerFile));
    const httpUrls = await startHttp(config, stops);

    const ozmap = simulatorUrl
      ? `${simulatorUrl}  (simulator; API key in OZMAP_API_KEY, default "demo-ozmap-key")`
      : config.ozmap.url;
    const payloads = codec
      ? `encrypted (key ${config.payloadEncryption?.current?.id ?? 'none: decrypt only'}); codec endpoint ${codec.url}`
      : 'not encrypted (set PAYLOAD_ENCRYPTION_KEY to encrypt them; see docs/security.md)';
    console.log(`
  Temporal Web UI   ${temporal.uiUrl ?? '(not started here: Temporal is at ' + temporal.address + ')'}
  Temporal gRPC     ${temporal.address}  namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}
  OZmap             ${ozmap}
  Payloads          ${payloads}
  ${httpUrls}
  ${mapPageDemo(config, simulatorUrl)}

  Try:  npm run cli -- reserve --viability V-1042 --code C-77 --name "Maria Souza" \\
          --address "Rua Bocaiúva, 2125, Florianópolis - SC"
  Stop: Ctrl-C
`);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err);
    await stopAll(1);
  }
}

/** The codec endpoint, when payloads are encrypted, so that the Web UI can show them decrypted. */
export async function startCodecEndpoint(
  config: Config,
  stops: Array<() => Promise<void>>,
): Promise<Pick<CodecServer, 'url' | 'allowOrigin'> | undefined> {
  if (!config.payloadEncryption) return undefined;
  const { host, port, token } = config.codecServer;
  const connectHost = dialableHost(host);
  if (port !== 0 && (await isPortOpen(connectHost, port))) {
    const address = hostPort(connectHost, port);
    say('codec')(`something already answers on ${address}: the Web UI will use it as its codec endpoint`);
    return { url: `http://${address}`, allowOrigin: () => {} };
  }
  const codec = new EncryptionCodec(config.payloadEncryption);
  const server = await startCodecServer({ codec, ...config.codecServer, log: say('codec') });
  stops.push(() => server.close());
  say('codec')(`codec endpoint on ${server.url}${token ? ' (bearer token required)' : ''}`);
  return server;
}

async function startTemporal(
  config: Config,
  uiCodecEndpoint?: string,
): Promise<Pick<DevServer, 'address' | 'uiUrl' | 'stop'>> {
  const { host, port = 7233 } = splitHostPort(config.temporal.address);
  if (!isLoopbackHost(host)) {
    say('temporal')(`using the Temporal service at ${config.temporal.address} (not a local address: nothing started)`);
    return { address: config.temporal.address, stop: async () => {} };
  }
  const server = await startDevServer({
    ip: host,
    port,
    uiPort: port === 7233 ? UI_PORT : undefined,
    dbFile: path.join(DATA_DIR, 'temporal.db'),
    namespace: config.temporal.namespace,
    uiCodecEndpoint,
    dynamicConfig: FAIRNESS_DYNAMIC_CONFIG,
    log: (line) => console.log(line), // already tagged [temporal]
  });
  say('temporal')(
    server.reused ? `reusing the server already on ${server.address}` : `dev server started on ${server.address}`,
  );
  if (server.reused && uiCodecEndpoint)
    say('codec')(
      `the Web UI was not started here: set its codec endpoint to ${uiCodecEndpoint} (Data Encoder settings)`,
    );
  return server;
}

async function startOzmapSimulator(config: Config, stops: Array<() => Promise<void>>): Promise<string | undefined> {
  const url = new URL(config.ozmap.url);
  if (!isLoopbackHost(url.hostname)) return undefined;
  const host = unbracketHost(url.hostname); // sockets take IPv6 without the URL's brackets
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  if (await isPortOpen(host, port)) {
    say('simulator')(`something already answers on ${url.host}: using it as OZmap`);
    return config.ozmap.url;
  }
  const sim = await startSimulator({
    host,
    port,
    apiKey: config.ozmap.apiKey,
    stateFile: path.join(DATA_DIR, 'ozmap-simulator.json'),
  });
  stops.push(() => sim.close());
  say('simulator')(
    `OZmap simulator on ${sim.url} (state in ${shortPath(path.join(DATA_DIR, 'ozmap-simulator.json'))})`,
  );
  return sim.url;
}

/** The HTTP API in this process, unless something already answers on its port. Returns the lines to print. */
async function startHttp(config: Config, stops: Array<() => Promise<void>>): Promise<string> {
  const host = dialableHost(config.http.host);
  if (await isPortOpen(host, config.http.port)) {
    const address = hostPort(host, config.http.port);
    say('http')(`something already answers on ${address}: not starting the HTTP API (set HTTP_PORT)`);
    return `HTTP API          (not started: port ${config.http.port} is taken)`;
  }
  // Its JSON log lines become readable [http] lines, like the worker's; one
  // line per request would drown the rest at info.
  const logger = createHttpLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, {
    write: (line: string) => say('http')(readable(line.trimEnd())),
  });
  const api = await startHttpApi(config, logger);
  stops.push(() => api.close());
  return describeUrls(api.url, config);
}

/**
 * A map page link for a demo address of the simulator, signed with the
 * configured key, for a fresh viability (valid a day).
 */
function mapPageDemo(config: Config, simulatorUrl: string | undefined): string {
  if (!simulatorUrl)
    return 'Map page          /viability, opened by signed links (viabilityPageUrl in client/viability-link.ts)';
  const url = viabilityPageUrl({
    baseUrl: `http://${hostPort(dialableHost(config.http.host), config.http.port)}`,
    apiKey: config.http.ispboxApiKey,
    linkSecret: config.http.linkSecret,
    ttlSeconds: 24 * 3600,
    input: {
      viabilityId: `DEMO-${Date.now().toString(36).toUpperCase()}`,
      customer: { code: 'C-77', name: 'Maria Souza' },
      address: 'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC',
    },
  });
  return `Map page          ${url}`;
}

/** Runs the worker as a child process and restarts it if it dies, until stopped. */
function superviseWorker(workerFile: string): () => Promise<void> {
  let child: ChildProcess | undefined;
  let stopped = false;
  const log = say('worker');
  const launch = () => {
    child = spawn(process.execPath, [...WORKER_NODE_ARGS, workerFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: workerProcessEnv(process.env),
    });
    const relay = (chunk: Buffer) => chunk.toString().split('\n').filter(Boolean).map(readable).forEach(log);
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    child.on('exit', (code, signal) => {
      if (stopped) return;
      log(`worker exited (${signal ?? code}); restarting in 2 s`);
      setTimeout(() => !stopped && launch(), 2000);
    });
  };
  launch();
  return async () => {
    stopped = true;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM'); // the worker drains in-flight tasks, then exits
    const timer = setTimeout(() => child?.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const QUIET_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'sdkComponent']);

/** The worker logs JSON (for log shippers); a person at a terminal gets one short line per entry. */
export function readable(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const fields = Object.entries(entry)
    .filter(([k]) => !QUIET_FIELDS.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const message = (typeof entry.msg === 'string' ? entry.msg : '').split('\n')[0];
  return `${LEVELS[entry.level as number] ?? 'INFO'} ${message}${fields ? `  ${fields}` : ''}`;
}

const shortPath = (file: string) =>
  path.relative(projectRoot, file).startsWith('..') ? file : path.relative(projectRoot, file);

// start:cluster reuses the helpers above (scripts/cluster/), so only run when this is the entry point.
if (process.argv[1] && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) void main();
