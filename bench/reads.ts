/**
 * Ispbox's poll, `GET /v1/reservations/{viabilityId}` for every open sale, on reservations held and mostly out of the
 * worker's cache: through the HTTP API as its own process (api/main.ts, as `npm run http` runs it, over loopback),
 * against the same reservations read for as long, as many at once, with the workflow query (what GET was before it
 * read what the server holds), with the CPU each read costs in each process: a capacity model's inputs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { Pool } from 'undici';
import { apiProcessEnv } from '../config/env.ts';
import { workflowIdFor } from '../contract/ids.ts';
import { getState } from '../contract/messages.ts';
import { findFreePort, isPortOpen } from '../scripts/dev-server.ts';
import { HTTP_API_ENTRY } from '../scripts/entries.ts';
import { cpuMeter } from './cpu.ts';
import { fmtCpu, totalCpu, type CpuPhase } from './format.ts';
import { TASK_QUEUE } from './load.ts';
import type { Bench } from './stack.ts';
import { quantilesOf, round, waitUntil, type Latencies } from './timing.ts';

/** Reads in flight: one Ispbox poller's worth of connections. */
export const READ_CONNECTIONS = 20;
/** Reservations read, round robin: six times the worker's default cache of 50, so most reads find them evicted. */
export const READ_IDS = 300;
/** Not counted: the API's first requests compile its routes and open its connection to Temporal. */
const WARMUP_MS = 1000;

export interface ReadPath extends Latencies {
  errors: number;
  /** CPU ms per read, by process: the API's (GET only), the server's, the worker's, this process's (the client). */
  cpuMsEach: CpuPhase;
}

export interface ReadFigures {
  ids: number;
  connections: number;
  get: ReadPath;
  query: ReadPath;
  /** GET's reads a second over the query's. */
  ratio: number;
}

