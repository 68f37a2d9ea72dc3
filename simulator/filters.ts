/**
 * OZmap list queries (OZmap facts O3, O4): `filter` (JSON, from the query string and/or a GET body, as the
 * official SDK sends it), `select`, `sort`, `page`, `limit`, and the pagination envelope with a `nextUrl` that keeps
 * the query. Filters are evaluated with MongoDB semantics, which is what OZmap runs on: a condition on an array field
 * (or a dotted path through one) matches when any element matches.
 */
import { distanceMeters, type LatLng } from './geo.ts';
import { ApiError } from './http.ts';

export type Operator = '=' | '!=' | 'in' | 'notin' | 'like' | 'exists' | '<' | '<=' | '>' | '>=' | 'near';

const ALIASES: Record<string, Operator> = { eq: '=' };
const OPERATORS = new Set<string>(['=', '!=', 'in', 'notin', 'like', 'exists', '<', '<=', '>', '>=', 'near']);
/** Valid in OZmap (SDK FilterOperator) but not simulated: a clear 400 beats silently wrong results. */
const NOT_SIMULATED = new Set(['all', 'within', 'point-intersect']);

interface Near {
  point: LatLng;
  radius?: number;
}

export interface Condition {
  property: string;
  operator: Operator;
  value: unknown;
  near?: Near;
}

/** Top-level items and nested groups are all ANDed (SDK commit 8400037: a nested array "represents 'and'"). */
export type FilterNode = Condition | FilterNode[];

interface SortKey {
  property: string;
  direction: 1 | -1;
}

type Selection = { mode: 'include' | 'exclude'; fields: string[] };

export interface ListQuery {
  filter: FilterNode[];
  /** The filter as received (query string items first), replayed in nextUrl. */
  rawFilter: unknown[];
  sort?: SortKey[];
  rawSort?: unknown;
  select?: Selection;
  page: number;
  limit: number;
  /** Other query parameters (select, populate, ...), kept in nextUrl. */
  passthrough: [string, string][];
}

export interface Page<T> {
  total: number;
  count: number;
  start: number;
  limit: number;
  rows: T[];
  hasNextPage: boolean;
  /** Present only when there is a next page. */
  nextUrl?: string;
}

/** [SIM] OZmap's defaults are undocumented; 100 is the SDK's findAll batch size. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Rebuilt in nextUrl; every other parameter (select, populate, ...) is copied as received. */
const OWN_PARAMS = new Set(['filter', 'sort', 'page', 'limit', 'start']);

// ---- parsing --------------------------------------------------------------------------------------------------

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Own properties only: a path such as "__proto__.x" in a filter or select must not reach Object.prototype. */
const own = (value: unknown, key: string): unknown =>
  isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;

/** Deeper nesting than this is not a real query; refusing it keeps recursion bounded. */
const MAX_FILTER_DEPTH = 8;

function parseJsonParam(name: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, `${name} is not valid JSON: ${(error as Error).message}`);
  }
}

const toNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
};

/**
 * The point shapes the SDK's PointValueSchema accepts: {lat,lng}, {latitude,longitude}, {coords|coordinates:[lng,lat]}.
 */
function parseNear(value: unknown, where: string): Near {
  const fail = (): never => {
    throw new ApiError(
      400,
      `${where}: near needs a point such as {"lat": -27.59, "lng": -48.55, "radius": 250} (radius in metres)`,
    );
  };
  if (!isRecord(value)) return fail();
  const pair = Array.isArray(value.coords)
    ? value.coords
    : Array.isArray(value.coordinates)
      ? value.coordinates
      : undefined;
  const lat = toNumber(pair ? pair[1] : (value.lat ?? value.latitude));
  const lng = toNumber(pair ? pair[0] : (value.lng ?? value.longitude));
  if (lat === undefined || lng === undefined || Math.abs(lat) > 90 || Math.abs(lng) > 180) return fail();
  if (value.radius === undefined || value.radius === null) return { point: { lat, lng } };
  const radius = toNumber(value.radius);
  if (radius === undefined || radius < 0)
    throw new ApiError(400, `${where}: near radius must be a number of metres (0 or more)`);
  return { point: { lat, lng }, radius };
}

