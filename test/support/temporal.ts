/**
 * Temporal servers for tests, with the project's search attributes registered. If a server binary is missing
 * and cannot be obtained, these reject with the reason: a test that needs a server fails, it never skips.
 *
 *   createTimeSkippingEnv()  Java time-skipping test server: env.sleep and awaited results skip time.
 *                            No visibility (list/count) and no time skipping while an Update is awaited
 * (docs/architecture.md, "Testing").
 *   createDevServerEnv()     A private `temporal server start-dev` on random ports: the full server, in real time.
 *
 * Both start a fresh server per call; share one per test file (before/after) and run files serially.
 */
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  ensureSearchAttributes,
  findFreePort,
  spawnServer,
  startDevServer,
  type DevServerOptions,
} from '../../scripts/dev-server.ts';
import { ensureTestServer, projectRoot } from '../../scripts/temporal-tools.ts';

export interface TestServerOptions {
  /** Server output and tool progress, one line each. Default: stderr (the test runner shows it on failure). */
  log?: (line: string) => void;
}

const TEST_SERVER_READY_TIMEOUT_MS = 60_000;
const stubExecutable = path.join(projectRoot, 'tools', 'ephemeral-server-stub.sh');

const logToStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * A time-skipping environment (namespace `default`). `env.teardown()` also stops the server.
 *
 * The JVM test server is started here, without sdk-core's 5 s start-up limit, because on a busy 2-core machine
 * it can take longer than that; sdk-core then gets a stub executable and the port of the running server.
 */
export async function createTimeSkippingEnv(opts: TestServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const log = opts.log ?? logToStderr;
  const executable = await ensureTestServer({ log });
  const env =
    executable.type === 'existing-path'
      ? await createWithPreStartedServer(executable.path, log)
      : await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  try {
    await ensureSearchAttributes(env.connection, 'default');
  } catch (error) {
    await env.teardown();
    throw error;
  }
  return env;
}

async function createWithPreStartedServer(
  executable: string,
  log: (line: string) => void,
): Promise<TestWorkflowEnvironment> {
  const port = await findFreePort();
  // sdk-core's argv contract for the test server: `<port> [extraArgs...]` (see tools/temporal-test-server.sh).
  const server = spawnServer(executable, [String(port)], { label: 'test-server', log });
  let env: TestWorkflowEnvironment;
  try {
    await server.waitUntilReady(`127.0.0.1:${port}`, TEST_SERVER_READY_TIMEOUT_MS);
    env = await TestWorkflowEnvironment.createTimeSkipping({
      server: { port, executable: { type: 'existing-path', path: stubExecutable } },
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const teardownEnv = env.teardown.bind(env);
  env.teardown = async () => {
    try {
      await teardownEnv();
    } finally {
      await server.stop();
    }
  };
  return env;
}

export interface DevServerEnvOptions extends TestServerOptions {
  /** Default `default`. */
  namespace?: string;
  /** SQLite file; default in memory. */
  dbFile?: string;
  /** Start the Web UI too (on a random port). Default false. */
  ui?: boolean;
  /** Server dynamic configuration for this test's server (scripts/dev-server.ts). */
  dynamicConfig?: DevServerOptions['dynamicConfig'];
}

export interface DevServerEnv {
  env: TestWorkflowEnvironment;
  /** host:port of the server, e.g. for a second client or a worker in another process. */
  address: string;
  namespace: string;
  uiUrl?: string;
  /** Tears down the environment and stops the server. */
  stop: () => Promise<void>;
}

/** A dev server of its own on random ports, for tests that need the real server (visibility, Updates). */
export async function createDevServerEnv(opts: DevServerEnvOptions = {}): Promise<DevServerEnv> {
  const server = await startDevServer({
    port: 0,
    ...(opts.ui ? { uiPort: 0 } : { headless: true }),
    dbFile: opts.dbFile,
    namespace: opts.namespace,
    dynamicConfig: opts.dynamicConfig,
    logLevel: 'error',
    log: opts.log ?? logToStderr,
  });
  let env: TestWorkflowEnvironment;
  try {
    env = await TestWorkflowEnvironment.createFromExistingServer({
      address: server.address,
      namespace: server.namespace,
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    env,
    address: server.address,
    namespace: server.namespace,
    uiUrl: server.uiUrl,
    stop: async () => {
      try {
        await env.teardown();
      } finally {
        await server.stop();
      }
    },
  };
}
