/**
 * Read-only OZmap conformance (`ozres doctor --ozmap`): each read the product relies on, made with the OZmap
 * client's own filter builders and validated with the activities' schemas, one line per inferred fact with its
 * entry in docs/architecture.md, "OZmap facts". Nothing here writes.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { distanceMeters } from '../activities/geo.ts';
import {
  boxesNearFilter,
  dropSplittersFilter,
  externalIdFilter,
  type Filter,
  type OzmapClient,
} from '../activities/ozmap/client.ts';
import { OzBox, OzSplitter, page } from '../activities/ozmap/schemas.ts';
import { fail, guarded, pass, shown, warn, type Check } from './checks.ts';
import { validate } from './validate.ts';

export interface ConformanceOptions {
  /** Where to look; default: the first box OZmap lists. */
  point?: { lat: number; lng: number };
  radiusMeters: number;
  findBy: 'external_id' | 'client_code';
}

const REPORT = 'report this line with its finding (docs/operations.md, "Before the first sale")';
/** Boxes whose splitters are asked for in one `in` query: as many as a search of the product would send. */
const SPLITTER_BOXES = 10;
/** Metres of slack for rounding between OZmap's distance and ours. */
const SLACK_METERS = 1;

const RawBox = z.looseObject({ id: z.string().optional(), _id: z.string().optional(), draft: z.unknown() });
const RawSplitter = z.looseObject({
  id: z.string().optional(),
  _id: z.string().optional(),
  isDrop: z.unknown(),
  connectables: z.unknown(),
  ports: z.unknown(),
});
const idOf = (row: { id?: string; _id?: string }) => row.id ?? row._id ?? '?';

export async function conformanceChecks(ozmap: OzmapClient, options: ConformanceOptions): Promise<Check[]> {
  const point = options.point ?? (await firstBox(ozmap));
  if (!point) {
    return [
      fail(
        'conformance.point',
        'Conformance point',
        'OZmap lists no box to start from',
        'give --lat and --lng of a served area',
        'OZmap fact O5',
      ),
    ];
  }
  const radius = options.radiusMeters;
  const where = `${point.lat.toFixed(5)}, ${point.lng.toFixed(5)}`;
  const checks: Check[] = [
    pass(
      'conformance.point',
      'Conformance point',
      `${where}, radius ${radius} m${options.point ? '' : ' (first box)'}`,
    ),
  ];
  let boxes: OzBox[] = [];
  checks.push(
    ...(await guarded('conformance.near-radius', 'Boxes near: radius honoured', async () => {
      const result = await nearRadiusCheck(ozmap, point, radius);
      boxes = result.boxes;
      return result.check;
    })),
  );
  checks.push(...(await guarded('conformance.box-draft', 'Boxes carry draft', () => draftCheck(ozmap, point, radius))));
  const serviceBoxes = boxes.filter((b) => !b.draft).slice(0, SPLITTER_BOXES);
  checks.push(
    ...(await guarded('conformance.splitters', 'Splitters in one in query', () => splitterChecks(ozmap, serviceBoxes))),
  );
  checks.push(...(await guarded('conformance.pagination', 'Pagination', () => paginationCheck(ozmap))));
  checks.push(
    ...(await guarded('conformance.external-id', 'external_id filter', () => externalIdCheck(ozmap, options.findBy))),
  );
  return checks;
}

/** The first box OZmap lists: where the checks look when not told. */
export async function firstBox(ozmap: OzmapClient): Promise<OzBox | undefined> {
  const parsed = validate(page(OzBox), await ozmap.rawPage('boxes', [], { limit: 1 }), 'GET /api/v2/boxes');
  return parsed.ok ? parsed.value.rows[0] : undefined;
}

async function boxPage(
  ozmap: OzmapClient,
  filter: Filter[],
  what: string,
): Promise<{ ok: true; rows: OzBox[]; raw: unknown[]; total?: number } | { ok: false; problem: string }> {
  const body = await ozmap.rawPage('boxes', filter, { limit: 100 });
  const parsed = validate(page(OzBox), body, what);
  if (!parsed.ok) return parsed;
  return { ok: true, rows: parsed.value.rows, raw: (body as { rows: unknown[] }).rows, total: parsed.value.total };
}

