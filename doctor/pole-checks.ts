/**
 * What pole mode assumes of a real OZmap (docs/poles.md; docs/architecture.md, "OZmap facts" O27-O30), checked
 * read-only by `ozres doctor --ozmap` for a tenant in pole mode, and `drop_poles` by its write test. Each line names
 * the fact it checks.
 */
import { z } from 'zod';
import { polesNearFilter, type OzmapClient } from '../activities/ozmap/client.ts';
import { OzPole, OzPoleType, page } from '../activities/ozmap/schemas.ts';
import { fail, pass, warn, type Check } from './checks.ts';
import { validate } from './validate.ts';

const REPORT = 'report this line with its finding (docs/operations.md, "Before the first sale")';
/** OZloc's pole mode: the customer's pole is the nearest usable one within this distance. */
const ACCESS_RADIUS_METERS = 100;

export async function poleChecks(
  ozmap: OzmapClient,
  point: { lat: number; lng: number },
  projectId: string | undefined,
  fallbackMaxDropMeters: number,
): Promise<Check[]> {
  return [
    await polesNearCheck(ozmap, point),
    await poleTypesCheck(ozmap),
    await projectDropCheck(ozmap, projectId, fallbackMaxDropMeters),
  ];
}

/** O27: poles are found `near` a point, and carry the adjacents a drop runs along. */
async function polesNearCheck(ozmap: OzmapClient, point: { lat: number; lng: number }): Promise<Check> {
  const id = 'conformance.poles-near';
  const title = 'Poles near, with adjacents';
  const ref = 'OZmap fact O27';
  const body = await ozmap.rawPage('poles', polesNearFilter(point, ACCESS_RADIUS_METERS), { limit: 100 });
  const parsed = validate(page(OzPole), body, 'GET /api/v2/poles near');
  if (!parsed.ok) return fail(id, title, parsed.problem, REPORT, ref);
  const poles = parsed.value.rows;
  if (poles.length === 0)
    return warn(
      id,
      title,
      `no pole within ${ACCESS_RADIUS_METERS} m of the point: pole mode would find no drop for a customer here`,
      'give --lat and --lng of a street with poles drawn in OZmap',
      ref,
    );
  const linked = poles.filter((p) => p.adjacents.length > 0).length;
  if (linked === 0)
    return fail(
      id,
      title,
      `${poles.length} pole(s) within ${ACCESS_RADIUS_METERS} m, none with adjacents: no drop could run along them`,
      'draw the pole adjacencies in OZmap, or use VIABILITY_MODE=radius (viabilityMode "radius")',
      ref,
    );
  return pass(id, title, `${poles.length} pole(s) within ${ACCESS_RADIUS_METERS} m, ${linked} with adjacents`, ref);
}

/** O28: pole types say whether their poles may serve feasibility (`viabilityAllowed`). */
async function poleTypesCheck(ozmap: OzmapClient): Promise<Check> {
  const id = 'conformance.pole-types';
  const title = 'Pole types: viabilityAllowed';
  const ref = 'OZmap fact O28';
  const parsed = validate(
    page(OzPoleType),
    await ozmap.rawPage('pole-types', [], { limit: 1000 }),
    'GET /api/v2/pole-types',
  );
  if (!parsed.ok) return fail(id, title, parsed.problem, REPORT, ref);
  const types = parsed.value.rows;
  const allowed = types.filter((t) => t.viabilityAllowed).length;
  if (types.length > 0 && allowed === 0)
    return fail(
      id,
      title,
      `none of the ${types.length} pole type(s) allows viability: pole mode would refuse every customer`,
      'allow viability on the pole types drops may start from (OZmap: pole types, "Viabilidade")',
      ref,
    );
  return pass(id, title, `${allowed} of ${types.length} pole type(s) allow viability`, ref);
}

const RawProject = z.looseObject({ drop: z.looseObject({ maxSize: z.unknown().optional() }).nullish() });

/** O29: a project sets its longest drop, `drop.maxSize` in metres; without one, POLE_MAX_DROP_METERS holds. */
async function projectDropCheck(
  ozmap: OzmapClient,
  projectId: string | undefined,
  fallbackMaxDropMeters: number,
): Promise<Check> {
  const id = 'conformance.project-drop';
  const title = "Project's maximum drop";
  const ref = 'OZmap fact O29';
  if (projectId === undefined)
    return warn(id, title, 'no box near the point names its project: not checked', undefined, ref);
  const raw = await ozmap.rawGet(`projects/${encodeURIComponent(projectId)}`);
  const parsed = validate(RawProject, raw, `GET /api/v2/projects/${projectId}`);
  if (!parsed.ok) return fail(id, title, parsed.problem, REPORT, ref);
  const maxSize = parsed.value.drop?.maxSize;
  if (typeof maxSize === 'number' && maxSize > 0)
    return pass(id, title, `project ${projectId}: drop.maxSize ${maxSize} m`, ref);
  return warn(
    id,
    title,
    `project ${projectId} sets no drop.maxSize: drops are held to POLE_MAX_DROP_METERS (${fallbackMaxDropMeters} m)`,
    "set the project's maximum drop size in OZmap, or POLE_MAX_DROP_METERS",
    ref,
  );
}

const RawDropPoles = z.looseObject({ drop_poles: z.array(z.unknown()).nullish() });

/** O30 (write test): a property created with `pole` and `drop_poles` reads them back. */
export async function dropPolesReadBack(
  ozmap: OzmapClient,
  propertyId: string,
  sent: readonly string[],
): Promise<Check> {
  const id = 'write.drop-poles';
  const title = 'Drop along the poles';
  const ref = 'OZmap fact O30';
  const parsed = validate(RawDropPoles, await ozmap.rawGet(`properties/${encodeURIComponent(propertyId)}`), 'GET');
  if (!parsed.ok) return fail(id, title, parsed.problem, REPORT, ref);
  const back = (parsed.value.drop_poles ?? []).map((p) =>
    typeof p === 'object' && p && 'id' in p ? String(p.id) : String(p),
  );
  if (back.join() === sent.join())
    return pass(id, title, `the property keeps drop_poles [${sent.join(', ')}] as sent`, ref);
  return warn(
    id,
    title,
    `sent drop_poles [${sent.join(', ')}], read back [${back.join(', ')}]: OZmap may draw the drop straight`,
    REPORT,
    ref,
  );
}
