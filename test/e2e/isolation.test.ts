/**
 * Isolation under load (docs/tenants.md, "Isolation"), the bench of test/isolation/ at test size: while tenant B's
 * OZmap answers nothing and tenant C starts 200 reservations at once, tenant A's reservations still end RESERVED, and
 * their p50 stays within a generous bound of A's alone (`npm run test:isolation` gives the exact ratio, bound 1.5).
 * It times answers, so `npm test` runs it after the other files, alone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { measureIsolation, percentile } from '../isolation/measure.ts';

/**
 * What the test guards is isolation kept, not the bench's figure. The bench measures ×1.0-1.2 on 2 quiet cores. In
 * `npm test` runs, 7 of 11 runs measured ×1.1-1.4 and 4 measured ×2.3-3.1 (A's tasks at times wait behind C's burst
 * for a round or two). Without the per-tenant rate, the bench measured ×6-8 and this test ×12.5.
 */
const BOUND = 5;

describe('one tenant under another’s hung OZmap and burst', () => {
  it('A reserves within a bound of its time alone while B hangs and C bursts 200', { timeout: 240_000 }, async () => {
    const result = await measureIsolation({ rounds: 8, burst: 200, broken: 20, fairness: true });
    const [alone, loaded] = [percentile(result.alone, 50), percentile(result.loaded, 50)];
    console.log(
      `# A alone p50 ${alone.toFixed(0)} ms, under load p50 ${loaded.toFixed(0)} ms: ×${result.ratio.toFixed(2)} ` +
        `(${result.loadedSeconds.toFixed(1)} s after the burst began)`,
    );
    assert.ok(result.ratio <= BOUND, `A's p50 under load is ×${result.ratio.toFixed(2)} of alone (bound ×${BOUND})`);
  });
});
