/**
 * Chaos options from a profile, then the environment, then `--name=value` arguments (later wins):
 *   CHAOS_SEED, CHAOS_RESERVATIONS, CHAOS_ARRIVAL_SECONDS, CHAOS_KILLS, CHAOS_RESTARTS, CHAOS_POINTS,
 *   CHAOS_HOLD_SECONDS (e.g. 3-15), CHAOS_DRAIN_SECONDS, CHAOS_OUTAGE_SECONDS, CHAOS_RECONCILES,
 *   CHAOS_LATE_CREATES;
 *   or --seed=…, --reservations=…, --kills=…, …
 * Without a seed one is drawn at random and printed, so any run can be replayed.
 */
import { randomInt } from 'node:crypto';
import { PROFILES, type ChaosOptions } from './plan.ts';

const NAMES = {
  seed: 'seed',
  reservations: 'reservations',
  'arrival-seconds': 'arrivalSeconds',
  kills: 'workerKills',
  restarts: 'serverRestarts',
  points: 'points',
  'hold-seconds': 'holdSeconds',
  'drain-seconds': 'drainSeconds',
  'outage-seconds': 'outageSeconds',
  reconciles: 'reconcileRuns',
  'late-creates': 'lateCreates',
} as const satisfies Record<string, keyof ChaosOptions>;

export function chaosOptions(
  profile: keyof typeof PROFILES,
  env: NodeJS.ProcessEnv = process.env,
  argv: string[] = [],
): ChaosOptions {
  const options: ChaosOptions = {
    ...PROFILES[profile],
    holdSeconds: [...PROFILES[profile].holdSeconds],
    seed: randomInt(1, 1_000_000),
  };
  const given: Array<[string, string]> = [];
  for (const name of Object.keys(NAMES)) {
    const value = env[`CHAOS_${name.toUpperCase().replace(/-/g, '_')}`];
    if (value) given.push([name, value]);
  }
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.+)$/.exec(arg);
    if (!match || !(match[1]! in NAMES))
      throw new Error(
        `Unknown argument ${arg}; known: ${Object.keys(NAMES)
          .map((n) => `--${n}=…`)
          .join(' ')}`,
      );
    given.push([match[1]!, match[2]!]);
  }
  for (const [name, value] of given) {
    const key = NAMES[name as keyof typeof NAMES];
    if (key === 'holdSeconds') {
      const range = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(value);
      if (!range || Number(range[1]) <= 0 || Number(range[1]) > Number(range[2]))
        throw new Error(`${name} must be a range of seconds such as 3-15, not ${value}`);
      options.holdSeconds = [Number(range[1]), Number(range[2])];
    } else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not ${value}`);
      options[key] = n;
    }
  }
  if (options.reservations < 1 || options.points < 1) throw new Error('reservations and points must be at least 1');
  return options;
}
