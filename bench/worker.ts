/**
 * The benchmark's worker, a child process of bench/main.ts so that its memory is its own: the production worker
 * (createReservationWorker, configured and tuned from the environment) with the baseline workflows and no-op
 * activities added. It answers 'memory' messages, after a full GC in every thread (run with --expose-gc and
 * `--import ./thread-probe.js`), with the parts of its memory: see WorkerMemory.
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { BroadcastChannel } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { loadConfig } from '../config/env.ts';
import { openWorkerTenants } from '../worker/tenants.ts';
import { connectWorker, createClients, createReservationWorker, tuningOf } from '../worker/worker.ts';
import { noopActivities } from './noop-activities.ts';

/** What bench/thread-probe.js answers for each workflow thread. */
export interface ThreadHeap {
  threadId: number;
  usedBytes: number;
  physicalBytes: number;
  contexts: number;
}

/** Bytes, except where named otherwise. */
export interface WorkerMemory {
  rss: number;
  /** The highest RSS since the process started (VmHWM). */
  rssPeak: number;
  /** Anonymous resident memory (heaps, malloc) and file-backed (node, the SDK's native library, code). */
  rssAnon: number;
  rssFile: number;
  /** The main thread's V8 heap: used, and resident (physical). */
  heapUsed: number;
  heapPhysical: number;
  /** Buffers and other memory V8 was told of (process.memoryUsage().external). */
  external: number;
  /** Each workflow thread's V8 heap. */
  threads: ThreadHeap[];
  options: Record<string, unknown>;
  allocator: string;
}

function requiredBundlePath(path: string | undefined): string {
  if (!path)
    throw new Error('WORKFLOW_BUNDLE_PATH: the bench worker runs a pre-built bundle; start it with npm run bench');
  return path;
}

// LOG_LEVEL=error (bench/tenants.ts): its hung OZmap fails activities on purpose, which the SDK logs as warnings.
Runtime.install({ logger: new DefaultLogger(process.env.LOG_LEVEL === 'error' ? 'ERROR' : 'WARN') });
const config = loadConfig();
const connection = await connectWorker(config.temporal);
const clients = createClients(config);
// Tenants as production's worker opens them (worker/main.ts): none without TENANT_SECRETS_KEY (bench/tenants.ts).
const tenants = await openWorkerTenants(config, clients.ozmap);
const worker = await createReservationWorker({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  clients,
  tenants,
  tuning: tuningOf(config.worker),
  limits: config.limits,
  // bench/main.ts builds this file and the bundle (scripts/worker-build.ts) and names the bundle.
  workflowBundle: { codePath: requiredBundlePath(config.workflowBundlePath) },
  overrides: { activities: { ...createActivities({ ...clients, tenants: tenants?.ozmaps }), ...noopActivities } },
});
const probe = new BroadcastChannel('bench-thread-heap');
probe.unref();
const threads = new Map<number, ThreadHeap>();
probe.onmessage = (event) => {
  const heap = (event as MessageEvent).data as ThreadHeap;
  threads.set(heap.threadId, heap);
};

async function measure(): Promise<WorkerMemory> {
  threads.clear();
  probe.postMessage('probe');
  (globalThis as { gc?: () => void }).gc?.();
  const expected = worker.options.workflowThreadPoolSize;
  for (let waited = 0; threads.size < expected && waited < 3000; waited += 50) await sleep(50);
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  const usage = process.memoryUsage();
  const main = getHeapStatistics();
  return {
    rss: usage.rss,
    rssPeak: kib('VmHWM'),
    rssAnon: kib('RssAnon'),
    rssFile: kib('RssFile'),
    heapUsed: main.used_heap_size,
    heapPhysical: main.total_physical_size,
    external: usage.external,
    threads: [...threads.values()],
    options: {
      maxCachedWorkflows: worker.options.maxCachedWorkflows,
      maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTaskExecutions,
      workflowThreadPoolSize: worker.options.workflowThreadPoolSize,
      reuseV8Context: worker.options.reuseV8Context,
      // V8's flags (the bench's own --expose-gc and --import, which name a path, left out).
      nodeFlags: process.execArgv.filter((a, i, all) => a.startsWith('--max') && all[i - 1] !== '--import').join(' '),
    },
    allocator:
      [
        process.env.LD_PRELOAD && `LD_PRELOAD=${process.env.LD_PRELOAD.split('/').pop()}`,
        process.env.MALLOC_ARENA_MAX && `MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}`,
      ]
        .filter(Boolean)
        .join(' ') || 'glibc',
  };
}

process.on('message', (message) => {
  if (message === 'memory') void measure().then((m) => process.send?.(m));
});
process.send?.('ready');
await worker.run();
await connection.close();
await clients.close();
await tenants?.close();
