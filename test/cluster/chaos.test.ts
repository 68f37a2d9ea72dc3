/**
 * The short chaos run (test/chaos/chaos.test.ts's plan size) on the cluster: OZmap faults, a worker SIGKILL and,
 * in place of the dev server's restart, a SIGKILL of the history service (the supervisor brings it back); then
 * every rule of docs/architecture.md, "Invariants" 1-4, checked on what is left.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chaosOptions } from '../chaos/options.ts';
import { formatReport, problemsOf } from '../chaos/report.ts';
import { runChaos } from '../chaos/run.ts';
import { bounce, clusterInfo } from './support.ts';

describe('chaos (short) on the cluster', () => {
  it('reservations under OZmap faults, a worker SIGKILL and a history SIGKILL keep every rule', async () => {
    const info = clusterInfo();
    const options = chaosOptions('short');
    const historyPort = Number(info.address.split(':')[1]) + 1; // the frontend port + 1 (docs/deployment.md, topology)
    const report = await runChaos(options, (line) => console.log(`# ${line}`), undefined, {
      address: info.address,
      namespace: info.namespace,
      taskQueue: 'cluster-chaos',
      restartLabel: 'history service SIGKILL, restarted by the supervisor',
      restartServer: async () => void (await bounce('history', 'SIGKILL', historyPort, info)),
      // The cluster's own workers hold the metrics ports of the environment.
      workerEnv: { WORKER_METRICS_ADDRESS: '', WORKER_APP_METRICS_ADDRESS: '' },
    });
    console.log(
      formatReport(report)
        .split('\n')
        .map((l) => `# ${l}`)
        .join('\n'),
    );
    assert.equal(report.violations.length, 0, `seed ${report.seed}: ${problemsOf(report).join('; ')}`);
    assert.deepEqual(problemsOf(report), [], `seed ${report.seed}`);
    assert.equal(report.serverRestarts, 1, 'the history service was killed once');
    assert.equal(
      Object.values(report.statuses).reduce((a, b) => a + b, 0),
      options.reservations,
      'every workflow accounted for',
    );
    assert.ok(report.faults.errors503 + report.faults.resets > 0, 'OZmap faults were injected');
  });
});
