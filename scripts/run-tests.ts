/**
 * Runs the test groups with Node's test runner (docs/development.md, "Testing"):
 *   npm test                 every group
 *   npm test -- unit e2e     only those groups
 *   npm test -- --list       the groups, their files and how they run
 * `chaos` is the short chaos run; `npm run test:chaos` is the full one.
 *
 * Each file runs in a process of its own with its own servers on random ports, so files run side by side
 * (CONCURRENCY at a time, the longest groups first); a file whose assertions time answers runs after them, alone.
 * The files of the groups that start no server process (ONE_PROCESS) share one process per group instead.
 * The workflow code is bundled once here and shared by every worker the tests start (bundling costs seconds of CPU
 * each time). The last line counts every test and gives the time.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH, WORKFLOW_BUNDLE_FILE } from '../worker/worker.ts';
import { buildCliEntry, buildWorkerEntry, buildWorkflowBundle } from './worker-build.ts';

interface Group {
  name: string;
  covers: string;
}

const GROUPS: Group[] = [
  { name: 'unit', covers: 'pure logic, configuration, schemas, the docs' },
  { name: 'simulator', covers: "the OZmap simulator against OZmap's documented API and the official SDK" },
  { name: 'activities', covers: 'activities against the simulator over HTTP' },
  { name: 'workflow', covers: 'workflows on the time-skipping server and the dev server' },
  { name: 'replay', covers: 'recorded histories replayed by today’s code' },
  { name: 'e2e', covers: 'the whole product: dev server, worker process, CLI, npm start' },
  { name: 'http', covers: 'the HTTP API and the map page’s endpoints' },
  { name: 'doctor', covers: 'ozres doctor and GET /v1/doctor' },
  { name: 'browser', covers: 'the map page in Chromium' },
  { name: 'chaos', covers: 'the short chaos run (the full one: npm run test:chaos)' },
];

/** Files side by side: most of a test's time is servers, timers and waits, so more than the 2 cores fit. */
const CONCURRENCY = 4;

/**
 * The order files start in: the groups whose files run longest first, so that the run does not end waiting on one
 * long file started last (longest-first scheduling, by group).
 */
const START_ORDER = [
  'chaos',
  'e2e',
  'browser',
  'doctor',
  'http',
  'workflow',
  'replay',
  'activities',
  'simulator',
  'unit',
];

/**
 * Groups whose files run in one process, one file after another: pure code, no servers, no global state, so a
 * process each would cost more in start-up (Node, the TypeScript loader, zod and the project's modules: about a
 * second of CPU) than the tests themselves.
 */
const ONE_PROCESS = new Set(['unit', 'simulator', 'activities']);

/** Files that time answers (a bound in milliseconds): run after the others, alone, on a quiet machine. */
const ALONE = new Set(['test/http/deep-body-fuzz.test.ts', 'test/e2e/isolation.test.ts']);

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const list = args.includes('--list');
const asked = args.filter((a) => a !== '--list');
const unknown = asked.filter((name) => !GROUPS.some((g) => g.name === name));
if (unknown.length > 0) {
  console.error(`Unknown test group(s): ${unknown.join(', ')}. Known groups: ${GROUPS.map((g) => g.name).join(', ')}.`);
  process.exit(2);
}
const groups = asked.length > 0 ? GROUPS.filter((g) => asked.includes(g.name)) : GROUPS;
const filesOf = (group: Group): string[] => {
  const dir = path.join(root, 'test', group.name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => `test/${group.name}/${f}`);
};

if (list) {
  for (const group of groups) {
    console.log(`${group.name}: ${group.covers}`);
    if (ONE_PROCESS.has(group.name)) console.log('  (its files one after another, in one process)');
    for (const file of filesOf(group)) console.log(`  ${file}${ALONE.has(file) ? '  (alone, after the others)' : ''}`);
  }
  console.log(`\n${CONCURRENCY} files at a time; those marked alone run one by one after them.`);
  process.exit(0);
}

const files = [...groups].sort((a, b) => START_ORDER.indexOf(a.name) - START_ORDER.indexOf(b.name)).flatMap(filesOf);
if (files.length === 0) {
  console.error(`No test files found for: ${groups.map((g) => g.name).join(', ')}`);
  process.exit(1);
}

