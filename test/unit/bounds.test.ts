/**
 * The bounds' pure parts (docs/architecture.md, "Bounds"): one hold rule for every boundary, the configuration that
 * sets the limits and what each process must be given, the doctor's and the surveys' reuse of recent answers, and
 * ids that cannot be mistaken for one another.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cachedRunner, DOCTOR_CACHE_MS } from '../../api/routes/doctor.ts';
import { RecentSurveys, SURVEY_KEPT_MS, SURVEYS_KEPT, type CandidateSurvey } from '../../client/candidate-survey.ts';
import { InvalidInputError } from '../../client/errors.ts';
import { prepareInput } from '../../client/prepare.ts';
import { apiProcessEnv, ConfigError, loadConfig, WORKER_ONLY_SECRETS } from '../../config/env.ts';
import { viabilityIdOf, workflowIdFor } from '../../contract/ids.ts';
import { DEFAULT_LIMITS, holdDaysProblem } from '../../contract/limits.ts';
import type { DoctorReport } from '../../doctor/index.ts';
import { deliveryIdFor } from '../../workflows/reservation/events.ts';

const problemsOf = (env: NodeJS.ProcessEnv, role?: 'worker' | 'api' | 'client'): string[] => {
  try {
    loadConfig(env, role);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
};

describe('holds: whole days up to the longest hold, at every boundary', () => {
  it('one rule: whole days, more than 0, at most maxHoldDays; fractions only where allowed', () => {
    assert.equal(holdDaysProblem(30, DEFAULT_LIMITS), undefined);
    assert.equal(holdDaysProblem(90, DEFAULT_LIMITS), undefined);
    assert.match(holdDaysProblem(91, DEFAULT_LIMITS)!, /at most 90 days \(RESERVATION_MAX_HOLD_DAYS\)/);
    assert.match(holdDaysProblem(1e-9, DEFAULT_LIMITS)!, /whole number of days/);
    assert.match(holdDaysProblem(1.5, DEFAULT_LIMITS)!, /whole number of days/);
    assert.match(holdDaysProblem(0, DEFAULT_LIMITS)!, /more than 0/);
    assert.match(holdDaysProblem(Number.NaN, DEFAULT_LIMITS)!, /more than 0/);
    assert.equal(holdDaysProblem(3 / 86_400, { maxHoldDays: 90, fractionalHoldDays: true }), undefined);
  });

  const defaults = { radiusMeters: 250, holdDays: 30, selectionTimeoutHours: 24 };
  const input = { viabilityId: 'V-1', customer: { code: 'C-1', name: 'Maria' }, coordinates: { lat: -27, lng: -48 } };
  for (const [holdDays, limits, expected] of [
    [365, undefined, /at most 90 days/],
    [31, { maxHoldDays: 30 }, /at most 30 days/],
    [1e-9, undefined, /whole number of days/],
    [2.5, { maxHoldDays: 90 }, /whole number of days/],
  ] as const) {
    it(`the client library refuses holdDays ${holdDays} (max ${limits?.maxHoldDays ?? 90}), naming holdDays`, () => {
      assert.throws(
        () => prepareInput({ ...input, holdDays }, { ...defaults, ...(limits ? { limits } : {}) }),
        (err: unknown) => {
          assert.ok(err instanceof InvalidInputError, String(err));
          assert.deepEqual(
            err.problems.map((p) => p.field),
            ['holdDays'],
          );
          assert.match(err.problems[0]!.message, expected);
          return true;
        },
      );
    });
  }

  it('the configuration takes the limits, and refuses a default hold the limits refuse', () => {
    assert.deepEqual(loadConfig({}).limits, { maxHoldDays: 90, maxMoves: 10, fractionalHoldDays: false });
    assert.deepEqual(loadConfig({ RESERVATION_MAX_HOLD_DAYS: '60', RESERVATION_MAX_MOVES: '0' }).limits, {
      maxHoldDays: 60,
      maxMoves: 0,
      fractionalHoldDays: false,
    });
    assert.deepEqual(problemsOf({ RESERVATION_HOLD_DAYS: '0.5' }), [
      'RESERVATION_HOLD_DAYS: must be a whole number of days: lower it, or raise RESERVATION_MAX_HOLD_DAYS',
    ]);
    assert.deepEqual(problemsOf({ RESERVATION_HOLD_DAYS: '45', RESERVATION_MAX_HOLD_DAYS: '40' }), [
      'RESERVATION_HOLD_DAYS: must be at most 40 days (RESERVATION_MAX_HOLD_DAYS): lower it, or raise ' +
        'RESERVATION_MAX_HOLD_DAYS',
    ]);
    assert.equal(
      loadConfig({ RESERVATION_HOLD_DAYS: '0.5', RESERVATION_FRACTIONAL_HOLD_DAYS: 'true' }).defaults.holdDays,
      0.5,
    );
    assert.ok(problemsOf({ RESERVATION_MAX_MOVES: '1.5' }).some((p) => p.startsWith('RESERVATION_MAX_MOVES:')));
  });
});

describe('what each process is given', () => {
  const realOzmap = { OZMAP_URL: 'https://isp.ozmap.com.br:9994', ISPBOX_API_KEY: 'ispbox-key-0123456789abcdef' };

  it('a worker needs the OZmap key for a real OZmap; the API and the CLI do not', () => {
    assert.ok(problemsOf(realOzmap).some((p) => p.startsWith('OZMAP_API_KEY: is required')));
    assert.deepEqual(problemsOf(realOzmap, 'api'), []);
    assert.deepEqual(problemsOf(realOzmap, 'client'), []);
    assert.deepEqual(problemsOf({ ...realOzmap, GEOCODER_PROVIDER: 'google' }, 'api'), []);
    // The API still refuses the public demo Ispbox key in front of a real OZmap.
    assert.ok(
      problemsOf({ OZMAP_URL: realOzmap.OZMAP_URL }, 'api').some((p) => p.startsWith('ISPBOX_API_KEY: is required')),
    );
  });

  it("the API's environment leaves out what only a worker needs", () => {
    const env = apiProcessEnv({
      ...realOzmap,
      OZMAP_API_KEY: 'ozmap-secret',
      GOOGLE_GEOCODING_API_KEY: 'google-secret',
      WEBHOOK_SECRET: 'webhook-secret-0123456789',
      TEMPORAL_ADDRESS: '127.0.0.1:7233',
    });
    for (const secret of WORKER_ONLY_SECRETS) assert.equal(env[secret], undefined, secret);
    assert.equal(env.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(env.ISPBOX_API_KEY, realOzmap.ISPBOX_API_KEY);
  });
});

describe('recent answers reused', () => {
  const report: DoctorReport = { ok: true, checks: [], summary: { pass: 0, fail: 0, warn: 0 } };

  it(`the doctor runs once per kind for concurrent and repeated requests within ${DOCTOR_CACHE_MS / 1000} s`, async () => {
    let now = 0;
    const runs: boolean[] = [];
    const run = cachedRunner(
      async ({ ozmap }) => {
        runs.push(ozmap);
        await new Promise((resolve) => setTimeout(resolve, 10));
        return report;
      },
      () => now,
    );
    await Promise.all(Array.from({ length: 50 }, (_, i) => run({ ozmap: i % 2 === 0 })));
    now += DOCTOR_CACHE_MS - 1;
    await run({ ozmap: true });
    assert.deepEqual(runs.sort(), [false, true], 'one run of each kind');
    now += 2;
    await run({ ozmap: true });
    assert.equal(runs.length, 3, 'run again once the report is old');
  });

  it('a doctor run that throws is not kept', async () => {
    let calls = 0;
    const run = cachedRunner(() => (++calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve(report)));
    await assert.rejects(run({ ozmap: false }));
    assert.equal(await run({ ozmap: false }), report);
    assert.equal(calls, 2);
  });

  const survey = (viabilityId: string): CandidateSurvey => ({
    viabilityId,
    radiusMeters: 250,
    candidates: [],
    unavailableBoxes: [],
    surveyedAt: '2026-12-04T12:00:00.000Z',
  });

  it('surveys: one per viability while fresh and while one runs; forgotten after a move; bounded', async () => {
    let now = 0;
    const surveys = new RecentSurveys(() => now);
    let made = 0;
    const make = (id: string) => () => (made++, Promise.resolve(survey(id)));
    await Promise.all([surveys.get('V-1', make('V-1')), surveys.get('V-1', make('V-1'))]);
    now += SURVEY_KEPT_MS - 1;
    await surveys.get('V-1', make('V-1'));
    assert.equal(made, 1);
    surveys.forget('V-1');
    await surveys.get('V-1', make('V-1'));
    assert.equal(made, 2, 'a move makes the next look a fresh one');
    now += SURVEY_KEPT_MS;
    await surveys.get('V-1', make('V-1'));
    assert.equal(made, 3, 'stale after SURVEY_KEPT_MS');
    for (let i = 0; i < SURVEYS_KEPT + 10; i++) await surveys.get(`V-${i + 2}`, make('x'));
    made = 0;
    await surveys.get('V-1', make('V-1'));
    assert.equal(made, 1, 'the oldest entries were dropped past SURVEYS_KEPT');
  });

  it('a survey that failed is not kept', async () => {
    const surveys = new RecentSurveys();
    await assert.rejects(surveys.get('V-1', () => Promise.reject(new Error('OZmap down'))));
    assert.equal((await surveys.get('V-1', () => Promise.resolve(survey('V-1')))).viabilityId, 'V-1');
  });
});

describe('ids that cannot be mistaken', () => {
  it("no viability's reservation id looks like a webhook delivery's, and the reverse", () => {
    const delivery = deliveryIdFor(workflowIdFor('V-1'), '3f2a');
    assert.equal(viabilityIdOf(delivery), undefined);
    // A viability id made to look like one: `/` is outside the alphabet, so it can never be a viability.
    assert.notEqual(workflowIdFor('V-1:event:3f2a'), delivery);
    assert.equal(viabilityIdOf(workflowIdFor('V-1:event:3f2a')), 'V-1:event:3f2a');
    assert.equal(viabilityIdOf('candidates-V-1'), undefined);
  });
});
