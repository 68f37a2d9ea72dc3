/**
 * The short chaos run inside `npm test` (about a minute and a half): 40 reservations with OZmap faults, one SIGKILL of the
 * worker and one Temporal server restart, then every rule of docs/architecture.md, "Invariants" 1-4, checked on what is
 * left. `npm run test:chaos` is the full run; CHAOS_SEED replays a run's plan.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chaosOptions } from './options.ts';
import { formatReport, problemsOf } from './report.ts';
import { runChaos } from './run.ts';

describe('chaos (short)', () => {
  it('reservations under OZmap faults, a worker SIGKILL and a server restart keep every rule', async () => {
    const options = chaosOptions('short');
    const report = await runChaos(options, (line) => console.log(`# ${line}`));
    console.log(
      formatReport(report)
        .split('\n')
        .map((l) => `# ${l}`)
        .join('\n'),
    );
    assert.deepEqual(problemsOf(report), [], `seed ${report.seed}`);
    assert.equal(
      Object.values(report.statuses).reduce((a, b) => a + b, 0),
      options.reservations,
      'every workflow accounted for',
    );
    assert.ok(report.faults.errors503 + report.faults.resets > 0, 'OZmap faults were injected');
  });
});
