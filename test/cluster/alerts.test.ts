/** The alert rules (ops/prometheus/alerts.yml) are valid and behave as their promtool tests say. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { findPrometheus } from '../../scripts/cluster/observability.ts';
import { projectRoot } from '../../scripts/temporal-tools.ts';

const dir = path.join(projectRoot, 'ops', 'prometheus');

describe('alert rules', () => {
  it('pass promtool check rules and promtool test rules', async () => {
    const promtool = await findPrometheus('promtool'); // throws with the apt-get line when missing
    const check = spawnSync(promtool, ['check', 'rules', 'alerts.yml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const test = spawnSync(promtool, ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    console.log(`# ${check.stdout.trim().split('\n').join(' ')}; ${test.stdout.trim().split('\n').join(' ')}`);
  });
});
