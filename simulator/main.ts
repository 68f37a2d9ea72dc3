/**
 * The simulator as a process: `npm run simulator` (tsx simulator/main.ts).
 * Configuration comes from the environment, validated at once; every problem is reported by name with its fix.
 */
import path from 'node:path';
import { z } from 'zod';
import { isLoopbackHost } from '../net/hosts.ts';
import { DEMO_ADDRESS } from './gazetteer.ts';
import { VariantList } from './variants.ts';
import {
  DEFAULT_SEED,
  DEFAULT_SIM_API_KEY,
  DEFAULT_SIM_HOST,
  DEFAULT_SIM_PORT,
  ISOLATED_BOX,
  type Simulator,
  startSimulator,
} from './server.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
export const DEFAULT_STATE_FILE = path.join(REPO_ROOT, '.data', 'ozmap-simulator.json');

const number = (fix: string) => z.coerce.number({ error: `must be a number (${fix})` });
const rate = (name: string) =>
  number(`e.g. ${name}=0.1`).pipe(
    z
      .number()
      .min(0, `must be between 0 and 1 (e.g. ${name}=0.1)`)
      .max(1, `must be between 0 and 1 (e.g. ${name}=0.1)`),
  );
const millis = (name: string) =>
  number(`e.g. ${name}=200`).pipe(
    z
      .number()
      .int(`must be a whole number of milliseconds (e.g. ${name}=200)`)
      .min(0)
      .max(120_000, 'must be at most 120000'),
  );

const Env = z.object({
  SIM_HOST: z.string().trim().min(1).default(DEFAULT_SIM_HOST),
  SIM_PORT: number('e.g. SIM_PORT=9994')
    .pipe(
      z
        .number()
        .int()
        .min(0, 'must be a TCP port 0-65535 (0 = any free port)')
        .max(65535, 'must be a TCP port 0-65535 (0 = any free port)'),
    )
    .default(DEFAULT_SIM_PORT),
  OZMAP_API_KEY: z.string().trim().min(1).default(DEFAULT_SIM_API_KEY),
  /** A path (relative to the working directory), or "none" to keep the state in memory only. */
  SIM_STATE_FILE: z.string().trim().min(1).default(DEFAULT_STATE_FILE),
  SIM_SEED: number('e.g. SIM_SEED=1042')
    .pipe(z.number().int('must be a whole number (e.g. SIM_SEED=1042)').min(0).max(0xffffffff))
    .default(DEFAULT_SEED),
  SIM_LATENCY_MS: millis('SIM_LATENCY_MS').default(0),
  SIM_LATENCY_JITTER_MS: millis('SIM_LATENCY_JITTER_MS').default(0),
  SIM_ERROR_RATE: rate('SIM_ERROR_RATE').default(0),
  SIM_RESET_RATE: rate('SIM_RESET_RATE').default(0),
  SIM_FAULT_PHASE: z.enum(['before', 'after'], { error: 'must be "before" or "after"' }).default('before'),
  SIM_FAULT_METHODS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((m) => m.trim().toUpperCase())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z.enum(['GET', 'POST', 'PATCH', 'PUT', 'DELETE'], {
            error: 'must list methods among GET, POST, PATCH, PUT, DELETE (e.g. POST,DELETE)',
          }),
        )
        .min(1),
    )
    .optional(),
  SIM_VARIANTS: VariantList.optional(),
});
export type SimulatorEnv = z.infer<typeof Env>;

/** Parses the environment (empty values count as unset); throws one Error listing every problem. */
export function readEnv(environment: NodeJS.ProcessEnv = process.env): SimulatorEnv {
  const present = Object.fromEntries(
    Object.entries(environment).filter(
      ([key, value]) => key in Env.shape && value !== undefined && value.trim() !== '',
    ),
  );
  const parsed = Env.safeParse(present);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  // The default key is public (simulator/README.md): off loopback anyone who reaches the port could use it.
  const host = typeof present.SIM_HOST === 'string' ? present.SIM_HOST.trim() : DEFAULT_SIM_HOST;
  if (!isLoopbackHost(host) && !present.OZMAP_API_KEY)
    problems.push(
      `SIM_HOST: ${host} is not loopback, and the default key "${DEFAULT_SIM_API_KEY}" is public: ` +
        'set OZMAP_API_KEY to a key of your own, or keep SIM_HOST=127.0.0.1',
    );
  if (parsed.success && problems.length === 0) return parsed.data;
  throw new Error(
    `Invalid OZmap simulator configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ` +
      `${problems.join('\n  - ')}`,
  );
}

async function main(): Promise<void> {
  let env: SimulatorEnv;
  try {
    env = readEnv();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const stateFile = env.SIM_STATE_FILE.toLowerCase() === 'none' ? undefined : path.resolve(env.SIM_STATE_FILE);
  let simulator: Simulator;
  try {
    simulator = await startSimulator({
      host: env.SIM_HOST,
      port: env.SIM_PORT,
      apiKey: env.OZMAP_API_KEY,
      stateFile,
      seed: env.SIM_SEED,
      faults: {
        latencyMs: env.SIM_LATENCY_MS,
        latencyJitterMs: env.SIM_LATENCY_JITTER_MS,
        errorRate: env.SIM_ERROR_RATE,
        resetRate: env.SIM_RESET_RATE,
        phase: env.SIM_FAULT_PHASE,
        ...(env.SIM_FAULT_METHODS ? { methods: env.SIM_FAULT_METHODS } : {}),
      },
      variants: env.SIM_VARIANTS,
    });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    console.error(
      err.code === 'EADDRINUSE'
        ? `Port ${env.SIM_PORT} on ${env.SIM_HOST} is already in use: stop the other process or set SIM_PORT to ` +
            `another port.`
        : `OZmap simulator could not start: ${err.message}`,
    );
    process.exit(1);
  }

  const summary = simulator.summary();
  const key =
    env.OZMAP_API_KEY === DEFAULT_SIM_API_KEY ? `the demo key "${DEFAULT_SIM_API_KEY}"` : 'the key in OZMAP_API_KEY';
  console.log(`OZmap simulator listening on ${simulator.url} (API key: ${key})`);
  console.log(
    `  network: seed ${summary.seed}, ${summary.boxes.total} boxes, ${summary.dropPorts.free} free drop ports, ` +
      `${summary.clients.total} clients`,
  );
  console.log(`  state:   ${stateFile ?? 'in memory only'}`);
  console.log(`  geocode: ${simulator.url}/search?format=json&q=${encodeURIComponent(DEMO_ADDRESS)}`);
  if (summary.isolatedBox) {
    console.log(
      `  isolated test box: ${ISOLATED_BOX.name} (${summary.isolatedBox.id}), free ports ` +
        `${summary.isolatedBox.freePorts.join(', ')}`,
    );
  }
  if (env.SIM_VARIANTS?.length) console.log(`  variants: ${env.SIM_VARIANTS.join(', ')}`);
  const faults = simulator.faults.config;
  if (faults.latencyMs || faults.latencyJitterMs || faults.errorRate || faults.resetRate)
    console.log(`  faults:  ${JSON.stringify(faults)}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${signal} again: exiting without waiting.`);
      process.exit(130);
    }
    stopping = true;
    console.log(`${signal}: stopping the OZmap simulator...`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`OZmap simulator: could not save its state: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// Run only as the entry point, so tests can import readEnv.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) void main();
