// @ts-check
/**
 * Loaded with `--import` into the bench worker, so into every thread of it, the SDK's workflow threads included
 * (plain JS: those threads load it before tsx can compile TypeScript there). In those threads it answers a probe on a
 * BroadcastChannel with the thread's V8 heap, after a full GC when run with --expose-gc: process.memoryUsage() and
 * v8.getHeapStatistics() see only the thread that calls them. bench/worker.ts asks and sums.
 */
import { getHeapStatistics } from 'node:v8';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

if (!isMainThread) {
  const channel = new BroadcastChannel('bench-thread-heap');
  channel.unref();
  channel.onmessage = (event) => {
    if (/** @type {MessageEvent} */ (event).data !== 'probe') return;
    /** @type {{ gc?: () => void }} */ (globalThis).gc?.();
    const h = getHeapStatistics();
    channel.postMessage({
      threadId,
      usedBytes: h.used_heap_size,
      physicalBytes: h.total_physical_size,
      contexts: h.number_of_native_contexts,
    });
  };
}
