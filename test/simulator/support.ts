/** Shared helpers for the simulator tests: a simulator on a free loopback port with a temporary state file. */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BoxRecord, SplitterRecord } from '../../simulator/model.ts';
import { type Simulator, type SimulatorOptions, ISOLATED_BOX, startSimulator } from '../../simulator/server.ts';

export interface Reply<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ErrorBody {
  message: string;
  errors?: { field: string; message: string }[];
}

export interface TestSimulator extends Simulator {
  dir: string;
  logs: string[];
  /** Calls the simulator with its API key (or the headers given) and parses the JSON answer. */
  call<T = unknown>(
    method: string,
    route: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  get<T = unknown>(route: string): Promise<Reply<T>>;
  post<T = unknown>(route: string, body: unknown): Promise<Reply<T>>;
  /** Closes the simulator and removes its temporary directory. */
  stop(): Promise<void>;
}

/** Pass `stateFile: undefined` to keep the state in memory, `dir` to reuse a directory across restarts. */
export async function startTestSimulator(options: SimulatorOptions & { dir?: string } = {}): Promise<TestSimulator> {
  const dir = options.dir ?? (await mkdtemp(path.join(tmpdir(), 'ozmap-sim-test-')));
  const logs: string[] = [];
  const sim = await startSimulator({
    port: 0,
    stateFile: path.join(dir, 'state.json'),
    log: (line) => logs.push(line),
    ...options,
  });
  const call = async <T>(
    method: string,
    route: string,
    { body, headers }: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> => {
    const response = await fetch(`${sim.url}${route}`, {
      method,
      headers: {
        authorization: sim.apiKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: (text === '' ? undefined : JSON.parse(text)) as T,
    };
  };
  return Object.assign(sim, {
    dir,
    logs,
    call,
    get: <T>(route: string) => call<T>('GET', route),
    post: <T>(route: string, body: unknown) => call<T>('POST', route, { body }),
    stop: async () => {
      await sim.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  });
}

/** GET with a JSON body, as the official SDK (axios) sends filters; fetch cannot do this. */
export function getWithBody<T>(sim: Simulator, route: string, body: unknown): Promise<Reply<T>> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpRequest(
      `${sim.url}${route}`,
      {
        method: 'GET',
        headers: {
          authorization: sim.apiKey,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [key, value] of Object.entries(res.headers))
            if (typeof value === 'string') headers.set(key, value);
          resolve({
            status: res.statusCode ?? 0,
            headers,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as T,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const filterParam = (filter: unknown): string => `filter=${encodeURIComponent(JSON.stringify(filter))}`;

/** The isolated test box and its drop splitter, as they are now. */
export function isolatedBox(sim: Simulator): { box: BoxRecord; drop: SplitterRecord; network: SplitterRecord } {
  const box = sim.store.boxNamed(ISOLATED_BOX.name);
  if (!box) throw new Error('the isolated box is missing');
  const splitters = sim.store.splittersOf(box.id);
  const drop = splitters.find((s) => s.isDrop);
  const network = splitters.find((s) => !s.isDrop);
  if (!drop || !network) throw new Error('the isolated box lacks its splitters');
  return { box, drop, network };
}

/**
 * A reservation body as the project's client sends it (docs/architecture.md, "Idempotent create"; "OZmap facts" O12).
 */
export function reservationBody(
  box: BoxRecord,
  splitter: SplitterRecord,
  port: number | undefined,
  code: string,
): Record<string, unknown> {
  return {
    project: box.project,
    box: box.id,
    connector: splitter.id,
    ...(port === undefined ? {} : { port }),
    auto_connect: false,
    force: false,
    coords: [box.lng, box.lat],
    address: 'Rua Silva Jardim, 450 - José Mendes, Florianópolis - SC',
    observation: `Reserva Ispbox ${code}`,
    external_id: `ispbox2:${code}`,
    client: { code, name: `Cliente ${code}`, implanted: false },
  };
}

interface ZodLike {
  safeParse(value: unknown): { success: true } | { success: false; error: { issues: unknown[] } };
}

/** `value` parses with `schema` (an official SDK's zod schema), or the assertion names what it is and why not. */
export function assertParses(schema: ZodLike, value: unknown, what: string): void {
  const result = schema.safeParse(value);
  assert.ok(
    result.success,
    `${what} does not parse: ${result.success ? '' : JSON.stringify(result.error.issues).slice(0, 600)}`,
  );
}

/** What the official SDK rejects with on an HTTP error: axios's response. */
export interface SdkRefusal {
  status: number;
  data: ErrorBody;
}

/** The refusal an SDK call ends in; fails the test if the call goes through. */
export async function refusal(promise: Promise<unknown>): Promise<SdkRefusal> {
  try {
    await promise;
  } catch (error) {
    return error as SdkRefusal;
  }
  assert.fail('expected the SDK call to be refused');
}
