/**
 * How the Temporal binaries are found (with fakes in a temporary cache), and a smoke test of the real servers:
 * a dev server on random ports and the time-skipping test server.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ensureSearchAttributes, isPortOpen, startDevServer } from '../../scripts/dev-server.ts';
import {
  cachedCliPath,
  ensureTemporalCli,
  ensureTestServer,
  projectRoot,
  TEST_SERVER_VERSION,
  testServerLibDir,
  testServerWrapper,
} from '../../scripts/temporal-tools.ts';
import { SEARCH_ATTRIBUTE_KEYS } from '../../contract/search-attributes.ts';
import { createDevServerEnv, createTimeSkippingEnv } from '../support/temporal.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const quiet = (): void => {};

let scratch: string;
before(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'temporal-tools-test-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function fakeExecutable(file: string, output = ''): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `#!/bin/sh\necho '${output}'\n`, { mode: 0o755 });
  return file;
}

/** An environment that sees only the given PATH and a cache of its own: nothing real is found or built. */
function isolatedEnv(name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const root = path.join(scratch, name);
  return { HOME: root, ISPBOX_OZMAP_CACHE: path.join(root, 'cache'), PATH: path.join(root, 'path'), ...extra };
}

describe('ensureTemporalCli', () => {
  test('TEMPORAL_CLI_PATH wins over PATH and the cache', async () => {
    const env = isolatedEnv('cli-env');
    const explicit = await fakeExecutable(path.join(scratch, 'cli-env', 'explicit', 'temporal'));
    await fakeExecutable(path.join(env.PATH ?? '', 'temporal'), 'temporal version 1.5.1');
    await fakeExecutable(cachedCliPath(env));
    assert.equal(await ensureTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: explicit }, binDir: null }), explicit);
  });

  test('a TEMPORAL_CLI_PATH that does not exist is an error naming the variable', async () => {
    const env = isolatedEnv('cli-missing', { TEMPORAL_CLI_PATH: path.join(scratch, 'nowhere', 'temporal') });
    await assert.rejects(ensureTemporalCli({ env, binDir: null }), /TEMPORAL_CLI_PATH=.*no such file/);
  });

  test('a TEMPORAL_CLI_PATH that is not executable is an error naming the variable', async () => {
    const file = path.join(scratch, 'cli-noexec', 'temporal');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '', { mode: 0o644 });
    const env = isolatedEnv('cli-noexec', { TEMPORAL_CLI_PATH: file });
    await assert.rejects(ensureTemporalCli({ env, binDir: null }), /TEMPORAL_CLI_PATH=.*not executable/);
  });

  test('`temporal` on PATH comes before the cache', async () => {
    const env = isolatedEnv('cli-path');
    const onPath = await fakeExecutable(
      path.join(env.PATH ?? '', 'temporal'),
      'temporal version 1.5.1 (Server 1.29.1)',
    );
    await fakeExecutable(cachedCliPath(env));
    assert.equal(await ensureTemporalCli({ env, binDir: null }), onPath);
  });

  test('a `temporal` on PATH older than 1.5 is passed over for the cache', async () => {
    const env = isolatedEnv('cli-old');
    await fakeExecutable(path.join(env.PATH ?? '', 'temporal'), 'temporal version 0.13.2');
    const cached = await fakeExecutable(cachedCliPath(env));
    assert.equal(await ensureTemporalCli({ env, binDir: null, log: quiet }), cached);
  });

  test('the cached build is found and linked into the bin directory', async () => {
    const env = isolatedEnv('cli-cache');
    const cached = await fakeExecutable(cachedCliPath(env));
    const binDir = path.join(scratch, 'cli-cache', 'bin');
    assert.equal(await ensureTemporalCli({ env, binDir }), cached);
    assert.equal(await readlink(path.join(binDir, 'temporal')), cached);
  });
});

