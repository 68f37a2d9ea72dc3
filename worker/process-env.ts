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
