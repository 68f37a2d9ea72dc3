/** The worker process: `npm run worker`. Configuration comes from the environment (docs/configuration.md). */
import { openWorkerTenants } from './tenants.ts';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { dataConverterFor } from '../codec/data-converter.ts';
import { ConfigError, loadConfigOrExit, type Config } from '../config/env.ts';
import { temporalConnectionOptions } from '../config/temporal.ts';
import { workerMetricsOptions } from '../metrics/worker-options.ts';
import { serveMetrics } from '../metrics/server.ts';
import { pollSettling } from '../metrics/settling.ts';
import { createLogger, installTemporalRuntime } from './logger.ts';
import { registerReconcileSchedule } from './reconcile-schedule.ts';
import { registerTenantActivityRate } from './tenant-rate.ts';
import { WORKFLOW_BUNDLE_FILE, connectWorker, createClients, createReservationWorker, tuningOf } from './worker.ts';
import { migrate, openRegistryDb } from '../registry/database.ts';
import { BatchStore } from '../registry/batches.ts';
import { registerBatchRetentionSchedule } from './batch-retention-schedule.ts';

/**
 * The built worker (npm run build: dist/worker.js) runs the workflow bundle built beside it, unless
 * WORKFLOW_BUNDLE_PATH names another: compiled, it has no TypeScript sources to bundle.
 */
function withBuiltBundle(config: Config): Config {
  if (config.workflowBundlePath || !import.meta.url.endsWith('.js')) return config;
  return { ...config, workflowBundlePath: fileURLToPath(new URL(`./${WORKFLOW_BUNDLE_FILE}`, import.meta.url)) };
}

async function main(): Promise<void> {
  const config = withBuiltBundle(loadConfigOrExit());
  const logger = createLogger(config.logLevel, 'worker');
  installTemporalRuntime(logger, config.worker.metricsAddress);
  const connection = await connectWorker(config.temporal);
  const clients = createClients(config);
  // Metrics, interceptors and Worker Deployment versioning (docs/deployment.md); sinks are always registered.
  const instrumented = workerMetricsOptions(config);
  const tenants = await openWorkerTenants(config, clients.ozmap, (url) => instrumented.watchOzmap(url));
  // Batch feasibility (docs/demand.md): its store is the registry's database, with or without tenants.
  const batchDb = openRegistryDb(config.registry.store);
  await migrate(batchDb);
  const batches = { store: new BatchStore(batchDb), ...config.batches };
  const dataConverter = dataConverterFor(config.payloadEncryption);
  // A client of its own: the reconciler's activities and Schedule, and the settling metrics' visibility queries.
  const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = new Client({
    connection: clientConnection,
    namespace: config.temporal.namespace,
    ...(dataConverter ? { dataConverter } : {}),
  });
  try {
    const worker = await createReservationWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      clients: { ...clients, temporal: client },
      tenants,
      webhooks: config.webhooks,
      doctor: config,
      tuning: tuningOf(config.worker),
      limits: config.limits,
      viability: config.viability,
      batches,
      workflowBundle: config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined,
      dataConverter,
      overrides: instrumented.workerOptions,
    });
    const metricsServer = config.worker.appMetricsAddress
      ? await serveMetrics(instrumented.metrics.registry, config.worker.appMetricsAddress)
      : undefined;
    const stopPolling = metricsServer ? pollSettling(client, instrumented.metrics) : () => {};
    const schedule = await registerReconcileSchedule(client, config, logger);
    await registerBatchRetentionSchedule(client, config.temporal.taskQueue, logger);
    const tenantRate = await registerTenantActivityRate(
      client,
      {
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        perSecond: config.worker.tenantActivitiesPerSecond,
      },
      logger,
    );
    const encryption = config.payloadEncryption ? (config.payloadEncryption.current?.id ?? 'decrypt only') : 'off';
    logger.info(
      {
        address: config.temporal.address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        ozmap: config.ozmap.url,
        encryption,
        // The origin only: a path or query may carry a token.
        webhooks: config.webhooks ? new URL(config.webhooks.url).origin : 'off',
        reconciler: schedule === 'failed' ? 'schedule not registered' : config.reconciler.schedule.kind,
        tenantActivitiesPerSecond: tenantRate === 'failed' ? 'not set' : config.worker.tenantActivitiesPerSecond,
        metrics: [config.worker.metricsAddress, metricsServer?.url].filter(Boolean).join(' ') || 'off',
        deployment: config.worker.deployment
          ? `${config.worker.deployment.deploymentName}.${config.worker.deployment.buildId}`
          : 'unversioned',
      },
      'Worker started',
    );
    // Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before resolving.
    try {
      await worker.run();
    } finally {
      stopPolling();
      instrumented.stop();
      await metricsServer?.close();
    }
    logger.info('Worker stopped');
  } finally {
    await clientConnection.close();
    await connection.close();
    await clients.close();
    await tenants?.close();
    await batchDb.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
