/**
 * Builds the reservation worker: the workflow code plus activities wired to real OZmap, geocoder and (for the
 * reconciler) Temporal clients.
 */
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { createBatchActivities, type BatchActivityDeps } from '../activities/batch.ts';
import { createReconcileActivities } from '../activities/reconcile.ts';
import type { Clients } from '../activities/clients.ts';
import { createSettingsActivities, polesOf } from '../activities/settings.ts';
import { createWebhookActivities, webhookSettingsOf, type WebhookTarget } from '../activities/webhooks.ts';
import type { Config } from '../config/env.ts';
import type { UpstreamConfig } from '../doctor/upstream.ts';
import { createDoctorActivities } from '../doctor/worker-activities.ts';
import { DEFAULT_LIMITS, type ReservationLimits, type ReservationSettings } from '../contract/limits.ts';
import { DEFAULT_TENANT_ID } from '../contract/ids.ts';
import { temporalConnectionOptions } from '../config/temporal.ts';

export { createClients, type Clients } from '../activities/clients.ts';
import type { WorkerTenants } from './tenants.ts';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** The name `npm run build` gives the workflow bundle, beside the built worker (scripts/worker-build.ts). */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

/** The worker options the configuration sets (docs/configuration.md, "Worker"; figures in bench/README.md). */
export type WorkerTuning =
  | 'maxCachedWorkflows'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'workflowThreadPoolSize'
  | 'stickyQueueScheduleToStartTimeout';

/** Picks the tuning out of the worker's configuration. */
export const tuningOf = (worker: Config['worker']): Pick<Config['worker'], WorkerTuning> => ({
  maxCachedWorkflows: worker.maxCachedWorkflows,
  maxConcurrentWorkflowTaskExecutions: worker.maxConcurrentWorkflowTaskExecutions,
  workflowThreadPoolSize: worker.workflowThreadPoolSize,
  stickyQueueScheduleToStartTimeout: worker.stickyQueueScheduleToStartTimeout,
});

export interface ReservationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /**
   * `temporal` is what the reconciler's activities look workflows up with (with the worker's data converter);
   * without it they fail, not retried, and the reservation's own activities are unaffected.
   */
  clients: Pick<Clients, 'ozmap' | 'geocoder'> & { temporal?: Client };
  /** What the doctor's checks on the worker need to know (GET /v1/doctor); absent: they are not registered. */
  doctor?: UpstreamConfig;
  /** Signed webhooks to Ispbox (Config.webhooks); none: the workflows emit nothing. */
  webhooks?: WebhookTarget;
  /**
   * Tenants other than `default` (worker/tenants.ts): their OZmaps behind bulkheads, their settings, and which are
   * enabled (for the reconciler's whole run; absent, it covers `default` alone).
   */
  tenants?: Pick<WorkerTenants, 'ozmaps' | 'settings' | 'webhook'> & Partial<Pick<WorkerTenants, 'enabledTenants'>>;
  /** A pre-built bundle (tests share one; production may ship one); otherwise workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Payload encryption (codec/data-converter.ts); the client library must use the same one. */
  dataConverter?: DataConverter;
  /** Cache, task slots and threads (Config.worker); the SDK's defaults for any absent. */
  tuning?: Partial<Pick<Config['worker'], WorkerTuning>>;
  /** RESERVATION_MAX_HOLD_DAYS, _MAX_MOVES, _FRACTIONAL_HOLD_DAYS (Config.limits); the defaults for any absent. */
  limits?: Partial<ReservationLimits>;
  /** VIABILITY_MODE and POLE_MAX_DROP_METERS (Config.viability): the default tenant's mode; radius when absent. */
  viability?: Config['viability'];
  /**
   * Batch feasibility (docs/demand.md): the batches' store, the geocoding pace and retention (Config.batches), and
   * the `--prospects` seam; absent, its activities are not registered.
   */
  batches?: Pick<
    BatchActivityDeps,
    'store' | 'geocodeIntervalMs' | 'retentionDays' | 'ensureProspect' | 'pageBudgetMs'
  >;
  /**
   * `activities` here replaces the OZmap, geocoder and reconciler ones; the webhook, settings and batch activities
   * are always added.
   */
  overrides?: Partial<WorkerOptions>;
}

export function createReservationWorker(options: ReservationWorkerOptions): Promise<Worker> {
  const { activities, ...overrides } = options.overrides ?? {};
  const settings = {
    ...DEFAULT_LIMITS,
    ...options.limits,
    webhooks: webhookSettingsOf(options.webhooks),
    ...polesOf(options.viability),
  };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: {
      ...createWebhookActivities(options.webhooks, undefined, options.tenants?.webhook),
      ...createSettingsActivities(settings, options.tenants?.settings),
      ...(options.batches ? batchActivities(options, options.batches, settings) : {}),
      ...(activities ?? {
        ...createActivities({ ...options.clients, tenants: options.tenants?.ozmaps }),
        ...createReconcileActivities({
          ...options.clients,
          tenants: options.tenants?.ozmaps,
          enabledTenants: options.tenants?.enabledTenants,
        }),
        ...(options.doctor ? createDoctorActivities(options.clients, options.doctor, options.tenants?.ozmaps) : {}),
      }),
    },
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
    ...options.tuning,
    ...overrides,
  });
}

/** Batch feasibility's activities on the worker's clients; pole mode as each tenant's reservations have it. */
function batchActivities(
  options: ReservationWorkerOptions,
  batches: NonNullable<ReservationWorkerOptions['batches']>,
  settings: ReservationSettings,
) {
  const tenantSettings = options.tenants?.settings;
  return createBatchActivities({
    ...batches,
    ozmap: options.clients.ozmap,
    geocoder: options.clients.geocoder,
    tenants: options.tenants?.ozmaps,
    poleModeOf: async (tenantId) =>
      (tenantId === DEFAULT_TENANT_ID || !tenantSettings ? settings : await tenantSettings(tenantId, settings)).poles,
  });
}

export function connectWorker(config: Config['temporal']): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(config));
}