/** OZmap fact O5: every box returned is within the radius, and half the radius returns no more boxes. */
async function nearRadiusCheck(
  ozmap: OzmapClient,
  point: { lat: number; lng: number },
  radius: number,
): Promise<{ check: Check; boxes: OzBox[] }> {
  const id = 'conformance.near-radius';
  const title = 'Boxes near: radius honoured';
  const ref = 'OZmap fact O5';
  const what = 'GET /api/v2/boxes?filter=[near]';
  const full = await boxPage(ozmap, boxesNearFilter(point, radius, { includeDrafts: true }), what);
  if (!full.ok) return { check: fail(id, title, full.problem, REPORT, ref), boxes: [] };
  const outside = full.rows
    .map((b) => ({ b, d: distanceMeters(point, b) }))
    .filter(({ d }) => d > radius + SLACK_METERS);
  if (outside.length > 0) {
    const far = outside.sort((x, y) => y.d - x.d)[0]!;
    return {
      check: fail(
        id,
        title,
        `${outside.length} of ${full.rows.length} boxes returned for a ${radius} m radius lie outside it ` +
          `(e.g. ${shown(far.b.name)} at ${Math.round(far.d)} m)`,
        'none needed to sell (searchBoxes keeps only boxes within the radius), but each search reads more: ' + REPORT,
        ref,
      ),
      boxes: full.rows,
    };
  }
  if (full.rows.length === 0) {
    return {
      check: warn(id, title, `no box within ${radius} m: cannot tell`, 'give --lat/--lng of a served area', ref),
      boxes: [],
    };
  }
  const half = await boxPage(ozmap, boxesNearFilter(point, radius / 2, { includeDrafts: true }), what);
  if (!half.ok) return { check: fail(id, title, half.problem, REPORT, ref), boxes: full.rows };
  const fullIds = new Set(full.rows.map((b) => b.id));
  const extra = half.rows.filter((b) => !fullIds.has(b.id));
  const fullCount = full.total ?? full.rows.length;
  const halfCount = half.total ?? half.rows.length;
  if (halfCount > fullCount || extra.length > 0) {
    return {
      check: fail(
        id,
        title,
        `radius ${radius / 2} m returned ${halfCount} boxes, radius ${radius} m ${fullCount}` +
          (extra.length ? `; ${extra.length} only with the smaller radius` : ''),
        REPORT,
        ref,
      ),
      boxes: full.rows,
    };
  }
  return {
    check: pass(
      id,
      title,
      `${fullCount} boxes within ${radius} m, all inside it; ${halfCount} within ${radius / 2} m`,
      ref,
    ),
    boxes: full.rows,
  };
}

/** OZmap facts O5, O8: boxes carry a boolean `draft`, and `draft != true` leaves "Em projeto" out. */
async function draftCheck(ozmap: OzmapClient, point: { lat: number; lng: number }, radius: number): Promise<Check> {
  const id = 'conformance.box-draft';
  const title = 'Boxes carry draft';
  const ref = 'OZmap facts O5, O8';
  const all = await boxPage(ozmap, boxesNearFilter(point, radius, { includeDrafts: true }), 'GET /api/v2/boxes');
  if (!all.ok) return fail(id, title, all.problem, REPORT, ref);
  const rows = all.raw.map((row) => RawBox.safeParse(row).data ?? ({} as z.infer<typeof RawBox>));
  const without = rows.find((row) => typeof row.draft !== 'boolean');
  if (without) {
    return fail(
      id,
      title,
      `box ${shown(idOf(without))}: field draft is not a boolean (seen: ${shown(without.draft)})`,
      '"Em projeto" boxes could be offered: ' + REPORT,
      ref,
    );
  }
  const inService = await boxPage(ozmap, boxesNearFilter(point, radius), 'GET /api/v2/boxes?filter=[near,draft]');
  if (!inService.ok) return fail(id, title, inService.problem, REPORT, ref);
  const drafts = inService.rows.filter((b) => b.draft);
  if (drafts.length > 0) {
    return fail(
      id,
      title,
      `the filter draft != true still returned ${drafts.length} draft boxes (e.g. ${shown(drafts[0]!.name)})`,
      'none needed to sell (the search drops drafts itself): ' + REPORT,
      ref,
    );
  }
  const draftCount = all.rows.filter((b) => b.draft).length;
  return pass(
    id,
    title,
    `every box has a boolean draft (${draftCount} of ${all.rows.length} "Em projeto"); draft != true leaves them out`,
    ref,
  );
}

