/**
 * OZmap and the geocoder as the doctor sees them (docs/architecture.md, "Doctor"), with the clients at hand: the
 * CLI's own, or the worker's (worker-activities.ts, for GET /v1/doctor), so that only the worker needs their keys and
 * the geocoder's one-request-a-second throttle is the worker's own, shared with the reservations.
 */
import type { Clients } from '../activities/clients.ts';
import type { Config } from '../config/env.ts';
import { warn, type Check } from './checks.ts';
import { conformanceChecks, firstBox } from './conformance.ts';
import { poleChecks } from './pole-checks.ts';
import { geocoderCheck, ozmapChecks } from './ozmap-checks.ts';
import { writeTest, type WriteStep } from './write-test.ts';

export interface UpstreamOptions {
  /** Add the read-only OZmap conformance checks. */
  conformance?: boolean;
  /** Where the conformance looks (default: the first box OZmap lists) and with which radius (default: config). */
  point?: { lat: number; lng: number };
  radiusMeters?: number;
  /** Add the reversible write test on this box (only with `conformance`; the CLI alone offers it). */
  write?: { boxId: string; steps?: WriteStep[] };
  /** Whose OZmap `clients.ozmap` and `config.ozmap` are (`ozres doctor --tenant`): its lines name it and its fixes. */
  tenantId?: string;
}

/** The OZmap areas of a report: about a tenant's OZmap when the doctor runs for one. */
const OZMAP_AREAS = ['ozmap.', 'conformance.', 'write.'];

/** A tenant's OZmap line names the tenant in its title (the id stays, so scripts compare reports). */
export function ofTenant(check: Check, tenantId: string | undefined): Check {
  if (tenantId === undefined || !OZMAP_AREAS.some((area) => check.id.startsWith(area))) return check;
  return { ...check, title: `${check.title} (tenant ${tenantId})` };
}

export type UpstreamConfig = Pick<Config, 'ozmap' | 'geocoder' | 'doctor' | 'defaults' | 'viability'>;

export async function upstreamChecks(
  clients: Pick<Clients, 'ozmap' | 'geocoder'>,
  config: UpstreamConfig,
  options: UpstreamOptions = {},
): Promise<Check[]> {
  const { ozmap, geocoder } = clients;
  const [ozmapLines, geocoderLine] = await Promise.all([
    ozmapChecks(ozmap, config.ozmap, { tenantId: options.tenantId }),
    geocoderCheck(geocoder, config),
  ]);
  const checks = [...ozmapLines, geocoderLine];
  const ozmapUsable = ozmapLines.every((c) => c.status !== 'fail' || c.id === 'ozmap.transport');
  if (options.conformance && ozmapUsable) {
    checks.push(
      ...(await conformanceChecks(ozmap, {
        point: options.point,
        radiusMeters: options.radiusMeters ?? config.defaults.radiusMeters,
        findBy: config.ozmap.findBy,
      })),
    );
    const poles = config.viability.mode === 'poles';
    if (poles) {
      const box = options.point ? undefined : await firstBox(ozmap);
      const point = options.point ?? box;
      if (point)
        checks.push(...(await poleChecks(ozmap, point, box?.projectId, config.viability.fallbackMaxDropMeters)));
    }
    if (options.write) checks.push(...(await writeTest(ozmap, { ...options.write, dropPoles: poles })));
  } else if (options.conformance) {
    checks.push(
      warn('conformance.skipped', 'OZmap conformance', 'not run: OZmap is not usable (see the OZmap lines above)'),
    );
  }
  return checks.map((check) => ofTenant(check, options.tenantId));
}
