/** The bench's CPU meter reads /proc: a child that spins is charged what it says it spent, on its main thread. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpuMeter, threadsCpu } from '../../bench/cpu.ts';

describe('bench CPU meter', () => {
  it('charges a spinning child its CPU time, by thread, per unit of work', async () => {
    // Says it is ready, waits for a line on stdin, spins about 300 ms, writes the CPU it spent by its own count
    // (getrusage), then waits.
    const child = spawn(process.execPath, [
      '-e',
      `process.stdin.once('data', () => { const from = process.cpuUsage(); const end = Date.now() + 300;
         while (Date.now() < end); const used = process.cpuUsage(from);
         process.stdout.write(String((used.user + used.system) / 1000)); });
       setImmediate(() => process.stdout.write('ready'));`,
    ]);
    try {
      // Node's own start-up is not the spin: on a busy machine it can take longer than any fixed wait.
      await once(child.stdout, 'data');
      const meter = cpuMeter({ child: child.pid! });
      child.stdin.write('go\n');
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const said = Number(String(chunk));
      const spent = meter.stop(3).child!; // per unit of work: three units
      const expected = said / 3;
      assert.ok(expected > 10, `the child spun (${said} ms)`);
      // /proc counts in ticks of 10 ms, and the child's other threads may add a little.
      assert.ok(Math.abs(spent.main! - expected) <= 15, `main thread ${spent.main} ms per unit, expected ${expected}`);
      assert.ok(spent.total >= spent.main!, `total ${spent.total} covers main ${spent.main}`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reads nothing, and throws nothing, for a process that has gone', () => {
    assert.deepEqual(threadsCpu(2 ** 22 + 12345), {});
  });
});
