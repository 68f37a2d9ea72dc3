/**
 * Node's flags for a worker process: V8's young generation at 1 MiB a semi-space (default 16 on 64 bits) in the
 * main thread and in each workflow thread. Reservations allocate little per task, so the smaller nursery costs
 * scavenges that are cheap and saves tens of MiB resident (figures in bench/README.md).
 */
export const WORKER_NODE_ARGS = ['--max-semi-space-size=1'];

/**
 * The environment a worker process is started with by `npm start`, `npm run start:cluster` and the bench. glibc's
 * malloc gives each thread that allocates its own arena (up to 8 per core), and the SDK's Rust core and Node run
 * many threads: two arenas keep the worker's native memory about a fifth smaller, at no measured cost (figures in
 * bench/README.md). An operator's own MALLOC_ARENA_MAX wins; other C libraries ignore the variable.
 */
export const WORKER_MALLOC_ARENA_MAX = '2';

export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MALLOC_ARENA_MAX: WORKER_MALLOC_ARENA_MAX, ...env };
}
