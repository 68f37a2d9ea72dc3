/**
 * What the bench runs on: the OZmap simulator in this process (its network widened so that there are ports for all
 * that is held), a private dev server in memory, and the bench worker as a child process, configured from the
 * environment as in production. Each part is set on `Stack` once started, so that `stopStack` ends what has started.
 */
import { Client, Connection } from '@temporalio/client';
import { ReservationsClient } from '../client/reservations.ts';
import { startDevServer, type DevServer } from '../scripts/dev-server.ts';
import { startSimulator, type Simulator } from '../simulator/server.ts';
import { API_KEY, Load, RESERVATION_DEFAULTS, TASK_QUEUE, spreadPoints } from './load.ts';
import { widenNetwork } from './network.ts';
import type { Sizes } from './options.ts';
import { startWorker, type WorkerChild } from './worker-process.ts';
import type { WorkerMemory } from './worker.ts';

export type Log = (line: string) => void;

/**
 * Mass expiry holds for seconds, ending at one instant: fractions of a day, which a deployment allows only when told
 * to (RESERVATION_FRACTIONAL_HOLD_DAYS; contract/limits.ts). The client library and the worker both check it.
 */
const SHORT_HOLDS = { limits: { maxHoldDays: 90, fractionalHoldDays: true } } as const;
const SHORT_HOLDS_ENV = { RESERVATION_FRACTIONAL_HOLD_DAYS: 'true' } as const;

export interface Stack {
  sim: Simulator;
  server?: DevServer;
  connection?: Connection;
  worker?: WorkerChild;
}

/** The started stack, as the measurements use it. */
export interface Bench {
  readonly log: Log;
  readonly sizes: Sizes;
  readonly sim: Simulator;
  readonly client: Client;
  readonly reservations: ReservationsClient;
  readonly worker: WorkerChild;
  /** The worker's memory right after it started. */
  readonly fresh: WorkerMemory;
  /** How many boxes widening the network added. */
  readonly widenedBoxes: number;
  /** The processes whose CPU the bench reads. */
  readonly pids: Record<'server' | 'worker' | 'bench', number>;
  readonly load: Load;
}

/** The simulator first: the rest of the stack is started inside the bench's try, so that it is always stopped. */
export async function openStack(log: Log): Promise<Stack> {
  return { sim: await startSimulator({ port: 0, apiKey: API_KEY, log }) };
}

export async function startStack(stack: Stack, sizes: Sizes, log: Log): Promise<Bench> {
  const { sim } = stack;
  // Ports for everything held at once plus (a)'s and (d)'s, with room for the search to find one nearby.
  const portsNeeded = Math.max(...sizes.heldSteps) + sizes.expiring + 2 * (sizes.measured + sizes.warmup);
  const layers = Math.ceil((portsNeeded * 1.3) / (228 * 16));
  const widenedBoxes = widenNetwork(sim.store, layers);
  const server = (stack.server = await startDevServer({
    port: 0,
    headless: true,
    logLevel: 'error',
    log: (l) => !l.includes('time=') && log(l),
  }));
  const connection = (stack.connection = await Connection.connect({ address: server.address }));
  const client = new Client({ connection, namespace: server.namespace });
  const reservations = new ReservationsClient(client, TASK_QUEUE, { ...RESERVATION_DEFAULTS, ...SHORT_HOLDS });
  const worker = (stack.worker = await startWorker({
    ...process.env,
    ...SHORT_HOLDS_ENV,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    OZMAP_URL: sim.url,
    OZMAP_API_KEY: API_KEY,
    LOG_LEVEL: 'warn',
  }));
  const fresh = await worker.memory();
  const load = new Load(client, reservations, spreadPoints(sim, layers));
  const pids = { server: server.pid!, worker: worker.pid, bench: process.pid };
  return { log, sizes, sim, client, reservations, worker, fresh, widenedBoxes, pids, load };
}

export async function stopStack(stack: Stack): Promise<void> {
  await stack.worker?.stop();
  await stack.connection?.close();
  await stack.server?.stop();
  await stack.sim.close();
}
