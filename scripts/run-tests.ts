/**
 * Runs the test suites with Node's test runner, one file at a time (the suites share real servers and ports).
 *   npm test                 every group, in order
 *   npm test -- unit e2e     only those groups
 * `chaos` is the short chaos run (about two minutes); `npm run test:chaos` is the full one.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

const GROUPS = [
  'unit',
  'simulator',
  'activities',
  'workflow',
  'replay',
  'e2e',
  'http',
  'doctor',
  'browser',
  'chaos',
] as const;
const root = path.resolve(import.meta.dirname, '..');
const asked = process.argv.slice(2);
const unknown = asked.filter((g) => !(GROUPS as readonly string[]).includes(g));
if (unknown.length > 0) {
  console.error(`Unknown test group(s): ${unknown.join(', ')}. Known groups: ${GROUPS.join(', ')}.`);
  process.exit(2);
}
const groups = asked.length > 0 ? asked : [...GROUPS];
const files = groups.flatMap((group) => {
  const dir = path.join(root, 'test', group);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join('test', group, f));
});
if (files.length === 0) {
  console.error(`No test files found for: ${groups.join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, OZLOGGER_HTTP: 'false' } },
);
process.exit(result.status ?? 1);
