/**
 * The services a chaos run stands on: the OZmap simulator (the test world), the Temporal dev server persisted to
 * SQLite (or a target's service instead), the connection to it, and the pre-built workflow bundle the workers load.
 * Each is set on `Services` once started, so that `stopServices` ends exactly what has started.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { findFreePort, startDevServer, type DevServer } from '../../scripts/dev-server.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { WORKFLOWS_PATH } from '../../worker/worker.ts';
import { startWorld, type World } from '../support/world.ts';
import { SHORT_HOLD_LIMITS } from '../support/short-holds.ts';

export type Log = (line: string) => void;

/**
 * A Temporal service the run uses instead of its own dev server (the cluster, docs/deployment.md): `restartServer`
 * is its equivalent of the dev server's restart, and `taskQueue` keeps the run's workflows apart from others there.
 */
export interface ChaosTarget {
  address: string;
  namespace: string;
  taskQueue: string;
  /** What is restarted, for the report, e.g. "history service SIGKILL". */
  restartLabel: string;
  restartServer(): Promise<void>;
  /** Added to the workers' environment. */
  workerEnv?: NodeJS.ProcessEnv;
}

export interface Services {
  readonly target: ChaosTarget | undefined;
  readonly tmp: string;
  readonly dbFile: string;
  readonly bundlePath: string;
  /** The log without the server's own lines. */
  readonly quiet: Log;
  port?: number;
  world?: World;
  server?: DevServer;
  connection?: Connection;
}

/** What the run talks to once the services are up. */
export interface Temporal {
  world: World;
  address: string;
  namespace: string;
  client: Client;
  reservations: ReservationsClient;
}

/** A scratch folder for the server's database and the bundle; nothing started yet. */
export async function prepareServices(log: Log, target: ChaosTarget | undefined): Promise<Services> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'ozres-chaos-'));
  return {
    target,
    tmp,
    dbFile: path.join(tmp, 'temporal.sqlite'),
    bundlePath: path.join(tmp, 'workflow-bundle.js'),
    // The server's own log lines (errors of updates cut short by the restart, etc.) are expected here: leave them out.
    quiet: (line) => {
      if (!/^\[temporal\] (time=|dev server)/.test(line)) log(line);
    },
  };
}

export async function startServices(services: Services, taskQueue: string): Promise<Temporal> {
  const { target } = services;
  // A pre-built bundle makes every worker restart take a second rather than a fresh compile of the workflow code.
  const [{ code }, world, port] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silentLogger }),
    startWorld(),
    findFreePort(),
  ]);
  services.world = world;
  services.port = port;
  await writeFile(services.bundlePath, code);
  if (!target) services.server = await startDevServerAt(port, services.dbFile, services.quiet);
  const address = target?.address ?? services.server!.address;
  const namespace = target?.namespace ?? services.server!.namespace;
  services.connection = await Connection.connect({ address });
  const client = new Client({ connection: services.connection, namespace });
  const reservations = new ReservationsClient(client, taskQueue, {
    radiusMeters: 250,
    holdDays: 30,
    selectionTimeoutHours: 24,
    limits: SHORT_HOLD_LIMITS,
  });
  return { world, address, namespace, client, reservations };
}

/** The target's restart, or the dev server stopped, kept down `downMs` and started again on its SQLite file. */
export async function restartTemporal(services: Services, downMs: number): Promise<void> {
  if (services.target) await services.target.restartServer();
  else {
    await services.server!.stop();
    await sleep(downMs);
    services.server = await startDevServerAt(services.port!, services.dbFile, services.quiet);
  }
}

export async function stopServices(services: Services): Promise<void> {
  await services.connection?.close().catch(() => undefined);
  await services.server?.stop();
  await services.world?.close();
  await rm(services.tmp, { recursive: true, force: true });
}

async function startDevServerAt(port: number, dbFile: string, log: Log): Promise<DevServer> {
  const server = await startDevServer({ port, dbFile, headless: true, logLevel: 'error', log });
  if (server.reused) throw new Error(`port ${port} was taken by another server meanwhile; run again`);
  return server;
}

const silentLogger = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
