/** The default tenant's prospects and waitlist from the environment (docs/configuration.md): defaults, and bad values named. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../config/env.ts';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return assert.fail('expected a ConfigError');
};

describe('PROSPECTS and the waitlist variables', () => {
  it('are off, untagged, weekly for 180 days unless set', () => {
    assert.deepEqual(loadConfig({}).prospects, { enabled: false, tags: [], everyDays: 7, forDays: 180 });
    assert.deepEqual(
      loadConfig({ PROSPECTS: 'on', PROSPECT_TAGS: ' 65a5, 65a6 ,', WAITLIST_EVERY_DAYS: '1', WAITLIST_FOR_DAYS: '30' })
        .prospects,
      { enabled: true, tags: ['65a5', '65a6'], everyDays: 1, forDays: 30 },
    );
  });

  it('name each bad value', () => {
    const problems = problemsOf({
      PROSPECTS: 'maybe',
      PROSPECT_TAGS: Array.from({ length: 11 }, (_, i) => `t${i}`).join(','),
      WAITLIST_EVERY_DAYS: '0',
      WAITLIST_FOR_DAYS: '1.5',
    });
    for (const name of ['PROSPECTS', 'PROSPECT_TAGS', 'WAITLIST_EVERY_DAYS', 'WAITLIST_FOR_DAYS'])
      assert.ok(
        problems.some((p) => p.startsWith(name)),
        `${name} in ${problems.join(' | ')}`,
      );
  });
});