function parseCondition(item: Record<string, unknown>, where: string): Condition {
  const { property, operator: rawOperator } = item;
  if (typeof property !== 'string' || property === '')
    throw new ApiError(400, `${where}.property must be a non-empty string`);
  if (typeof rawOperator !== 'string') throw new ApiError(400, `${where}.operator must be a string`);
  const operator = ALIASES[rawOperator] ?? rawOperator;
  if (NOT_SIMULATED.has(operator))
    throw new ApiError(400, `${where}: operator "${operator}" is not supported by the OZmap simulator`);
  if (!OPERATORS.has(operator)) throw new ApiError(400, `${where}: unknown filter operator "${rawOperator}"`);
  const op = operator as Operator;
  if (!('value' in item) && op !== 'exists') throw new ApiError(400, `${where}.value is required for operator "${op}"`);
  const value = item.value ?? (op === 'exists' ? true : null);
  if ((op === 'in' || op === 'notin') && !Array.isArray(value))
    throw new ApiError(400, `${where}: operator "${op}" needs an array value`);
  if (op === 'like' && typeof value !== 'string')
    throw new ApiError(400, `${where}: operator "like" needs a string value`);
  return op === 'near'
    ? { property, operator: op, value, near: parseNear(value, where) }
    : { property, operator: op, value };
}

function parseNodes(items: unknown[], where: string, depth = 0): FilterNode[] {
  if (depth > MAX_FILTER_DEPTH)
    throw new ApiError(400, `${where}: filter groups are nested more than ${MAX_FILTER_DEPTH} deep`);
  return items.map((item, i): FilterNode => {
    const at = `${where}[${i}]`;
    if (Array.isArray(item)) return parseNodes(item, at, depth + 1);
    if (isRecord(item)) return parseCondition(item, at);
    throw new ApiError(400, `${at} must be a filter object {property, operator, value} or an array of them`);
  });
}

/** A filter given as one object is taken as a one-item list [SIM]. */
const asList = (value: unknown): unknown[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];

function parseSort(raw: unknown): SortKey[] {
  const keys: unknown[] =
    typeof raw === 'string'
      ? raw.split(/[\s,]+/).filter(Boolean)
      : Array.isArray(raw)
        ? raw
        : isRecord(raw)
          ? [raw]
          : [];
  if (keys.length === 0)
    throw new ApiError(400, 'sort must be [{"property": "name", "direction": 1}] or "name,-createdAt"');
  return keys.map((key, i): SortKey => {
    if (typeof key === 'string')
      return key.startsWith('-') ? { property: key.slice(1), direction: -1 } : { property: key, direction: 1 };
    if (!isRecord(key) || typeof key.property !== 'string' || key.property === '') {
      throw new ApiError(400, `sort[${i}] must be {"property": "...", "direction": 1 | -1}`);
    }
    const direction = key.direction ?? 1;
    if (direction === 1 || direction === '1' || direction === 'asc') return { property: key.property, direction: 1 };
    if (direction === -1 || direction === '-1' || direction === 'desc')
      return { property: key.property, direction: -1 };
    throw new ApiError(400, `sort[${i}].direction must be 1 (ascending) or -1 (descending)`);
  });
}

/** `select=name,coords` (commas or spaces), or `select=-history` to leave fields out. */
export function parseSelect(raw: string): Selection | undefined {
  const fields = raw.split(/[\s,]+/).filter(Boolean);
  if (fields.length === 0) return undefined;
  const excluded = fields.filter((f) => f.startsWith('-'));
  if (excluded.length === 0) return { mode: 'include', fields };
  if (excluded.length === fields.length) return { mode: 'exclude', fields: fields.map((f) => f.slice(1)) };
  throw new ApiError(400, 'select cannot mix included and excluded (-field) fields');
}

