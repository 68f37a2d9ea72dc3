/**
 * The parts a workflow test runs against: a real OZmap simulator on loopback, real OZmap and geocoder clients,
 * and one workflow bundle shared by every worker of the test process (bundling takes seconds).
 */
import { readFile } from 'node:fs/promises';
import { DefaultLogger, Runtime, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { OzmapClient } from '../../activities/ozmap/client.ts';
import { NominatimGeocoder } from '../../activities/geocoder/nominatim.ts';
import { startSimulator } from '../../simulator/server.ts';
import type { Store } from '../../simulator/store.ts';
import { WORKFLOWS_PATH } from '../../worker/worker.ts';
import { retryUntil } from '../../scripts/dev-server.ts';
import { distanceMeters } from '../../activities/geo.ts';
import { freePorts } from '../../activities/index.ts';
import type { Coordinates } from '../../contract/schemas.ts';

// Workers' lifecycle chatter at INFO drowns the test report; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

export const SIM_API_KEY = 'test-ozmap-key';
/** Central Florianópolis, where the simulator's demo network is. */
export const CENTRE: Coordinates = { lat: -27.5935, lng: -48.5515 };

let bundle: Promise<WorkflowBundle> | undefined;
/** The one scripts/run-tests.ts built for every test process (TEST_WORKFLOW_BUNDLE), or one made here. */
export const workflowBundle = () =>
  (bundle ??= process.env.TEST_WORKFLOW_BUNDLE
    ? readFile(process.env.TEST_WORKFLOW_BUNDLE, 'utf8').then((code) => ({ code }))
    : bundleWorkflowCode({
        workflowsPath: WORKFLOWS_PATH,
        logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
      }));

export interface World {
  simUrl: string;
  /** What the worker's activities use. */
  clients: { ozmap: OzmapClient; geocoder: NominatimGeocoder };
  /** A separate client for the test's own checks, so its calls are not counted as the worker's. */
  ozmap: OzmapClient;
  /** The simulator's live state, for tests that shape the network (changing it bypasses the API's rules). */
  store: Store;
  close(): Promise<void>;
}

export async function startWorld(options: { stateFile?: string } = {}): Promise<World> {
  const sim = await startSimulator({ port: 0, apiKey: SIM_API_KEY, stateFile: options.stateFile });
  const clients = {
    ozmap: new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY, timeoutMs: 5000 }),
    geocoder: new NominatimGeocoder({ url: sim.url, userAgent: 'ispbox-ozmap-tests', minIntervalMs: 0 }),
  };
  const ozmap = new OzmapClient({ baseUrl: sim.url, apiKey: SIM_API_KEY, timeoutMs: 5000 });
  return {
    simUrl: sim.url,
    clients,
    ozmap,
    store: sim.store,
    async close() {
      await Promise.all([clients.ozmap.close(), clients.geocoder.close(), ozmap.close()]);
      await sim.close();
    },
  };
}

/**
 * Points that sit exactly on boxes with free ports, at least `spacing` metres apart, so that a reservation
 * aimed at one takes that box: tests get boxes of their own and do not disturb each other.
 */
export async function reservablePoints(
  ozmap: OzmapClient,
  count: number,
  spacing = 120,
): Promise<Array<Coordinates & { boxId: string }>> {
  const boxes = (await ozmap.findBoxesNear(CENTRE, 3000)).filter((b) => !b.draft);
  const splitters = await ozmap.findDropSplitters(boxes.map((b) => b.id));
  const points: Array<Coordinates & { boxId: string }> = [];
  for (const box of boxes) {
    const free = splitters.filter((s) => s.boxId === box.id && s.isDrop).reduce((n, s) => n + freePorts(s).length, 0);
    if (free < 2 || points.some((p) => distanceMeters(p, box) < spacing)) continue;
    points.push({ lat: box.lat, lng: box.lng, boxId: box.id });
    if (points.length === count) return points;
  }
  throw new Error(`the simulator's network has only ${points.length} spaced boxes with free ports; wanted ${count}`);
}

/** Polls until `check` passes (tests wait on real servers; the deadline is generous, never a pass condition). */
export const eventually = <T>(check: () => Promise<T>, timeoutMs = 20_000): Promise<T> =>
  retryUntil(check, timeoutMs, 100);

/**
 * Raw GET against the simulator's OZmap API, for checks on fields our client does not read; `apiKey` for a simulator
 * started with a key other than SIM_API_KEY.
 */
export async function simGet<T = unknown>(
  world: Pick<World, 'simUrl'> & { apiKey?: string },
  pathAndQuery: string,
): Promise<T> {
  const res = await fetch(new URL(pathAndQuery, world.simUrl), {
    headers: { authorization: world.apiKey ?? SIM_API_KEY },
  });
  if (!res.ok) throw new Error(`GET ${pathAndQuery} answered ${res.status}`);
  return (await res.json()) as T;
}

export const filterQuery = (filter: unknown[]) => `filter=${encodeURIComponent(JSON.stringify(filter))}`;

export interface RawProperty {
  id: string;
  box: string;
  address: string;
  coords: [number, number];
  external_id?: string;
  client: { id: string; code: string; name: string; implanted: boolean } | null;
  connections: Array<{ id: string; port: number }>;
}

/** Every property carrying this viability's marker (there must never be more than one). */
export async function propertiesOf(
  world: Pick<World, 'simUrl'> & { apiKey?: string },
  externalId: string,
): Promise<RawProperty[]> {
  const page = await simGet<{ rows: RawProperty[] }>(
    world,
    `/api/v2/properties?${filterQuery([{ property: 'external_id', operator: '=', value: externalId }])}&limit=100`,
  );
  return page.rows;
}

/** Switches the simulator's fault injection (latency, 503s, connection resets). */
export async function setFaults(world: Pick<World, 'simUrl'>, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(new URL('/__sim/faults', world.simUrl), {
    method: 'PUT',
    headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`PUT /__sim/faults answered ${res.status}: ${await res.text()}`);
}

/** Every (splitter, port) that more than one property claims: must always be empty. */
export async function doubleBookedPorts(world: Pick<World, 'simUrl'>): Promise<string[]> {
  const seen = new Map<string, number>();
  for (let page = 1; ; page++) {
    const body = await simGet<{ rows: RawProperty[]; hasNextPage?: boolean }>(
      world,
      `/api/v2/properties?limit=1000&page=${page}`,
    );
    for (const p of body.rows)
      for (const c of p.connections) seen.set(`${c.id}#${c.port}`, (seen.get(`${c.id}#${c.port}`) ?? 0) + 1);
    if (!body.hasNextPage) break;
  }
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}
