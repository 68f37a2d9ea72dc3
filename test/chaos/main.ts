/**
 * `npm run test:chaos`: the full chaos run (1,000 reservations, 5 worker SIGKILLs, 2 server restarts, a 130 s OZmap
 * outage, late creates, operator terminations and reconciler runs, by default).
 * Prints the counts, writes them to test-results/chaos-<seed>.json, and exits 1 on any violation of
 * docs/architecture.md, "Invariants" 1-4.
 *   npm run test:chaos -- --seed=1234 --reservations=500        (or CHAOS_SEED=…, CHAOS_RESERVATIONS=…)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { chaosOptions } from './options.ts';
import { formatReport, problemsOf } from './report.ts';
import { runChaos } from './run.ts';

const args = process.argv.slice(2);
const profile = args.includes('--short') ? 'short' : 'full';
let options;
try {
  options = chaosOptions(
    profile,
    process.env,
    args.filter((a) => a !== '--short'),
  );
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
console.log(`chaos: ${profile} run, seed ${options.seed}`);
const results = path.join(projectRoot, 'test-results');
await mkdir(results, { recursive: true });
const workerLog = path.join(results, `chaos-${options.seed}-workers.log`);
const report = await runChaos(options, (line) => console.log(line), workerLog);
console.log(`\n${formatReport(report)}`);
const out = path.join(results, `chaos-${report.seed}.json`);
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`report: ${path.relative(projectRoot, out)}; workers' output: ${path.relative(projectRoot, workerLog)}`);
const problems = problemsOf(report);
if (problems.length > 0) {
  console.error(`\nFAILED: ${problems.length} problem(s)`);
  for (const p of problems.slice(0, 30)) console.error(`  ${p}`);
  process.exit(1);
}
console.log('\nPASSED: every invariant held (docs/architecture.md, "Invariants" 1-4)');
process.exit(0);