function positiveInt(name: string, raw: string | null, fallback: number): number {
  if (raw === null || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new ApiError(400, `${name} must be a whole number of 1 or more (got "${raw}")`);
  return n;
}

/**
 * Reads filter/sort from the query string and from a GET body (both ANDed when both are given, which is harmless
 * for the SDK's findAll that sends the same filter in each). `start` is an offset used only when `page` is absent:
 * the SDK's findAll copies nextUrl's parameters but blanks `page`, so nextUrl carries both [SIM].
 */
export function parseListQuery(params: URLSearchParams, body: unknown): ListQuery {
  if (body !== undefined && !isRecord(body))
    throw new ApiError(400, 'A GET body, when sent, must be a JSON object such as {"filter": [...]}');
  const rawFilter = [
    ...params
      .getAll('filter')
      .flatMap((text) => asList(text.trim() === '' ? undefined : parseJsonParam('filter', text))),
    ...asList(body?.filter),
  ];
  const filter = parseNodes(rawFilter, 'filter');

  const sortText = params.get('sort');
  const rawSort: unknown =
    sortText !== null && sortText.trim() !== ''
      ? /^\s*[[{]/.test(sortText)
        ? parseJsonParam('sort', sortText)
        : sortText
      : body?.sort;
  const sort = rawSort === undefined || rawSort === null ? undefined : parseSort(rawSort);

  const limit = positiveInt('limit', params.get('limit'), DEFAULT_LIMIT);
  if (limit > MAX_LIMIT) throw new ApiError(400, `limit must be at most ${MAX_LIMIT}; follow nextUrl for more`);
  const pageText = params.get('page')?.trim() ?? '';
  const startText = params.get('start')?.trim() ?? '';
  // `start` is rounded down to a page boundary; the nextUrl it comes from is always on one.
  const page =
    pageText !== ''
      ? positiveInt('page', pageText, 1)
      : startText !== ''
        ? Math.floor(nonNegativeInt('start', startText) / limit) + 1
        : 1;
  const select = params.get('select');
  return {
    filter,
    rawFilter,
    ...(sort ? { sort, rawSort } : {}),
    ...(select ? { select: parseSelect(select) } : {}),
    page,
    limit,
    passthrough: [...params.entries()].filter(([key]) => !OWN_PARAMS.has(key)),
  };
}

function nonNegativeInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new ApiError(400, `${name} must be a whole number of 0 or more (got "${raw}")`);
  return n;
}

// ---- evaluation -------------------------------------------------------------------------------------------------

/** Values at a dotted path, fanning out through arrays (MongoDB style); a leaf array contributes its elements too. */
function valuesAt(row: unknown, path: string): unknown[] {
  if (!path.includes('.')) {
    // The common case, without the fan-out's arrays: every list query evaluates this for every row.
    const value = own(row, path);
    return Array.isArray(value) ? [value, ...(value as unknown[])] : [value];
  }
  let current: unknown[] = [row];
  for (const segment of path.split('.')) {
    current = current.flatMap((value) => {
      if (Array.isArray(value)) return value.map((item) => own(item, segment));
      return [own(value, segment)];
    });
  }
  return current.flatMap((value) => (Array.isArray(value) ? [value, ...(value as unknown[])] : [value]));
}

/** Each `in` list split once into its strings (as a set) and the rest: a list of box ids meets every splitter. */
const splitLists = new WeakMap<unknown[], { strings: Set<unknown>; others: unknown[] }>();

/** `equals` against any of `values`; a string field equals a string value only when they are the same string. */
function isAmong(field: unknown, values: unknown[]): boolean {
  if (typeof field !== 'string') return values.some((v) => equals(field, v));
  let split = splitLists.get(values);
  if (!split) {
    split = {
      strings: new Set(values.filter((v) => typeof v === 'string')),
      others: values.filter((v) => typeof v !== 'string'),
    };
    splitLists.set(values, split);
  }
  return split.strings.has(field) || split.others.some((v) => equals(field, v));
}

/** Equality with the coercions a JSON-in-URL filter needs: "true" for true, "3" for 3, an id for a populated ref. */
function equals(field: unknown, value: unknown): boolean {
  if (value === null) return field === null || field === undefined;
  if (field === value) return true;
  if (typeof value === 'string') {
    if (typeof field === 'boolean') return String(field) === value;
    if (typeof field === 'number') return toNumber(value) === field;
    if (isRecord(field)) return field.id === value;
  }
  if (typeof value === 'number' && typeof field === 'string') return toNumber(field) === value;
  return false;
}

function compare(field: unknown, value: unknown, op: '<' | '<=' | '>' | '>='): boolean {
  let a: number | string;
  let b: number | string;
  const bound = toNumber(value);
  if (typeof field === 'number' && bound !== undefined) {
    a = field;
    b = bound;
  } else if (typeof field === 'string' && typeof value === 'string') {
    a = field;
    b = value;
  } else {
    return false;
  }
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * `like`: case-insensitive; `%` (any run) and `_` (one character) are SQL wildcards, otherwise a substring match
 * [SIM]. Matched with the linear-backtracking wildcard algorithm rather than a RegExp, so no pattern can make a
 * request take exponential time.
 */
function like(text: string, pattern: string): boolean {
  const t = text.toLowerCase();
  const p = pattern.toLowerCase();
  if (!/[%_]/.test(p)) return t.includes(p);
  let ti = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '_' || p[pi] === t[ti])) {
      ti++;
      pi++;
    } else if (pi < p.length && p[pi] === '%') {
      star = pi++;
      mark = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (p[pi] === '%') pi++;
  return pi === p.length;
}

const asLngLat = (value: unknown): LatLng | undefined => {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [lng, lat] = value as unknown[];
  return typeof lat === 'number' && typeof lng === 'number' ? { lat, lng } : undefined;
};

function matches(row: object, condition: Condition, distances: Map<object, number>): boolean {
  const { operator, value } = condition;
  if (operator === 'near') {
    const near = condition.near as Near;
    const position = asLngLat(isRecord(row) ? row[condition.property] : undefined);
    if (!position) return false;
    const distance = distanceMeters(near.point, position);
    if (near.radius !== undefined && distance > near.radius) return false;
    if (!distances.has(row)) distances.set(row, distance);
    return true;
  }
  const fields = valuesAt(row, condition.property);
  switch (operator) {
    case '=':
      return fields.some((f) => equals(f, value));
    case '!=':
      return !fields.some((f) => equals(f, value));
    case 'in':
      return fields.some((f) => isAmong(f, value as unknown[]));
    case 'notin':
      return !fields.some((f) => isAmong(f, value as unknown[]));
    case 'like':
      return fields.some((f) => typeof f === 'string' && like(f, value as string));
    case 'exists': {
      // MongoDB's $exists: a field holding null still exists.
      const present = fields.some((f) => f !== undefined);
      return equals(present, value);
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return fields.some((f) => compare(f, value, operator));
  }
}

/**
 * The rows that pass the top-level conditions `usable` picks: a superset of what the whole filter matches, since
 * top-level items are ANDed. Lets a collection skip building the view of a row the filter refuses anyway.
 */
export function narrow<T extends object>(rows: Iterable<T>, filter: FilterNode[], usable: (c: Condition) => boolean) {
  const conditions = filter.filter((node): node is Condition => !Array.isArray(node) && usable(node));
  const scratch = new Map<object, number>();
  const out: T[] = [];
  for (const row of rows) if (conditions.every((c) => matches(row, c, scratch))) out.push(row);
  return out;
}

const allMatch = (row: object, nodes: FilterNode[], distances: Map<object, number>): boolean =>
  nodes.every((node) => (Array.isArray(node) ? allMatch(row, node, distances) : matches(row, node, distances)));

const hasNear = (nodes: FilterNode[]): boolean =>
  nodes.some((node) => (Array.isArray(node) ? hasNear(node) : node.operator === 'near'));

function sortValue(row: object, property: string): unknown {
  return valuesAt(row, property)[0];
}

/** MongoDB's order for the types we hold: missing/null < numbers < strings < booleans. */
function rank(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  if (typeof value === 'boolean') return 3;
  return 4;
}

function compareForSort(a: unknown, b: unknown): number {
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return 0;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  let cursor = target;
  segments.slice(0, -1).forEach((segment) => {
    const next = cursor[segment];
    if (!isRecord(next)) cursor[segment] = {};
    cursor = cursor[segment] as Record<string, unknown>;
  });
  cursor[segments[segments.length - 1] as string] = value;
}

function getPath(row: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, segment) => own(value, segment), row);
}

/**
 * `select` as OZmap answers it (CONF example: select=name on poles gave {kind, name, id, lng: null, lat: null}):
 * id and kind always; lat/lng of a located element are null unless coords was selected.
 */
export function project(row: object, selection: Selection | undefined): object {
  if (!selection) return row;
  const source = row as Record<string, unknown>;
  if (selection.mode === 'exclude') {
    const copy = { ...source };
    for (const field of selection.fields) delete copy[field];
    return copy;
  }
  const out: Record<string, unknown> = {};
  if ('kind' in source) out.kind = source.kind;
  for (const field of selection.fields) {
    const value = getPath(source, field);
    if (value !== undefined) setPath(out, field, value);
  }
  out.id = source.id;
  if ('coords' in source) {
    const withCoords = selection.fields.includes('coords');
    out.lng = withCoords ? source.lng : null;
    out.lat = withCoords ? source.lat : null;
  }
  return out;
}

function nextUrl(basePath: string, query: ListQuery): string {
  const params = new URLSearchParams(query.passthrough);
  if (query.rawFilter.length > 0) params.set('filter', JSON.stringify(query.rawFilter));
  if (query.rawSort !== undefined)
    params.set('sort', typeof query.rawSort === 'string' ? query.rawSort : JSON.stringify(query.rawSort));
  params.set('limit', String(query.limit));
  params.set('page', String(query.page + 1));
  params.set('start', String(query.page * query.limit));
  return `${basePath}?${params.toString()}`;
}

/**
 * Filters, sorts (nearest first under `near`, unless `sort` says otherwise), paginates and projects.
 * `basePath` is the route's path (e.g. /api/v2/boxes), used for nextUrl.
 */
export function runListQuery(rows: readonly object[], query: ListQuery, basePath: string): Page<object> {
  const distances = new Map<object, number>();
  let matched = rows.filter((row) => allMatch(row, query.filter, distances));
  if (query.sort) {
    const keys = query.sort;
    matched = matched
      .map((row, position) => ({ row, position }))
      .sort((a, b) => {
        for (const { property, direction } of keys) {
          const order = compareForSort(sortValue(a.row, property), sortValue(b.row, property));
          if (order !== 0) return order * direction;
        }
        return a.position - b.position;
      })
      .map(({ row }) => row);
  } else if (hasNear(query.filter)) {
    matched = [...matched].sort((a, b) => (distances.get(a) ?? 0) - (distances.get(b) ?? 0));
  }
  const start = (query.page - 1) * query.limit;
  const rowsOnPage = matched.slice(start, start + query.limit).map((row) => project(row, query.select));
  const hasNextPage = start + query.limit < matched.length;
  return {
    total: matched.length,
    count: rowsOnPage.length,
    start,
    limit: query.limit,
    rows: rowsOnPage,
    hasNextPage,
    ...(hasNextPage ? { nextUrl: nextUrl(basePath, query) } : {}),
  };
}
