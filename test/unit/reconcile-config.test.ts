/** RECONCILE_SCHEDULE and RECONCILE_PAGE_SIZE as read, and the Schedule options a worker registers from them. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../config/env.ts';
import { emptyReport } from '../../contract/reconcile.ts';
import { reconcileScheduleOptions } from '../../worker/reconcile-schedule.ts';
import { describeReconcile, resumed } from '../../workflows/reconcile/workflow.ts';

describe('reconciler configuration', () => {
  it('daily at 03:00 UTC by default; an interval, a cron expression or off otherwise', () => {
    assert.deepEqual(loadConfig({}).reconciler, { schedule: { kind: 'cron', expression: '0 3 * * *' }, pageSize: 100 });
    assert.deepEqual(loadConfig({ RECONCILE_SCHEDULE: '6h' }).reconciler.schedule, { kind: 'interval', every: '6h' });
    assert.deepEqual(loadConfig({ RECONCILE_SCHEDULE: ' 30  2 * * 1 ' }).reconciler.schedule, {
      kind: 'cron',
      expression: '30 2 * * 1',
    });
    assert.deepEqual(loadConfig({ RECONCILE_SCHEDULE: 'OFF' }).reconciler.schedule, { kind: 'off' });
    assert.equal(loadConfig({ RECONCILE_PAGE_SIZE: '25' }).reconciler.pageSize, 25);
  });

  it('names the variable and the accepted forms', () => {
    for (const [name, value] of [
      ['RECONCILE_SCHEDULE', 'daily'],
      ['RECONCILE_SCHEDULE', '0h'],
      ['RECONCILE_SCHEDULE', '* * *'],
      ['RECONCILE_PAGE_SIZE', '0'],
      ['RECONCILE_PAGE_SIZE', '5000'],
    ] as const) {
      assert.throws(
        () => loadConfig({ [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.message.includes(name),
        `${name}=${value}`,
      );
    }
    assert.throws(() => loadConfig({ RECONCILE_SCHEDULE: 'daily' }), /"off", an interval such as 6h/);
  });

  it('Schedule options: one per task queue, SKIP overlaps, the settings in the action memo, paused when off', () => {
    const on = reconcileScheduleOptions(loadConfig({}).reconciler, 'q1');
    assert.equal(on.scheduleId, 'reconcile-q1');
    assert.deepEqual(on.spec, { cronExpressions: ['0 3 * * *'] });
    assert.equal(on.action.taskQueue, 'q1');
    assert.deepEqual(on.action.args, [{ taskQueue: 'q1', pageSize: 100 }]);
    assert.equal(on.policies?.overlap, 'SKIP');
    assert.equal(on.state?.paused, false);
    const every = reconcileScheduleOptions(loadConfig({ RECONCILE_SCHEDULE: '6h' }).reconciler, 'q1');
    assert.deepEqual(every.spec, { intervals: [{ every: '6h' }] });
    assert.notEqual(every.action.memo?.settings, on.action.memo?.settings, 'a change of settings is seen');
    assert.equal(
      reconcileScheduleOptions(loadConfig({ RECONCILE_SCHEDULE: 'off' }).reconciler, 'q1').state?.paused,
      true,
    );
  });

  it("the Web UI's current details: counts, then capped ids", () => {
    const report = emptyReport(true, '2026-12-01T00:00:00.000Z');
    report.counts.orphans = 51;
    report.ids.orphans = ['V-1', 'V-2'];
    report.truncated = ['orphans'];
    const text = describeReconcile(report, { phase: 'ozmap', afterPropertyId: 'x' });
    assert.match(text, /Reading OZmap\*\* \(dry run\)/);
    assert.match(text, /Orphans: 51 found, 0 released/);
    assert.match(text, /orphans: `V-1`, `V-2`, …/);
    assert.doesNotMatch(text, /suspect: `/, 'no suspect list while there is none');
    report.counts.suspect = 1;
    report.ids.suspect = ['6b12b3ca576e51c28f9e1cbb'];
    const withSuspect = describeReconcile(report, { phase: 'done' });
    assert.match(withSuspect, /Suspect \(a reservation's marker, not that reservation's\): 1, left alone/);
    assert.match(withSuspect, /suspect: `6b12b3ca576e51c28f9e1cbb`/);
  });

  it('a report carried over from a run that predates a count goes on counting it from 0', () => {
    const older = emptyReport(false, '2026-12-01T00:00:00.000Z') as unknown as {
      counts: Record<string, number>;
      ids: Record<string, string[]>;
    };
    delete older.counts.suspect;
    delete older.ids.suspect;
    older.counts.orphans = 3;
    const report = resumed(older as unknown as ReturnType<typeof emptyReport>, 2);
    assert.equal(report.counts.suspect, 0);
    assert.deepEqual(report.ids.suspect, []);
    assert.equal(report.counts.orphans, 3);
    assert.equal(report.runs, 2);
  });
});
