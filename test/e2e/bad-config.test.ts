/**
 * A bad configuration at start (docs/architecture.md, configuration): every entry point prints the problems by
 * variable name and exits without a Node stack trace. No Temporal is needed: they stop before connecting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { WORKER_ENTRY } from '../../scripts/entries.ts';
import { BUILD_DIR, buildWorkerEntry } from '../../scripts/worker-build.ts';
import { WORKER_NODE_ARGS } from '../../worker/process-env.ts';
import { run } from '../support/stack.ts';

/** The package.json scripts' entry points, run as `npm run <script>` runs them (tsx). */
const ENTRIES = [
  { name: 'npm start', file: 'scripts/start.ts', args: [], code: 1 },
  { name: 'npm run worker', file: 'worker/main.ts', args: [], code: 1 },
  { name: 'npm run http', file: 'api/main.ts', args: [], code: 1 },
  { name: 'npm run cli -- status', file: 'cli/main.ts', args: ['status', 'V-1'], code: 1 },
];

const STACK_FRAME = /^\s{4}at /m;

/** Runs `args` with a bad OZMAP_URL and checks the answer: the exit code, the problem named, no stack frame. */
async function assertRefused(args: string[], code: number): Promise<void> {
  const res = await run(args, {
    ...process.env,
    OZMAP_URL: 'not-a-url',
    // The demo key would be refused too once OZMAP_URL is real; here the URL itself is the problem.
    ISPBOX_API_KEY: '',
  });
  const output = `${res.stdout}\n${res.stderr}`;
  assert.equal(res.code, code, output);
  assert.match(res.stderr, /Invalid configuration \(1 problem\):\n {2}- OZMAP_URL: must be an http\(s\) URL/);
  assert.doesNotMatch(output, STACK_FRAME, output);
  assert.doesNotMatch(output, /ConfigError/, 'the error object is not dumped');
}

describe('a bad configuration at start: the problems, no stack trace', () => {
  for (const entry of ENTRIES) {
    it(`${entry.name} exits ${entry.code}, naming OZMAP_URL, with no stack frame`, () =>
      assertRefused(['--import', 'tsx', path.join(projectRoot, entry.file), ...entry.args], entry.code));
  }

  it('the built worker (npm run build: dist/worker.js, plain node) exits 1 the same way', async () => {
    // Built into a folder of its own under dist/ (where it finds node_modules), as npm start builds its own.
    const workerFile = path.join(BUILD_DIR, 'test-bad-config', 'worker.js');
    await buildWorkerEntry(WORKER_ENTRY, workerFile);
    await assertRefused([...WORKER_NODE_ARGS, workerFile], 1);
  });
});
