/** The worker process: `npm run worker`. Configuration comes from the environment (see README). */
import { dataConverterFor } from '../codec/data-converter.ts';
import { ConfigError, loadConfig } from '../config/env.ts';
import { createLogger, installTemporalRuntime } from './logger.ts';
import { connectWorker, createClients, createReservationWorker } from './worker.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'worker');
  installTemporalRuntime(logger);
  const connection = await connectWorker(config.temporal);
  const clients = createClients(config);
  try {
    const worker = await createReservationWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      clients,
      maxCachedWorkflows: config.worker.maxCachedWorkflows,
      workflowBundle: config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined,
      dataConverter: dataConverterFor(config.payloadEncryption),
    });
    const encryption = config.payloadEncryption ? (config.payloadEncryption.current?.id ?? 'decrypt only') : 'off';
    logger.info(
      {
        address: config.temporal.address,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        ozmap: config.ozmap.url,
        encryption,
      },
      'Worker started',
    );
    // Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before resolving.
    await worker.run();
    logger.info('Worker stopped');
  } finally {
    await connection.close();
    await clients.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
