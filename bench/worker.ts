/**
 * The benchmark's worker, a child process of bench/main.ts so that its memory is its own: the production worker
 * (createReservationWorker, configured from the environment) with the baseline workflow and no-op activities added.
 * It answers 'memory' messages with process.memoryUsage() after a full GC (run with --expose-gc).
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { loadConfig } from '../config/env.ts';
import { connectWorker, createClients, createReservationWorker } from '../worker/worker.ts';
import { noopActivities } from './noop-activities.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });
const config = loadConfig();
const connection = await connectWorker(config.temporal);
const clients = createClients(config);
const worker = await createReservationWorker({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  clients,
  maxCachedWorkflows: config.worker.maxCachedWorkflows,
  overrides: {
    workflowsPath: fileURLToPath(new URL('./workflows/index.ts', import.meta.url)),
    activities: { ...createActivities(clients), ...noopActivities },
  },
});
process.on('message', (message) => {
  if (message !== 'memory') return;
  (globalThis as { gc?: () => void }).gc?.();
  process.send?.({ ...process.memoryUsage(), maxCachedWorkflows: worker.options.maxCachedWorkflows });
});
process.send?.('ready');
await worker.run();
await connection.close();
await clients.close();