/** OZmap facts O9, O11: one `in` query for several boxes, and the fields the free-port rule reads. */
async function splitterChecks(ozmap: OzmapClient, boxes: OzBox[]): Promise<Check[]> {
  const ref = 'OZmap facts O9, O11';
  const idIn = 'conformance.splitters-in';
  const titleIn = 'Splitters in one in query';
  const idShape = 'conformance.splitter-shape';
  const titleShape = 'Splitter port fields';
  if (boxes.length === 0) {
    const finding = 'no box in service near the point: not checked';
    return [warn(idIn, titleIn, finding, 'give --lat/--lng of a served area', ref), warn(idShape, titleShape, finding)];
  }
  const ids = boxes.map((b) => b.id);
  const body = await ozmap.rawPage('splitters', dropSplittersFilter(ids), { limit: 1000 });
  const parsed = validate(page(OzSplitter), body, 'GET /api/v2/splitters?filter=[parent in, isDrop]');
  if (!parsed.ok) return [fail(idIn, titleIn, parsed.problem, REPORT, ref)];
  const rows = parsed.value.rows;
  const raw = (body as { rows: unknown[] }).rows.map(
    (row) => RawSplitter.safeParse(row).data ?? ({} as z.infer<typeof RawSplitter>),
  );
  const strangers = rows.filter((s) => !ids.includes(s.boxId));
  const notDrop = raw.filter((s) => s.isDrop !== true);
  // Cross-check with one box asked on its own: the `in` answer must hold its splitters too.
  const single = await ozmap.rawPage(
    'splitters',
    [
      { property: 'parent', operator: '=', value: ids[0] },
      { property: 'isDrop', operator: '=', value: true },
    ],
    { limit: 1000 },
  );
  const singleRows = validate(page(OzSplitter), single, 'GET /api/v2/splitters?filter=[parent =]');
  const inIds = new Set(rows.map((s) => s.id));
  const missing = singleRows.ok ? singleRows.value.rows.filter((s) => !inIds.has(s.id)) : [];
  const boxesSeen = new Set(rows.map((s) => s.boxId)).size;
  let inCheck: Check;
  if (strangers.length > 0) {
    inCheck = fail(
      idIn,
      titleIn,
      `${strangers.length} splitters of other boxes came back (e.g. parent ${shown(strangers[0]!.boxId)})`,
      REPORT,
      ref,
    );
  } else if (notDrop.length > 0) {
    inCheck = fail(
      idIn,
      titleIn,
      `splitter ${shown(idOf(notDrop[0]!))}: field isDrop is not true under isDrop = true ` +
        `(seen: ${shown(notDrop[0]!.isDrop)})`,
      'network splitters could be offered: ' + REPORT,
      ref,
    );
  } else if (missing.length > 0) {
    inCheck = fail(
      idIn,
      titleIn,
      `the in query left out ${missing.length} splitters that parent = ${shown(ids[0])} returns`,
      REPORT,
      ref,
    );
  } else {
    inCheck = pass(
      idIn,
      titleIn,
      `${rows.length} drop splitters of ${boxesSeen} of ${ids.length} boxes in one query, all isDrop`,
      ref,
    );
  }
  return [inCheck, shapeCheck(raw, idShape, titleShape)];
}

function shapeCheck(raw: Array<z.infer<typeof RawSplitter>>, id: string, title: string): Check {
  const ref = 'OZmap facts O9, O11';
  for (const s of raw) {
    const name = shown(idOf(s));
    const output = (s.connectables as { output?: unknown } | undefined)?.output;
    if (!Array.isArray(output) || output.some((o) => o !== null && typeof o !== 'string')) {
      return fail(
        id,
        title,
        `splitter ${name}: field connectables.output is not (string|null)[] (seen: ${shown(output)})`,
        REPORT,
        ref,
      );
    }
    if (!Array.isArray(s.ports) || s.ports.length !== output.length) {
      const seen = Array.isArray(s.ports) ? `${s.ports.length} entries for ${output.length} outputs` : shown(s.ports);
      return fail(id, title, `splitter ${name}: field ports does not match the outputs (seen: ${seen})`, REPORT, ref);
    }
    const odd = (s.ports as unknown[]).findIndex(
      (p) => !p || typeof p !== 'object' || typeof (p as { blocked?: unknown }).blocked !== 'boolean',
    );
    if (odd >= 0) {
      return fail(
        id,
        title,
        `splitter ${name}: field ports.${odd}.blocked is not a boolean (seen: ${shown((s.ports as unknown[])[odd])})`,
        'blocked ports could be offered: ' + REPORT,
        ref,
      );
    }
  }
  const free = raw.reduce((n, s) => {
    const output = (s.connectables as { output: Array<string | null> }).output;
    const ports = s.ports as Array<{ blocked: boolean }>;
    return n + output.filter((o, i) => o === null && !ports[i]?.blocked).length;
  }, 0);
  return pass(
    id,
    title,
    `${raw.length} splitters: output[N-1] null = free, ports[N-1].blocked boolean; ${free} free ports`,
    ref,
  );
}

