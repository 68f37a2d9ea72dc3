/**
 * Demand helpers (docs/demand.md): a box with free ports put where a test wants coverage, through the simulator's
 * OZmap API as an ISP's designer would add one, and the prospects OZmap holds under a marker.
 */
import { filterQuery, simGet, SIM_API_KEY, type World } from './world.ts';

async function simPost<T>(world: Pick<World, 'simUrl'>, route: string, body: unknown): Promise<T> {
  const res = await fetch(new URL(route, world.simUrl), {
    method: 'POST',
    headers: { authorization: SIM_API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${route} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * A new box about `eastMeters` east of `point`, with one empty 1x8 drop splitter (the seeded network's project, box
 * and splitter types): a candidate for a customer at `point` from now on.
 */
export async function addBoxNear(
  world: Pick<World, 'simUrl'>,
  point: { lat: number; lng: number },
  eastMeters = 30,
): Promise<{ boxId: string; splitterId: string }> {
  const [box] = (await simGet<{ rows: Array<{ project: string; boxType: string }> }>(world, '/api/v2/boxes?limit=1'))
    .rows;
  const drop = [{ property: 'isDrop', operator: '=', value: true }];
  const [splitter] = (
    await simGet<{ rows: Array<{ splitterType: string }> }>(world, `/api/v2/splitters?${filterQuery(drop)}&limit=1`)
  ).rows;
  const lng = point.lng + eastMeters / (111_320 * Math.cos((point.lat * Math.PI) / 180));
  const created = await simPost<{ id: string }>(world, '/api/v2/boxes', {
    project: box!.project,
    boxType: box!.boxType,
    hierarchyLevel: 3,
    implanted: true,
    coords: [lng, point.lat],
  });
  const made = await simPost<{ id: string }>(world, '/api/v2/splitters', {
    parent: created.id,
    splitterType: splitter!.splitterType,
  });
  return { boxId: created.id, splitterId: made.id };
}

export interface RawProspect {
  id: string;
  external_id?: string;
  viable: boolean | null;
  observation: string | null;
  code: string | null;
  name: string | null;
  tags: string[];
}

/** Every prospect OZmap holds under this marker (external_id is not unique there: a test counts them). */
export async function prospectsOf(world: Pick<World, 'simUrl'>, externalId: string): Promise<RawProspect[]> {
  const filter = [{ property: 'external_id', operator: '=', value: externalId }];
  return (await simGet<{ rows: RawProspect[] }>(world, `/api/v2/prospects?${filterQuery(filter)}&limit=100`)).rows;
}
