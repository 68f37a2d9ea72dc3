/** The bench's command line: `--help`, `--quick` and the sizes it overrides (bench/README.md). */
import { parseArgs } from 'node:util';

export const USAGE = `npm run bench -- [--quick] [--held N,N,...] [--expiring N] [--concurrency N] [--cluster]
  --quick      60 measured, held 0,100,200, 100 expiring (a minute or two)
  --held       the held steps of (c) (default 0,1000,5000,10000,20000; quick 0,100,200)
  --expiring   how many expire at once in (d) (default 1000; quick 100)
  --concurrency calls in flight in (a) and (b) (default 16; quick 8)
  --cluster    (a) also on a fresh npm run start:cluster topology, one worker then two
The worker is configured from the environment like npm run worker (WORKER_MAX_CACHED_WORKFLOWS, ...).`;

export interface Sizes {
  warmup: number;
  measured: number;
  concurrency: number;
  heldSteps: number[];
  expiring: number;
  queries: number;
}

export interface BenchOptions {
  quick: boolean;
  onCluster: boolean;
  sizes: Sizes;
}

/** The options of this process's command line; `--help` prints the usage and exits 0, a wrong number exits 2. */
export function readOptions(): BenchOptions {
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      held: { type: 'string' },
      expiring: { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (args.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = args.quick;
  const sizes: Sizes = {
    ...(quick
      ? { warmup: 10, measured: 60, concurrency: 8, heldSteps: [0, 100, 200], expiring: 100, queries: 20 }
      : {
          warmup: 40,
          measured: 400,
          concurrency: 16,
          heldSteps: [0, 1000, 5000, 10000, 20000],
          expiring: 1000,
          queries: 100,
        }),
    ...(args.held && { heldSteps: args.held.split(',').map((n) => wholeNumber('--held', n)) }),
    ...(args.expiring && { expiring: wholeNumber('--expiring', args.expiring) }),
    ...(args.concurrency && { concurrency: Math.max(1, wholeNumber('--concurrency', args.concurrency)) }),
  };
  return { quick, onCluster: args.cluster, sizes };
}

function wholeNumber(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${flag} takes whole numbers, e.g. ${flag} 1000 (got "${text}")\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
