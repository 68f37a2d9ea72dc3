/** Builds the reservation worker: the workflow code plus activities wired to real OZmap and geocoder clients. */
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import type { Clients } from '../activities/clients.ts';
import { createWebhookActivities, type WebhookTarget } from '../activities/webhooks.ts';
import type { Config } from '../config/env.ts';
import { temporalConnectionOptions } from '../config/temporal.ts';

export { createClients, type Clients } from '../activities/clients.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface ReservationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  clients: Pick<Clients, 'ozmap' | 'geocoder'>;
  /** Signed webhooks to Ispbox (Config.webhooks); none: the workflows emit nothing. */
  webhooks?: WebhookTarget;
  /** A pre-built bundle (tests share one; production may ship one); otherwise workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload encryption (codec/data-converter.ts); the client library must use the same one. */
  dataConverter?: DataConverter;
  /** Sticky cache size (Config.worker.maxCachedWorkflows); the SDK's default when absent. */
  maxCachedWorkflows?: number;
  /** `activities` here replaces the OZmap and geocoder ones; the webhook activities are always added. */
  overrides?: Partial<WorkerOptions>;
}

export function createReservationWorker(options: ReservationWorkerOptions): Promise<Worker> {
  const { activities, ...overrides } = options.overrides ?? {};
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: {
      ...createWebhookActivities(options.webhooks),
      ...(activities ?? createActivities(options.clients)),
    },
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...(options.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: options.maxCachedWorkflows }),
    ...overrides,
  });
}

export function connectWorker(config: Config['temporal']): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(config));
}