interface HttpApi {
  url: string;
  key: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * GET then the query, each for `seconds` after a warm-up, on up to READ_IDS of `heldIds` spread over them (the last
 * ones made may still be cached). Undefined when nothing is held (`--held 0`).
 */
export async function measureReads(bench: Bench, heldIds: readonly string[], seconds: number) {
  if (heldIds.length === 0) {
    bench.log('(c) reads: none held, none read');
    return undefined;
  }
  const count = Math.min(READ_IDS, heldIds.length);
  const ids = Array.from({ length: count }, (_, k) => heldIds[Math.floor((k * heldIds.length) / count)]!);
  bench.log(`(c) reads of ${count} held, ${READ_CONNECTIONS} at once, ${seconds} s each: GET, then the query`);
  const api = await startHttpApi(bench);
  let get: ReadPath;
  try {
    get = await readOverHttp(bench, api, ids, seconds);
  } finally {
    await api.stop();
  }
  const query = await readPath(bench, bench.pids, ids, seconds, async (id) => {
    await bench.client.workflow.getHandle(workflowIdFor(id)).query(getState);
  });
  const figures: ReadFigures = {
    ids: count,
    connections: READ_CONNECTIONS,
    get,
    query,
    ratio: round(get.perSecond / query.perSecond, 2),
  };
  for (const line of fmtReadsDetail(figures)) bench.log(line);
  return figures;
}

/** The summary's line, and what follows it. */
export function fmtReads(reads: ReadFigures | undefined): string[] {
  if (!reads) return ['  reads        none held'];
  const { get, query } = reads;
  return [
    `  reads        GET ${get.perSecond}/s p50 ${get.p50Ms} p99 ${get.p99Ms} ms; ` +
      `query ${query.perSecond}/s p50 ${query.p50Ms} p99 ${query.p99Ms} ms: ×${reads.ratio} ` +
      `(${reads.ids} held, ${reads.connections} at once)`,
    `               CPU ms per read: GET ${totalCpu(get.cpuMsEach)} (${byProcess(get.cpuMsEach)}), ` +
      `query ${totalCpu(query.cpuMsEach)} (${byProcess(query.cpuMsEach)})`,
  ];
}

const byProcess = (cpu: CpuPhase) =>
  Object.entries(cpu)
    .map(([name, p]) => `${name} ${p.total}`)
    .join(', ');

function fmtReadsDetail({ get, query }: ReadFigures): string[] {
  const line = (l: ReadPath) => `${l.perSecond}/s (${l.count} in ${l.seconds} s), p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms`;
  return [
    `    GET    ${line(get)}`,
    `    query  ${line(query)}`,
    `    CPU ms each: GET ${fmtCpu(get.cpuMsEach)}`,
    `                 query ${fmtCpu(query.cpuMsEach)}`,
  ];
}

/** GET over READ_CONNECTIONS keep-alive connections; any answer but 200 fails the measure, with its body. */
async function readOverHttp(bench: Bench, api: HttpApi, ids: readonly string[], seconds: number): Promise<ReadPath> {
  const pool = new Pool(api.url, { connections: READ_CONNECTIONS });
  const headers = { authorization: `Bearer ${api.key}` };
  try {
    // One read first: the API must see the bench's reservations (same server, namespace and tenant).
    const probe = await pool.request({
      path: `/v1/reservations/${encodeURIComponent(ids[0]!)}`,
      method: 'GET',
      headers,
    });
    const probed = await probe.body.text();
    if (probe.statusCode !== 200 || (JSON.parse(probed) as { status?: string }).status !== 'RESERVED')
      throw new Error(`GET ${ids[0]} answered ${probe.statusCode}: ${probed.slice(0, 500)}`);
    const pids = { api: api.pid, ...bench.pids };
    return await readPath(bench, pids, ids, seconds, async (id) => {
      const res = await pool.request({ path: `/v1/reservations/${encodeURIComponent(id)}`, method: 'GET', headers });
      const body = await res.body.text(); // read whole, as Ispbox does
      if (res.statusCode !== 200) throw new Error(`GET ${id} answered ${res.statusCode}: ${body.slice(0, 500)}`);
    });
  } finally {
    await pool.close();
  }
}

/**
 * `read` over `ids` round robin, READ_CONNECTIONS at a time, for `seconds` after a warm-up: the rate and latencies of
 * those that succeeded. Any failure fails the measure, once those in flight are done: a read that failed fast would
 * pass for a fast read.
 */
async function readPath(
  bench: Bench,
  pids: Record<string, number>,
  ids: readonly string[],
  seconds: number,
  read: (id: string) => Promise<void>,
): Promise<ReadPath> {
  let next = 0;
  let errors = 0;
  let firstError: unknown;
  const latencies: number[] = [];
  const run = async (until: number, record: boolean) => {
    await Promise.all(
      Array.from({ length: READ_CONNECTIONS }, async () => {
        while (Date.now() < until) {
          const id = ids[next++ % ids.length]!;
          const t = performance.now();
          try {
            await read(id);
            if (record) latencies.push(performance.now() - t);
          } catch (err) {
            errors++;
            firstError ??= err;
          }
        }
      }),
    );
  };
  await run(Date.now() + WARMUP_MS, false);
  const meter = cpuMeter(pids);
  const started = Date.now();
  await run(started + seconds * 1000, true);
  const elapsed = (Date.now() - started) / 1000;
  const cpuMsEach = meter.stop(Math.max(1, latencies.length + errors));
  if (errors > 0) {
    const first = firstError instanceof Error ? firstError.message : String(firstError);
    throw new Error(`${errors} of ${latencies.length + errors} reads failed; the first: ${first}`, {
      cause: firstError,
    });
  }
  bench.log(`    ${latencies.length} reads in ${round(elapsed, 1)} s`);
  return {
    count: latencies.length,
    seconds: round(elapsed, 2),
    perSecond: round(latencies.length / elapsed, 1),
    ...quantilesOf(latencies),
    errors,
    cpuMsEach,
  };
}

/**
 * The HTTP API as `npm run http` runs it: its own process, configured from the environment as the worker is (minus
 * what only a worker is given), pointed at the bench's server and task queue, with a key and a data folder (its
 * registry's SQLite file) of its own. Its output is kept for the error when it does not come up.
 */
async function startHttpApi(bench: Bench): Promise<HttpApi> {
  const { connection } = bench.client;
  if (!(connection instanceof Connection)) throw new Error('the bench client has no address to give the API');
  const port = await findFreePort();
  const key = `bench-${randomBytes(16).toString('hex')}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-api-'));
  const env: NodeJS.ProcessEnv = {
    ...apiProcessEnv(process.env),
    TEMPORAL_ADDRESS: connection.options.address,
    TEMPORAL_NAMESPACE: bench.client.options.namespace,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    OZMAP_URL: bench.sim.url,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(port),
    ISPBOX_API_KEY: key,
    ISPBOX_OZMAP_DATA_DIR: dataDir,
    // A request's log line each at info would cost the API what is being measured.
    LOG_LEVEL: 'warn',
  };
  // The `default` tenant alone, on the run's own SQLite file, and no listener but the API's.
  for (const name of ['DATABASE_URL', 'TENANT_SECRETS_KEY', 'ADMIN_API_KEY', 'HTTP_METRICS_ADDRESS', 'METRICS_TOKEN'])
    delete env[name];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', HTTP_API_ENTRY], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil(async () => {
      if (child.exitCode !== null) throw new Error(`the HTTP API exited (${child.exitCode}):\n${output}`);
      return isPortOpen('127.0.0.1', port);
    }, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, key, pid: child.pid!, stop };
}
