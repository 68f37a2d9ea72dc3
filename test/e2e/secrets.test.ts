/**
 * docs/architecture.md, "Invariants" 5, checked on everything a run leaves behind: reservations through the real worker
 * and CLI processes with distinctive OZmap, Ispbox and Temporal keys (successes, OZmap answering 5xx, a wrong OZmap
 * key, configuration errors), then every workflow history and description from the dev server, the processes' output,
 * and the recorded replay histories are searched for the keys, plain and base64 (payloads are base64 in JSON). The
 * scanner itself is shown able to fail in test/unit/secret-scan.test.ts, and below on the customer's name.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ReservationsClient } from '../../client/reservations.ts';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { startSimulator, type Simulator } from '../../simulator/server.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { describeHits, scanForSecrets, type Secret } from '../support/secret-scan.ts';
import { entryArgs, run, spawnWorker, type WorkerProcess } from '../support/stack.ts';
import { createDevServerEnv, type DevServerEnv } from '../support/temporal.ts';
import { CENTRE, eventually } from '../support/world.ts';

const distinctive = (prefix: string) => `${prefix}-${randomBytes(12).toString('hex')}`;
const SECRETS: Secret[] = [
  { name: 'OZMAP_API_KEY', value: distinctive('ozk-scan') },
  { name: 'wrong OZMAP_API_KEY', value: distinctive('ozk-wrong') },
  { name: 'ISPBOX_API_KEY', value: distinctive('isp-scan') },
  { name: 'TEMPORAL_API_KEY', value: distinctive('tmprl-scan') },
];
const [OZMAP_KEY, WRONG_OZMAP_KEY, ISPBOX_KEY, TEMPORAL_KEY] = SECRETS.map((s) => s.value) as [
  string,
  string,
  string,
  string,
];
const CUSTOMER = 'Helena Varredura Kowalski';
const newId = () => `SEC-${randomUUID().slice(0, 8)}`;

describe('secrets never reach history, logs or errors', () => {
  let dev: DevServerEnv;
  let sim: Simulator;
  let env: NodeJS.ProcessEnv;
  const workers: WorkerProcess[] = [];
  /** Everything collected, by where it came from. */
  const corpus: Record<string, string> = {};
  let cliRuns = 0;

  const cli = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const res = await run([...entryArgs('cli'), ...args], { ...env, ...extraEnv });
    const n = ++cliRuns;
    corpus[`cli #${n} (${args[0]}) stdout`] = res.stdout;
    corpus[`cli #${n} (${args[0]}) stderr`] = res.stderr;
    return res;
  };

  before(async () => {
    [dev, sim] = await Promise.all([
      createDevServerEnv(),
      startSimulator({ port: 0, apiKey: OZMAP_KEY, log: () => {} }),
    ]);
    env = {
      ...process.env,
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_NAMESPACE: dev.namespace,
      TEMPORAL_TASK_QUEUE: 'secrets',
      OZMAP_URL: sim.url,
      OZMAP_API_KEY: OZMAP_KEY,
      ISPBOX_API_KEY: ISPBOX_KEY,
      GEOCODER_MIN_INTERVAL_MS: '0',
    };
    const good = spawnWorker(env);
    const wrong = spawnWorker({ ...env, TEMPORAL_TASK_QUEUE: 'secrets-wrong-key', OZMAP_API_KEY: WRONG_OZMAP_KEY });
    workers.push(good, wrong);
    await Promise.all([good.ready, wrong.ready]);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await sim?.close();
    await dev?.stop();
  });

  it(
    'runs reservations that succeed, meet OZmap 5xx, and meet a wrong key; then finds no key anywhere',
    { timeout: 240_000 },
    async () => {
      const client = dev.env.client;
      const defaults = { radiusMeters: 250, holdDays: 30, selectionTimeoutHours: 24 };
      const reservations = new ReservationsClient(client, 'secrets', defaults);

      // Successes, through the CLI: reserve (geocoded) → status → confirm; reserve → cancel.
      const installed = newId();
      const reserved = await cli([
        'reserve',
        '--json',
        '--viability',
        installed,
        '--code',
        'C-SCAN-1',
        '--name',
        CUSTOMER,
        '--address',
        'Rua Bocaiúva, 2125, Florianópolis - SC',
      ]);
      assert.equal(reserved.code, 0, reserved.stderr);
      assert.equal((await cli(['status', installed])).code, 0);
      assert.equal((await cli(['confirm', installed, '--note', 'instalado', '--json'])).code, 0);
      const cancelled = newId();
      assert.equal(
        (
          await cli([
            'reserve',
            '--viability',
            cancelled,
            '--code',
            'C-SCAN-2',
            '--name',
            CUSTOMER,
            '--address',
            'Rua Felipe Schmidt, 300, Centro, Florianópolis',
          ])
        ).code,
        0,
      );
      assert.equal((await cli(['cancel', cancelled, '--reason', 'desistiu'])).code, 0);

      // OZmap answers 503 to everything: the search activity fails and is retried, with the failure recorded.
      const flaky = newId();
      sim.setFaults({ errorRate: 1 });
      await reservations.start({
        viabilityId: flaky,
        customer: { code: 'C-SCAN-3', name: CUSTOMER },
        coordinates: CENTRE,
      });
      await eventually(async () => {
        const { raw } = await client.workflow.getHandle(workflowIdFor(flaky)).describe();
        const pending = raw.pendingActivities?.[0];
        assert.ok((pending?.attempt ?? 0) >= 3, 'a few failed attempts');
        assert.match(pending?.lastFailure?.message ?? '', /503/);
      }, 60_000);
      corpus['status while OZmap fails (cli)'] = (await cli(['status', flaky, '--json'])).stdout;
      sim.setFaults({ errorRate: 0 });
      const recovered = await reservations.reserve({
        viabilityId: flaky,
        customer: { code: 'C-SCAN-3', name: CUSTOMER },
        coordinates: CENTRE,
      });
      assert.equal(recovered.status, 'RESERVED');
      assert.equal((await cli(['cancel', flaky])).code, 0);

      // A worker with a wrong OZmap key: 401s, logged and recorded as the pending activity's failure.
      const refused = newId();
      const wrongKeyReservations = new ReservationsClient(client, 'secrets-wrong-key', defaults);
      await wrongKeyReservations.start({
        viabilityId: refused,
        customer: { code: 'C-SCAN-4', name: CUSTOMER },
        coordinates: CENTRE,
      });
      await eventually(async () => {
        const { raw } = await client.workflow.getHandle(workflowIdFor(refused)).describe();
        assert.equal(raw.pendingActivities?.[0]?.lastFailure?.applicationFailureInfo?.type, 'OZmapAuthError');
        assert.match(workers[1]!.output.join(''), /OZmapAuthError|401/);
      }, 60_000);
      corpus['describe (wrong key)'] = JSON.stringify(
        (await client.workflow.getHandle(workflowIdFor(refused)).describe()).raw,
      );
      await client.workflow.getHandle(workflowIdFor(refused)).terminate('secret scan: done');

      // Configuration errors with secrets in them, in the CLI and the worker: reported by name, never echoed.
      const badConfig = {
        OZMAP_URL: `https://integration:${OZMAP_KEY}@acme.ozmap.com.br:9994`,
        TEMPORAL_API_KEY: TEMPORAL_KEY,
        ISPBOX_API_KEY: ISPBOX_KEY,
        RESERVATION_HOLD_DAYS: 'soon',
      };
      const cliConfig = await cli(['status', installed], badConfig);
      assert.equal(cliConfig.code, 1);
      assert.match(cliConfig.stderr, /OZMAP_URL: must not carry credentials/);
      const workerConfig = await run(entryArgs('worker'), { ...env, ...badConfig });
      assert.equal(workerConfig.code, 1);
      assert.match(workerConfig.stderr, /RESERVATION_HOLD_DAYS/);
      corpus['worker with bad config: stdout'] = workerConfig.stdout;
      corpus['worker with bad config: stderr'] = workerConfig.stderr;
      // A Temporal API key against a server that does not take it (TLS to a plain server): a connection error.
      const tlsFailure = await cli(['status', installed], { TEMPORAL_API_KEY: TEMPORAL_KEY });
      assert.equal(tlsFailure.code, 1, `${tlsFailure.stdout}\n${tlsFailure.stderr}`);

      // Collect: every history (JSON, failures included) and description on the server, the workers' output
      // (after they stop, so shutdown is in it), and the recorded replay histories.
      await Promise.all(workers.map((w) => w.kill('SIGTERM')));
      workers.forEach(
        (w, i) => (corpus[`worker ${i === 0 ? 'with the key' : 'with a wrong key'} output`] = w.output.join('')),
      );
      let executions = 0;
      for await (const wf of client.workflow.list()) {
        const handle = client.workflow.getHandle(wf.workflowId, wf.runId);
        corpus[`history ${wf.workflowId}`] = historyToJSON(await handle.fetchHistory());
        corpus[`describe ${wf.workflowId}`] = JSON.stringify((await handle.describe()).raw);
        executions++;
      }
      assert.equal(executions, 4);
      const historyDir = path.join(projectRoot, 'test', 'replay', 'histories');
      for (const file of (await readdir(historyDir)).filter((f) => f.endsWith('.json'))) {
        corpus[`replay history ${file}`] = await readFile(path.join(historyDir, file), 'utf8');
      }

      // Controls: the corpus holds what the rule is about (failures, auth errors, payloads), and the scanner finds a
      // value that is meant to be there, the customer's name, inside the base64 payloads of those histories.
      const all = Object.values(corpus).join('\n');
      assert.match(all, /Service temporarily unavailable/, 'OZmap 5xx failures were recorded');
      assert.match(all, /OZmapAuthError/, 'the auth failure was recorded');
      const histories = Object.fromEntries(Object.entries(corpus).filter(([k]) => k.startsWith('history ')));
      assert.ok(!Object.values(histories).join('').includes(CUSTOMER), 'the name is only there in base64');
      assert.ok(
        scanForSecrets(histories, [{ name: 'customer', value: CUSTOMER }]).some((h) => h.form.startsWith('base64')),
      );

      const hits = scanForSecrets(corpus, SECRETS);
      assert.deepEqual(hits, [], `secrets found:\n${describeHits(hits)}`);
    },
  );
});