const started = Date.now();
const work = mkdtempSync(path.join(tmpdir(), 'ozres-tests-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/**
 * Built once for every test process: the workflow bundle as the worker process runs it (with metrics) and as the
 * tests' in-process workers do, the worker compiled as `npm run build` compiles it, and the CLI with its packages in
 * one file, so that the dozens of workers and CLI calls the tests start skip TypeScript (test/support/stack.ts). In
 * the project, for their packages to resolve; removed at the end.
 */
async function buildOnce(): Promise<NodeJS.ProcessEnv> {
  const built = path.join(root, 'dist', `tests-${process.pid}`);
  process.on('exit', () => rmSync(built, { recursive: true, force: true }));
  const workerBundle = path.join(built, WORKFLOW_BUNDLE_FILE);
  const testBundle = path.join(work, 'test-bundle.js');
  const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
  await Promise.all([
    buildWorkflowBundle(workerBundle),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet }).then(({ code }) =>
      writeFileSync(testBundle, code),
    ),
    buildWorkerEntry(path.join(root, 'worker', 'main.ts'), path.join(built, 'worker.js')),
    buildCliEntry(path.join(root, 'cli', 'main.ts'), path.join(built, 'cli.js')),
  ]);
  return {
    TEST_WORKER_BUNDLE: workerBundle,
    TEST_WORKFLOW_BUNDLE: testBundle,
    TEST_WORKER_ENTRY: path.join(built, 'worker.js'),
    TEST_CLI_ENTRY: path.join(built, 'cli.js'),
  };
}

interface Counts {
  tests: number;
  pass: number;
  fail: number;
  cancelled: number;
  skipped: number;
  todo: number;
}

/** Node's test runner over `batch`, the spec report to the terminal, its counts read from a TAP copy. */
function runBatch(batch: string[], concurrency: number, env: NodeJS.ProcessEnv, tap: string): Promise<Counts> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...batch,
    ],
    { cwd: root, stdio: 'inherit', env },
  );
  return new Promise((resolve) =>
    child.once('exit', () => {
      const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
      const count = (name: keyof Counts) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      const counts: Counts = {
        tests: count('tests'),
        pass: count('pass'),
        fail: count('fail'),
        cancelled: count('cancelled'),
        skipped: count('skipped'),
        todo: count('todo'),
      };
      // A runner that died before its summary counts as a failure, not as nothing run.
      if (!/^# tests \d+$/m.test(text)) counts.fail += 1;
      resolve(counts);
    }),
  );
}

/** A group run in one process: one entry that imports its files in order (each still reports as itself). */
function oneProcessEntry(group: string, groupFiles: string[]): string {
  const entry = path.join(work, `${group}.test.mjs`);
  const imports = groupFiles.map((f) => `await import(${JSON.stringify(pathToFileURL(path.join(root, f)).href)});`);
  writeFileSync(entry, `${imports.join('\n')}\n`);
  return entry;
}

const inOneProcess = (f: string) => ONE_PROCESS.has(f.split('/')[1]!);
const entries = groups
  .filter((g) => ONE_PROCESS.has(g.name))
  .map((g) => filesOf(g))
  .filter((groupFiles) => groupFiles.length > 0)
  .map((groupFiles) => oneProcessEntry(groupFiles[0]!.split('/')[1]!, groupFiles));
const env: NodeJS.ProcessEnv = { ...process.env, OZLOGGER_HTTP: 'false', ...(await buildOnce()) };
const together = [...files.filter((f) => !ALONE.has(f) && !inOneProcess(f)), ...entries];
const alone = files.filter((f) => ALONE.has(f));
const results: Counts[] = [];
if (together.length > 0) results.push(await runBatch(together, CONCURRENCY, env, path.join(work, 'together.tap')));
if (alone.length > 0) results.push(await runBatch(alone, 1, env, path.join(work, 'alone.tap')));

const total = results.reduce((sum, c) => {
  for (const key of Object.keys(sum) as (keyof Counts)[]) sum[key] += c[key];
  return sum;
});
const seconds = Math.round((Date.now() - started) / 1000);
const time = `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
const failed = total.fail + total.cancelled;
console.log(
  `\nnpm test: ${total.tests} tests in ${files.length} files: ${total.pass} passed, ${total.fail} failed, ` +
    `${total.cancelled} cancelled, ${total.skipped} skipped, ${total.todo} todo; ${time} ` +
    `(groups: ${groups.map((g) => g.name).join(', ')})`,
);
// A skipped or unfinished test is not a pass: the run fails, saying so.
if (total.skipped + total.todo > 0) console.log('npm test: a skipped or todo test counts as a failure here');
process.exit(failed > 0 || total.skipped > 0 || total.todo > 0 ? 1 : 0);