describe('ensureTestServer', () => {
  test('TEMPORAL_TEST_SERVER_PATH wins over the cache', async () => {
    const env = isolatedEnv('ts-env');
    const explicit = await fakeExecutable(path.join(scratch, 'ts-env', 'explicit', 'temporal-test-server'));
    await fakeJars(env);
    const resolved = await ensureTestServer({ env: { ...env, TEMPORAL_TEST_SERVER_PATH: explicit } });
    assert.deepEqual(resolved, { type: 'existing-path', path: explicit });
  });

  test('a TEMPORAL_TEST_SERVER_PATH that does not exist is an error naming the variable', async () => {
    const env = isolatedEnv('ts-missing', { TEMPORAL_TEST_SERVER_PATH: path.join(scratch, 'nowhere', 'tts') });
    await assert.rejects(ensureTestServer({ env }), /TEMPORAL_TEST_SERVER_PATH=.*no such file/);
  });

  test('cached jars are run through tools/temporal-test-server.sh', async () => {
    const javaHome = path.join(scratch, 'ts-cache', 'jdk');
    await fakeExecutable(path.join(javaHome, 'bin', 'java'));
    const env = isolatedEnv('ts-cache', { JAVA_HOME: javaHome });
    await fakeJars(env);
    assert.deepEqual(await ensureTestServer({ env }), { type: 'existing-path', path: testServerWrapper });
  });

  test('the wrapper fails clearly when the jars are not in the cache', () => {
    const env = isolatedEnv('ts-wrapper');
    const result = spawnSync(testServerWrapper, ['0'], { env: { ...env, PATH: process.env.PATH }, encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /no jars in .* run: npx tsx scripts\/temporal-tools\.ts test-server/);
  });

  test('the wrapper, the pom and the code name the same test server version', async () => {
    const pom = await readFile(path.join(projectRoot, 'tools', 'temporal-test-server', 'pom.xml'), 'utf8');
    const wrapper = await readFile(testServerWrapper, 'utf8');
    const dependency = `<artifactId>temporal-test-server</artifactId>\\s*<version>${TEST_SERVER_VERSION}</version>`;
    assert.match(pom, new RegExp(dependency));
    assert.match(wrapper, new RegExp(`^version=${TEST_SERVER_VERSION}$`, 'm'));
  });

  async function fakeJars(env: NodeJS.ProcessEnv): Promise<void> {
    await mkdir(testServerLibDir(env), { recursive: true });
    await writeFile(path.join(testServerLibDir(env), `temporal-test-server-${TEST_SERVER_VERSION}.jar`), '');
  }
});

describe('dev server (real)', () => {
  test('starts on random ports with the search attributes, is reused, and stops', async () => {
    const server = await startDevServer({ port: 0, headless: true, logLevel: 'error', log: quiet });
    try {
      assert.equal(server.reused, false);
      assert.equal(server.uiUrl, undefined);
      await assertSearchAttributesRegistered(server.address);

      const port = Number(server.address.split(':').at(-1));
      const again = await startDevServer({ port, headless: true, log: quiet });
      assert.equal(again.reused, true);
      assert.equal(again.address, server.address);
      await again.stop(); // a no-op for a reused server
      assert.equal(await isPortOpen('127.0.0.1', port), true);
    } finally {
      await server.stop();
    }
    const [host = '', port = ''] = server.address.split(':');
    assert.equal(await isPortOpen(host, Number(port)), false);
  });

  test('createDevServerEnv adds missing attributes and rejects a type clash', async () => {
    const { env, stop } = await createDevServerEnv({ log: quiet });
    try {
      const extra = defineSearchAttributeKey('ToolsTestCount', SearchAttributeType.INT);
      assert.deepEqual(await ensureSearchAttributes(env.connection, 'default', [...SEARCH_ATTRIBUTE_KEYS, extra]), [
        'ToolsTestCount',
      ]);
      assert.deepEqual(await ensureSearchAttributes(env.connection, 'default'), []);
      const clash = defineSearchAttributeKey('ViabilityId', SearchAttributeType.INT);
      await assert.rejects(
        ensureSearchAttributes(env.connection, 'default', [clash]),
        /ViabilityId exists in namespace default as KEYWORD, but the project needs INT/,
      );
    } finally {
      await stop();
    }
  });

  async function assertSearchAttributesRegistered(address: string): Promise<void> {
    const connection = await Connection.connect({ address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const key of SEARCH_ATTRIBUTE_KEYS) assert.ok(customAttributes?.[key.name], `${key.name} is registered`);
    } finally {
      await connection.close();
    }
  }
});

describe('time-skipping test server (real)', () => {
  test('env.sleep skips a day, the search attributes exist, teardown stops the server', async () => {
    const env = await createTimeSkippingEnv({ log: quiet });
    try {
      assert.equal(env.supportsTimeSkipping, true);
      const before = await env.currentTimeMs();
      await env.sleep('1 day');
      assert.ok((await env.currentTimeMs()) - before >= DAY_MS);
      // All already registered (this server cannot list them; adding again reports each as existing).
      assert.deepEqual(await ensureSearchAttributes(env.connection, 'default'), []);
    } finally {
      await env.teardown();
    }
    const [host = '', port = ''] = env.address.split(':');
    assert.equal(await isPortOpen(host, Number(port)), false);
  });
});
