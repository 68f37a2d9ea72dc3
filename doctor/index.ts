/**
 * `ozres doctor`: whether everything a sale needs holds, one line per check (doctor/checks.ts). The same run backs
 * the CLI command and GET /v1/doctor. Areas run in a fixed order so that reports compare line by line.
 */
import { createClients } from '../activities/clients.ts';
import type { Config } from '../config/env.ts';
import { reportOf, warn, type Check, type DoctorReport } from './checks.ts';
import { configChecks } from './config-checks.ts';
import { conformanceChecks } from './conformance.ts';
import { geocoderCheck, ozmapChecks } from './ozmap-checks.ts';
import { reconcilerChecks } from './reconciler-checks.ts';
import { temporalChecks } from './temporal-checks.ts';
import { writeTest, type WriteStep } from './write-test.ts';

export type { Check, DoctorReport } from './checks.ts';

export interface DoctorOptions {
  /** The environment to read the configuration from (the loader's own rules). */
  env: NodeJS.ProcessEnv;
  /** Add the read-only OZmap conformance checks. */
  ozmap?: boolean;
  /** Where the conformance looks (default: the first box OZmap lists) and with which radius (default: config). */
  point?: { lat: number; lng: number };
  radiusMeters?: number;
  /** Add the reversible write test on this box (only with `ozmap`). */
  write?: { boxId: string; steps?: WriteStep[] };
  /** Bound on each Temporal call. */
  temporalTimeoutMs?: number;
}

/**
 * Extension point: areas that get checks once they exist, each a function of the configuration run after the
 * built-in ones: the reconciler's Schedule (`temporal.reconciler-schedule`); planned: the webhook receiver
 * (`webhook.receiver`, docs/architecture.md, "Contract"), until then no line pretends to check it.
 */
export const LATER_CHECKS: Array<(config: Config) => Promise<Check[]>> = [(config) => reconcilerChecks(config)];

/** Environment variables whose values never appear in a report, whatever a check wrote. */
const SECRET_VARIABLES = [
  'OZMAP_API_KEY',
  'ISPBOX_API_KEY',
  'TEMPORAL_API_KEY',
  'GOOGLE_GEOCODING_API_KEY',
  'CODEC_SERVER_TOKEN',
  'PAYLOAD_ENCRYPTION_KEY',
];

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const secrets = SECRET_VARIABLES.map((name) => options.env[name]?.trim());
  const { config, checks } = configChecks(options.env);
  if (!config) {
    checks.push(
      warn(
        'doctor.skipped',
        'Other checks',
        'Temporal, OZmap and the geocoder were not checked: they need a valid configuration',
        'fix the configuration lines above, then run the doctor again',
      ),
    );
    return reportOf(checks, secrets);
  }
  const clients = createClients(config);
  const { ozmap, geocoder } = clients;
  try {
    const [temporal, ozmapLines, geocoderLine] = await Promise.all([
      temporalChecks(config.temporal, { timeoutMs: options.temporalTimeoutMs }),
      ozmapChecks(ozmap, config.ozmap),
      geocoderCheck(geocoder, config),
    ]);
    checks.push(...temporal, ...ozmapLines, geocoderLine);
    const ozmapUsable = ozmapLines.every((c) => c.status !== 'fail' || c.id === 'ozmap.transport');
    if (options.ozmap && ozmapUsable) {
      checks.push(
        ...(await conformanceChecks(ozmap, {
          point: options.point,
          radiusMeters: options.radiusMeters ?? config.defaults.radiusMeters,
          findBy: config.ozmap.findBy,
        })),
      );
      if (options.write) checks.push(...(await writeTest(ozmap, options.write)));
    } else if (options.ozmap) {
      checks.push(
        warn('conformance.skipped', 'OZmap conformance', 'not run: OZmap is not usable (see the OZmap lines above)'),
      );
    }
    for (const later of LATER_CHECKS) checks.push(...(await later(config)));
  } finally {
    await clients.close();
  }
  return reportOf(checks, [
    ...secrets,
    config.ozmap.apiKey,
    config.http.ispboxApiKey,
    config.temporal.apiKey,
    config.geocoder.provider === 'google' ? config.geocoder.apiKey : undefined,
  ]);
}