/** OZmap fact O4: the 2025 envelope, and a second page that does not repeat the first. */
async function paginationCheck(ozmap: OzmapClient): Promise<Check> {
  const id = 'conformance.pagination';
  const title = 'Pagination';
  const ref = 'OZmap fact O4';
  const Envelope = z.looseObject({
    total: z.number(),
    count: z.number(),
    start: z.number(),
    limit: z.number(),
    rows: z.array(z.unknown()),
    hasNextPage: z.boolean(),
    nextUrl: z.string().nullish(),
  });
  const first = await ozmap.rawPage('boxes', [], { limit: 2 });
  const parsed = validate(Envelope, first, 'GET /api/v2/boxes?limit=2');
  if (!parsed.ok) {
    const legacy = validate(page(OzBox), first, 'GET /api/v2/boxes?limit=2');
    if (legacy.ok) return warn(id, title, `${parsed.problem}: an older envelope; paging by page=N`, undefined, ref);
    return fail(id, title, parsed.problem, REPORT, ref);
  }
  const p1 = parsed.value;
  if (!p1.hasNextPage) return pass(id, title, `total, count, start, limit, rows, hasNextPage (one page only)`, ref);
  if (!p1.nextUrl) {
    return warn(id, title, 'hasNextPage is true but no nextUrl: the client asks for page=N', undefined, ref);
  }
  const second = validate(Envelope, await ozmap.rawNext(p1.nextUrl), `GET ${p1.nextUrl.split('?')[0]} (nextUrl)`);
  if (!second.ok) return fail(id, title, second.problem, REPORT, ref);
  const ids = (rows: unknown[]) => rows.map((r) => idOf(RawBox.safeParse(r).data ?? {}));
  const seen = new Set(ids(p1.rows));
  const repeated = ids(second.value.rows).filter((i) => seen.has(i));
  if (repeated.length > 0 || second.value.rows.length === 0) {
    return fail(
      id,
      title,
      repeated.length > 0
        ? `following nextUrl repeats ${repeated.length} rows of the first page (e.g. ${shown(repeated[0])})`
        : 'following nextUrl returned no rows although hasNextPage was true',
      'searches would miss or double boxes: ' + REPORT,
      ref,
    );
  }
  return pass(id, title, `total ${p1.total}, count, start, limit, rows, hasNextPage; nextUrl leads to page 2`, ref);
}

const RawProperty = z.looseObject({ id: z.string().optional(), _id: z.string().optional(), external_id: z.unknown() });

/**
 * OZmap facts O15, O22: properties found by their marker. Read-only: an existing `ispbox2:` marker if there is one,
 * else a made-up marker, which must find nothing rather than everything.
 */
async function externalIdCheck(ozmap: OzmapClient, findBy: ConformanceOptions['findBy']): Promise<Check> {
  const id = 'conformance.external-id';
  const title = 'external_id filter';
  const ref = 'OZmap facts O15, O22';
  const rowsOf = (body: unknown) =>
    (validate(z.looseObject({ rows: z.array(z.unknown()), total: z.number().optional() }), body, 'GET /properties').ok
      ? (body as { rows: unknown[] }).rows
      : []
    ).map((r) => RawProperty.safeParse(r).data ?? ({} as z.infer<typeof RawProperty>));
  let existing: string | undefined;
  try {
    const probe = rowsOf(
      await ozmap.rawPage('properties', [{ property: 'external_id', operator: 'like', value: 'ispbox2:' }], {
        limit: 20,
      }),
    );
    const marked = probe.find((r) => typeof r.external_id === 'string' && r.external_id.startsWith('ispbox2:'));
    existing = marked?.external_id as string | undefined;
  } catch {
    // `like` is not something the product needs; without it, the made-up marker below still tells.
  }
  const marker = existing ?? `ispbox2:doctor-absent-${randomBytes(6).toString('hex')}`;
  const body = await ozmap.rawPage('properties', externalIdFilter(marker), { limit: 20 });
  const envelope = validate(
    z.looseObject({ rows: z.array(z.unknown()), total: z.number().optional() }),
    body,
    'GET /api/v2/properties?filter=[external_id =]',
  );
  if (!envelope.ok) return fail(id, title, envelope.problem, REPORT, ref);
  const rows = rowsOf(body);
  const total = envelope.value.total ?? rows.length;
  const others = rows.filter((r) => r.external_id !== marker);
  const ignored = existing ? others.length > 0 || rows.length === 0 : total > 0;
  if (!ignored) {
    const finding = existing
      ? `external_id = ${shown(marker)} finds exactly its ${rows.length} propert${rows.length === 1 ? 'y' : 'ies'}`
      : `external_id = a made-up marker finds nothing (no property carries an ispbox2: marker yet)`;
    return pass(
      id,
      title,
      finding + (findBy === 'client_code' ? '; OZMAP_FIND_BY=client_code is set anyway' : ''),
      ref,
    );
  }
  const finding = existing
    ? `external_id = ${shown(marker)} returned ${total} properties, ${others.length} without that marker`
    : `external_id = a marker no property has returned ${total} properties: the filter is ignored`;
  if (findBy === 'client_code') {
    return warn(
      id,
      title,
      `${finding}; OZMAP_FIND_BY=client_code is set, so reservations are found by client code`,
      undefined,
      ref,
    );
  }
  return fail(
    id,
    title,
    finding,
    "set OZMAP_FIND_BY=client_code (a retried reservation is then found among the client code's properties)",
    ref,
  );
}
