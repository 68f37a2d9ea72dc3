/** The state file (a demo survives restarts) and the process entry point (environment, signals). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readEnv } from '../../simulator/main.ts';
import type { ProjectRecord, PropertyView, SplitterRecord } from '../../simulator/model.ts';
import { pristineNetwork } from '../../simulator/network.ts';
import { DEFAULT_SEED, DEFAULT_SIM_API_KEY, startSimulator } from '../../simulator/server.ts';
import { isolatedBox, reservationBody, startTestSimulator } from './support.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

describe('state file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ozmap-sim-state-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('survives a restart: reservations, confirmations and releases are all still there', async () => {
    const first = await startTestSimulator({ dir, seed: 5 });
    const { box, drop } = isolatedBox(first);
    const kept = (await first.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 3, 'KEEP'))).body;
    await first.call('PATCH', `/api/v2/ftth-clients/${kept.client?.id}`, { body: { implanted: true } });
    const gone = (await first.post<PropertyView>('/api/v2/properties', reservationBody(box, drop, 6, 'GONE'))).body;
    await first.call('DELETE', `/api/v2/properties/${gone.id}`);
    const summary = first.summary();
    await first.stop();

    const files = await readdir(dir);
    assert.deepEqual(files, ['state.json'], 'written atomically: no temporary file left behind');
    const saved = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8')) as {
      format: string;
      version: number;
      state: { seed: number };
    };
    assert.deepEqual([saved.format, saved.version, saved.state.seed], ['ozmap-simulator-state', 1, 5]);

    const second = await startTestSimulator({ dir, seed: DEFAULT_SEED });
    try {
      assert.deepEqual(second.summary(), summary, 'the saved state wins over the seed option');
      const [property] = (await second.get<PropertyView[]>('/api/v2/properties/client/KEEP')).body;
      assert.equal(property?.client?.implanted, true);
      assert.equal(property?.connections[0]?.implanted, true);
      assert.deepEqual((await second.get('/api/v2/properties/client/GONE')).body, []);
      const splitter = (await second.get<SplitterRecord>(`/api/v2/splitters/${drop.id}`)).body;
      assert.equal(splitter.connectables.output[2], property?.connections[0]?.fiber);
      assert.equal(splitter.connectables.output[5], null);
      assert.equal((await second.post('/api/v2/properties', reservationBody(box, drop, 3, 'AGAIN'))).status, 422);
    } finally {
      await second.stop();
    }
  });

  it('writes a new file at start, and coalesces a burst of changes into few writes that end with the latest state', async () => {
    const file = path.join(dir, 'burst.json');
    const sim = await startSimulator({ port: 0, stateFile: file, log: () => {} });
    try {
      await sim.flush();
      assert.ok((await readFile(file, 'utf8')).length > 100_000);
      const { box, drop } = isolatedBox(sim);
      await Promise.all(
        [3, 6, 8].map((port) =>
          fetch(`${sim.url}/api/v2/properties`, {
            method: 'POST',
            headers: { authorization: sim.apiKey, 'content-type': 'application/json' },
            body: JSON.stringify(reservationBody(box, drop, port, `B-${port}`)),
          }),
        ),
      );
      await sim.flush();
      const saved = JSON.parse(await readFile(file, 'utf8')) as { state: { clients: { code: string }[] } };
      assert.deepEqual(
        saved.state.clients
          .filter((c) => c.code.startsWith('B-'))
          .map((c) => c.code)
          .sort(),
        ['B-3', 'B-6', 'B-8'],
      );
    } finally {
      await sim.close();
    }
  });

  it('refuses to start on a damaged state file, saying which file and what to do, and leaves it untouched', async () => {
    const file = path.join(dir, 'damaged.json');
    for (const content of [
      '{"format": "ozmap-simulator-state", "vers',
      '{"format":"something-else","version":1}',
      '[]',
    ]) {
      await writeFile(file, content);
      await assert.rejects(startSimulator({ port: 0, stateFile: file }), (error: Error) => {
        assert.match(
          error.message,
          new RegExp(`State file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a usable OZmap simulator state`),
        );
        assert.match(error.message, /Move it away or delete it/);
        return true;
      });
      assert.equal(await readFile(file, 'utf8'), content);
    }
  });

  it('loads a state file from before the physical layer, with the poles, pole types and project of its seed', async () => {
    const file = path.join(dir, 'before-poles.json');
    const { projects, poleTypes, poles, ...rest } = pristineNetwork(5);
    const [project] = projects as [ProjectRecord];
    const state = { ...rest, project: { id: project.id, name: 'Rede antiga' } };
    await writeFile(file, JSON.stringify({ format: 'ozmap-simulator-state', version: 1, savedAt: '', state }));
    const sim = await startSimulator({ port: 0, stateFile: file, log: () => {} });
    try {
      const loaded = sim.store.snapshot();
      assert.deepEqual([loaded.poleTypes, loaded.poles], [poleTypes, poles]);
      assert.ok(
        loaded.boxes.every((box) => sim.store.getPole(box.pole)),
        'every box finds its pole',
      );
      assert.deepEqual(
        loaded.projects.map((p) => [p.id, p.name, p.drop.maxSize]),
        [[project.id, 'Rede antiga', 300]],
      );
      const page = (await fetch(`${sim.url}/api/v2/projects`, { headers: { authorization: sim.apiKey } }).then((r) =>
        r.json(),
      )) as { total: number; rows: ProjectRecord[] };
      assert.deepEqual([page.total, page.rows[0]?.id], [1, project.id]);
      assert.equal('project' in loaded, false);
    } finally {
      await sim.close();
    }
  });

  it('keeps the state in memory only when no file is given', async () => {
    const sim = await startSimulator({ port: 0 });
    assert.equal(sim.stateFile, undefined);
    await sim.close();
    await sim.close();
  });
});

describe('simulator process (simulator/main.ts)', () => {
  it('refuses a non-loopback SIM_HOST with the default (public) key, naming OZMAP_API_KEY', () => {
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '127.0.0.1.example.com']) {
      assert.throws(() => readEnv({ SIM_HOST: host }), /SIM_HOST: .*set OZMAP_API_KEY/, host);
      assert.equal(readEnv({ SIM_HOST: host, OZMAP_API_KEY: 'a-private-sim-key' }).SIM_HOST, host);
    }
    for (const host of ['127.0.0.1', '::1', 'localhost']) assert.equal(readEnv({ SIM_HOST: host }).SIM_HOST, host);
  });

  it('reads its environment with defaults, and reports every bad variable at once with the fix', () => {
    const defaults = readEnv({});
    assert.equal(defaults.SIM_HOST, '127.0.0.1');
    assert.equal(defaults.SIM_PORT, 9994);
    assert.equal(defaults.OZMAP_API_KEY, DEFAULT_SIM_API_KEY);
    assert.equal(defaults.SIM_STATE_FILE, path.join(REPO_ROOT, '.data', 'ozmap-simulator.json'));
    assert.equal(defaults.SIM_SEED, DEFAULT_SEED);
    assert.deepEqual([defaults.SIM_LATENCY_MS, defaults.SIM_ERROR_RATE, defaults.SIM_RESET_RATE], [0, 0, 0]);
    assert.equal(readEnv({ SIM_PORT: '  ', SIM_ERROR_RATE: '0.25' }).SIM_ERROR_RATE, 0.25);
    assert.throws(
      () =>
        readEnv({
          SIM_PORT: '70000',
          SIM_SEED: 'abc',
          SIM_LATENCY_MS: '-5',
          SIM_ERROR_RATE: '2',
          SIM_RESET_RATE: 'often',
          SIM_FAULT_PHASE: 'later',
        }),
      (error: Error) => {
        for (const name of [
          'SIM_PORT',
          'SIM_SEED',
          'SIM_LATENCY_MS',
          'SIM_ERROR_RATE',
          'SIM_RESET_RATE',
          'SIM_FAULT_PHASE',
        ]) {
          assert.match(error.message, new RegExp(`\\n  - ${name}: `), name);
        }
        assert.match(error.message, /^Invalid OZmap simulator configuration \(6 problems\)/);
        assert.match(error.message, /SIM_ERROR_RATE: must be between 0 and 1 \(e\.g\. SIM_ERROR_RATE=0\.1\)/);
        return true;
      },
    );
  });

  const run = (env: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', 'simulator/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  it('exits with status 2 and the list of problems on a bad environment', async () => {
    const child = run({ SIM_PORT: 'x', SIM_ERROR_RATE: '5' });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 2);
    assert.match(stderr, /SIM_PORT: /);
    assert.match(stderr, /SIM_ERROR_RATE: /);
  });

  it('prints its URL, serves, and on SIGTERM stops cleanly after saving its state', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ozmap-sim-main-'));
    const stateFile = path.join(dir, 'nested', 'state.json');
    const child = run({ SIM_PORT: '0', SIM_STATE_FILE: stateFile, OZMAP_API_KEY: 'process-test-key' });
    try {
      let stdout = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(stdout);
          if (match?.[1]) resolve(match[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${stdout}`)));
      });
      assert.doesNotMatch(stdout, /process-test-key/, 'a configured key is never printed');
      assert.equal(
        (await fetch(`${url}/api/v2/authenticated`, { headers: { authorization: 'process-test-key' } })).status,
        200,
      );
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0);
      const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { state: { seed: number } };
      assert.equal(saved.state.seed, DEFAULT_SEED);
    } finally {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
