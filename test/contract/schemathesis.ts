/**
 * `npm run test:api-fuzz`: Schemathesis, an API fuzzer from PyPI, against the OpenAPI document the HTTP API serves,
 * on the embedded default started as users start it (`npm start`: Temporal dev server, simulator, worker, API), on
 * free ports with a data folder of its own. Every check, every phase (examples, coverage, fuzzing, and stateful
 * sequences through the document's links), a fixed seed and a bounded number of examples, so that it takes a few
 * minutes on two cores. The admin API is on (ADMIN_API_KEY, with the registry in the data folder under a
 * TENANT_SECRETS_KEY of the run's own): each operation gets the key of the security scheme it declares, `bearer` the
 * Ispbox key and `admin` the admin key (schemathesis.toml, written for the run). Fails when Schemathesis reports
 * anything.
 *   npm run test:api-fuzz                          the run (extra arguments go to `schemathesis run`)
 *   npm run test:api-fuzz -- install               install the pinned Schemathesis into .tools/schemathesis
 * One check is relaxed for a forged page token and the admin API's URLs: see schemathesis_hooks.py.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEMO_ISPBOX_API_KEY } from '../../config/defaults.ts';
import { findFreePort } from '../../scripts/dev-server.ts';
import { formatElapsed } from '../../scripts/processes.ts';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { startNpmStart, stopNpmStart } from '../support/npm-start.ts';

const VENV = path.join(projectRoot, '.tools', 'schemathesis');
const SCHEMATHESIS = path.join(VENV, 'bin', 'schemathesis');
const REQUIREMENTS = path.join(import.meta.dirname, 'requirements.txt');
const HOOKS = path.join(import.meta.dirname, 'schemathesis_hooks.py');
const VERSION = /^schemathesis==(\S+)$/m.exec(readFileSync(REQUIREMENTS, 'utf8'))![1]!;
const INSTALL = `npm run test:api-fuzz -- install  (python3 -m venv .tools/schemathesis; its pip install -r ${path.relative(projectRoot, REQUIREMENTS)})`;

/** Bounds that keep the run to a few minutes on two cores; a fixed seed makes it repeatable. */
const SEED = '20261204';
const MAX_EXAMPLES = '100';
/** A reservation request answers 202 after this long: the run never waits the default 20 s on a busy machine. */
const WAIT_SECONDS = '5';
/**
 * Which key each security scheme of the document takes, from the environment Schemathesis is given (the keys never
 * touch the disk).
 */
const SCHEMATHESIS_CONFIG = `[auth.openapi.bearer]
bearer = "\${FUZZ_ISPBOX_API_KEY}"

[auth.openapi.admin]
bearer = "\${FUZZ_ADMIN_API_KEY}"
`;

const say = (line: string) => process.stdout.write(`[api-fuzz] ${line}\n`);

function install(): number {
  if (installedVersion() === VERSION) {
    say(`Schemathesis ${VERSION} is installed in ${path.relative(projectRoot, VENV)}`);
    return 0;
  }
  const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (python.status !== 0) {
    console.error(
      'python3 was not found: install Python 3.9 or later with venv (apt-get install python3 python3-venv)',
    );
    return 1;
  }
  say(`installing Schemathesis ${VERSION} into ${path.relative(projectRoot, VENV)} (${python.stdout.trim()})`);
  for (const [command, args] of [
    ['python3', ['-m', 'venv', VENV]],
    [path.join(VENV, 'bin', 'pip'), ['install', '--disable-pip-version-check', '-q', '-r', REQUIREMENTS]],
  ] as const) {
    const result = spawnSync(command, args, { stdio: 'inherit' });
    if (result.status !== 0) {
      console.error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
      return 1;
    }
  }
  return installed() ? 0 : 1;
}

/** The version of Schemathesis in .tools/schemathesis, if any. */
function installedVersion(): string | undefined {
  if (!existsSync(SCHEMATHESIS)) return undefined;
  const said = spawnSync(SCHEMATHESIS, ['--version'], { encoding: 'utf8' }).stdout;
  return /version (\S+)/.exec(said ?? '')?.[1];
}

/** Whether the pinned Schemathesis is installed; says how to install it when not. */
function installed(): boolean {
  const found = installedVersion();
  if (found === VERSION) return true;
  console.error(
    `Schemathesis ${VERSION} is ${found ? `not the one installed (${found})` : 'not installed'}. Install it: ${INSTALL}`,
  );
  return false;
}

async function run(extra: string[]): Promise<number> {
  if (!installed()) return 1;
  const started = Date.now();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-api-fuzz-'));
  const [temporalPort, simPort, httpPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_TASK_QUEUE: 'api-fuzz',
    OZMAP_URL: `http://127.0.0.1:${simPort}`,
    HTTP_PORT: String(httpPort),
    HTTP_WAIT_SECONDS: WAIT_SECONDS,
    // The simulator's geocoder, not Nominatim: no usage policy to keep to, so no pause between look-ups.
    GEOCODER_MIN_INTERVAL_MS: '0',
    ISPBOX_OZMAP_DATA_DIR: dataDir,
    // The admin API, on a registry of the run's own: SQLite in the data folder, secrets sealed under a fresh key.
    ADMIN_API_KEY: `api-fuzz-admin-${randomBytes(16).toString('hex')}`,
    TENANT_SECRETS_KEY: randomBytes(32).toString('base64'),
    // The worker says it started at info (what startNpmStart waits for); the API logs only warnings then.
    LOG_LEVEL: 'info',
  };
  for (const name of ['ISPBOX_API_KEY', 'OZMAP_API_KEY', 'PAYLOAD_ENCRYPTION_KEY', 'WEBHOOK_URL', 'DATABASE_URL'])
    delete env[name];
  say(`npm start on free ports (Temporal ${temporalPort}, simulator ${simPort}, API ${httpPort}), data in ${dataDir}`);
  let stack: Awaited<ReturnType<typeof startNpmStart>> | undefined;
  try {
    stack = await startNpmStart(env, 180_000);
    const url = `http://127.0.0.1:${httpPort}`;
    say(`ready in ${formatElapsed(Date.now() - started)}; Schemathesis ${VERSION} against ${url}/openapi.json`);
    const config = path.join(dataDir, 'schemathesis.toml');
    writeFileSync(config, SCHEMATHESIS_CONFIG);
    const args = [
      '--config-file',
      config,
      'run',
      `${url}/openapi.json`,
      '--checks',
      'all',
      '--phases',
      'examples,coverage,fuzzing,stateful',
      '--seed',
      SEED,
      '--max-examples',
      MAX_EXAMPLES,
      '--workers',
      '1',
      '--request-timeout',
      '30',
      ...extra,
    ];
    const code = await new Promise<number>((resolve) => {
      // In the data folder: Schemathesis keeps a cache in its working directory.
      const child = spawn(SCHEMATHESIS, args, {
        cwd: dataDir,
        stdio: 'inherit',
        env: {
          ...process.env,
          SCHEMATHESIS_HOOKS: HOOKS,
          FUZZ_ISPBOX_API_KEY: DEMO_ISPBOX_API_KEY,
          FUZZ_ADMIN_API_KEY: env.ADMIN_API_KEY,
        },
      });
      child.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
    });
    say(`Schemathesis ${code === 0 ? 'passed' : `failed (exit ${code})`} after ${formatElapsed(Date.now() - started)}`);
    return code;
  } finally {
    if (stack) await stopNpmStart(stack.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  process.exitCode = args[0] === 'install' ? install() : await run(args);
}

void main();
