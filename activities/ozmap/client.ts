/**
 * The OZmap API v2 calls this service makes (docs/architecture.md, "OZmap access" and "OZmap facts"), over undici,
 * validated with zod.
 * Filters travel as JSON in the query string (§3.2).
 *
 * Every inferred fact (the inferred ones of docs/architecture.md, "OZmap facts") the product depends on lives behind
 * one function here, so that
 * `ozres doctor --ozmap` can exercise exactly that function, and a tenant that differs needs one switch:
 *   authorization()            raw key, or "Bearer <key>" (§2)               OZMAP_AUTH_SCHEME
 *   boxesNearFilter()          `near` on boxes honours the radius; `draft` (§6.3, §5.1)
 *   dropSplittersFilter()      splitters of many boxes in one `in` query with isDrop (§6.5)
 *   externalIdFilter()         properties searchable by external_id (§6.7)   OZMAP_FIND_BY
 *   refusalOf()                an occupied port is a 4xx with {message} (§3.4)
 *   setClientImplanted()       PATCH /ftth-clients/<id> {implanted:true} (§6.9)
 *   deleteProperty()           DELETE /properties/<id> takes the client with it (§6.10)
 *   moveProperty()             one PATCH /properties/<id> {box, connector, port} moves the client (§6.11)
 *   polesNearFilter()          `near` on poles, with their adjacents and pole type (docs/poles.md)
 *   dropLimitOf()              a project's maximum drop, Project.drop.maxSize (docs/poles.md)
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { createDispatcher, UpstreamHttpError, parseBody, sendJson, type JsonRequest } from '../http.ts';
import { OzBox, OzClient, OzPole, OzPoleType, OzProject, OzProperty, OzSplitter, page } from './schemas.ts';

/** How the key goes in `Authorization`: raw as OZmap's SDK sends it, or with "Bearer " (OZmap fact O2). */
export type OzmapAuthScheme = 'raw' | 'bearer';
/** How a reservation is found again: by its external_id marker, or by the client code (OZmap facts O15, O22). */
export type OzmapFindBy = 'external_id' | 'client_code';

export interface OzmapClientOptions {
  /** Host only, e.g. https://acme.ozmap.com.br:9994; the client appends /api/v2. */
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  /** Default raw. */
  authScheme?: OzmapAuthScheme;
  /** Default external_id. */
  findBy?: OzmapFindBy;
}

export type Filter = { property: string; operator: string; value: unknown };

/** `near` on box coords, radius in metres, "Em projeto" (draft) left out unless asked (OZmap facts O5, O8). */
export function boxesNearFilter(
  point: { lat: number; lng: number },
  radiusMeters: number,
  options: { includeDrafts?: boolean } = {},
): Filter[] {
  return [
    { property: 'coords', operator: 'near', value: { lat: point.lat, lng: point.lng, radius: radiusMeters } },
    ...(options.includeDrafts ? [] : [{ property: 'draft', operator: '!=', value: true }]),
  ];
}

/** Poles within `radiusMeters` of the point, nearest first: the documented pole look-up (CONF/adjacencies). */
export function polesNearFilter(point: { lat: number; lng: number }, radiusMeters: number): Filter[] {
  return [{ property: 'coords', operator: 'near', value: { lat: point.lat, lng: point.lng, radius: radiusMeters } }];
}

/**
 * A drop along the poles as OZmap takes it on a property (docs/poles.md): `pole`, the customer's pole, and
 * `drop_poles`, the route to the box; nothing in radius mode (OZmap then draws the drop straight).
 */
export function dropPolesFields(dropPoles: readonly string[] | undefined): { pole?: string; drop_poles?: string[] } {
  return dropPoles && dropPoles.length > 0 ? { pole: dropPoles[0], drop_poles: [...dropPoles] } : {};
}

/** The service splitters of several boxes in one query: `parent` is the box id (OZmap facts O9, O11). */
export function dropSplittersFilter(boxIds: string[]): Filter[] {
  return [
    { property: 'parent', operator: 'in', value: boxIds },
    { property: 'isDrop', operator: '=', value: true },
  ];
}

/** Properties by their marker; filtering on external_id is inferred (OZmap facts O15, O22). */
export function externalIdFilter(externalId: string): Filter[] {
  return [{ property: 'external_id', operator: '=', value: externalId }];
}

/** What a refused create looks like: OZmap's error body is undocumented, `{message}` assumed (OZmap fact O13). */
export const OzRefusalBody = z.looseObject({ message: z.string() });

/**
 * A 4xx answer to a create, read as a refusal (the caller then re-reads the port rather than parse the wording).
 * `shapeProblem` says how the body differs from the assumed `{message}`: the message is then a best effort.
 */
export function refusalOf(
  status: number,
  body: unknown,
): { status: number; message: string; body: unknown; shapeProblem?: string } {
  const parsed = OzRefusalBody.safeParse(body);
  if (parsed.success) return { status, message: parsed.data.message, body };
  const fallback = body && typeof body === 'object' && 'error' in body ? JSON.stringify(body.error) : undefined;
  return {
    status,
    message: (fallback ?? JSON.stringify(body ?? null)).slice(0, 300),
    body,
    shapeProblem: 'no string `message` in the body',
  };
}

/** A row of GET /properties, with the marker the product set on it (not part of OzProperty: only look-ups need it). */
const Marked = z.looseObject({ external_id: z.unknown().optional() });

/** The body of POST /api/v2/properties that reserves a port (CreatePropertyDTO; OZmap fact O12). */
export interface CreatePropertyBody {
  project?: string;
  box: string;
  connector: string;
  port: number;
  auto_connect: false;
  force: false;
  coords: [number, number];
  address: string;
  observation: string;
  external_id: string;
  client: { code: string; name: string; implanted: false; observation: string; external_id: string };
  /** Pole mode: the customer's pole, and the poles the drop hangs on from there to the box (docs/poles.md). */
  pole?: string;
  drop_poles?: string[];
}

export type CreatePropertyResult =
  | { outcome: 'created'; property: OzProperty }
  /** OZmap refused the change (4xx); the caller decides whether the port was taken. */
  | { outcome: 'refused'; status: number; message: string; body: unknown; shapeProblem?: string };

/** Where PATCH /api/v2/properties/<id> moves a property: the box and the splitter port (OZmap fact O21). */
export interface MovePropertyBody {
  box: string;
  connector: string;
  port: number;
  auto_connect: false;
  force: false;
  /** Pole mode: the drop's new route (docs/poles.md). */
  pole?: string;
  drop_poles?: string[];
}

export type MovePropertyResult =
  /** `property` is null when OZmap answered without a body the schema reads (the caller reads it back). */
  | { outcome: 'moved'; property: OzProperty | null }
  | { outcome: 'refused'; status: number; message: string; body: unknown; shapeProblem?: string };

const PAGE_LIMIT = 100;
/**
 * Poles come by the hundred within a drop's reach (one every 30-40 m of street): asked for in big pages, so that one
 * call usually brings them all (docs/poles.md). OZmap's own maximum is unknown; a smaller one is followed page by page.
 */
const POLE_PAGE_LIMIT = 1000;
/** A radius search returns tens of boxes; this bounds a misbehaving server's pagination. */
const MAX_PAGES = 20;
/**
 * An area's boxes and splitters (activities/area-survey.ts) come in big pages, as poles do: one call usually brings
 * them all; a server with a smaller maximum is followed page by page.
 */
const AREA_PAGE_LIMIT = 1000;
/** Box ids per `in` query: the ids travel in the URL (some 33 characters each, encoded), well under 16 KiB. */
const SPLITTER_IDS_PER_QUERY = 100;
/** Drop splitters of one chunk of boxes past which the answer is taken as broken rather than cut short. */
const MAX_SPLITTERS_PER_QUERY = 5000;
/** Projects and pole types change seldom: read once per this long per tenant, not per search. */
const CATALOG_TTL_MS = 10 * 60_000;
/** Projects remembered per tenant: an account has a few; a bound all the same. */
const MAX_CACHED_PROJECTS = 200;

export class OzmapClient {
  readonly #base: URL;
  readonly #apiKey: string;
  readonly #authScheme: OzmapAuthScheme;
  readonly #dispatcher: Dispatcher;
  readonly findBy: OzmapFindBy;
  /** HTTP calls made, so that tests and benchmarks can count them. */
  calls = 0;
  readonly #projects = new Map<string, { at: number; project: OzProject | null }>();
  #poleTypes: { at: number; allowed: Map<string, boolean> } | undefined;

  constructor(options: OzmapClientOptions) {
    this.#base = new URL('/api/v2/', options.baseUrl);
    this.#apiKey = options.apiKey;
    this.#authScheme = options.authScheme ?? 'raw';
    this.findBy = options.findBy ?? 'external_id';
    this.#dispatcher = options.dispatcher ?? createDispatcher(options.timeoutMs ?? 15_000);
  }

  /** The key check: GET /authenticated answers 2xx for a valid key (OZmap facts O2, O23); throws UpstreamHttpError. */
  async checkKey(): Promise<{ status: number }> {
    const res = await this.#send({ method: 'GET', url: this.#url('authenticated') }, true);
    return { status: res.status };
  }

  /** Boxes within the radius; "Em projeto" (draft) ones only when asked, to show them as such. */
  async findBoxesNear(
    point: { lat: number; lng: number },
    radiusMeters: number,
    options: { includeDrafts?: boolean } = {},
  ): Promise<OzBox[]> {
    return this.#list('boxes', OzBox, boxesNearFilter(point, radiusMeters, options));
  }

  /** The service (drop) splitters of the given boxes, in one query. */
  async findDropSplitters(boxIds: string[]): Promise<OzSplitter[]> {
    if (boxIds.length === 0) return [];
    return this.#list('splitters', OzSplitter, dropSplittersFilter(boxIds));
  }

  /**
   * Boxes within the radius, every one of them, or undefined when there are more than `maxRows`: never a list cut
   * short, so the caller can split its area (activities/area-survey.ts, docs/demand.md).
   */
  async findBoxesInArea(
    point: { lat: number; lng: number },
    radiusMeters: number,
    options: { includeDrafts?: boolean; maxRows: number },
  ): Promise<OzBox[] | undefined> {
    const filter = boxesNearFilter(point, radiusMeters, options);
    return this.#listBounded('boxes', OzBox, filter, AREA_PAGE_LIMIT, options.maxRows);
  }

  /**
   * The drop splitters of any number of boxes, SPLITTER_IDS_PER_QUERY ids per query, every one of them: an answer
   * past MAX_SPLITTERS_PER_QUERY is an error, never a list cut short.
   */
  async findDropSplittersOfMany(boxIds: readonly string[]): Promise<OzSplitter[]> {
    const splitters: OzSplitter[] = [];
    for (let i = 0; i < boxIds.length; i += SPLITTER_IDS_PER_QUERY) {
      const ids = boxIds.slice(i, i + SPLITTER_IDS_PER_QUERY);
      const rows = await this.#listBounded(
        'splitters',
        OzSplitter,
        dropSplittersFilter(ids),
        AREA_PAGE_LIMIT,
        MAX_SPLITTERS_PER_QUERY,
      );
      if (!rows)
        throw new UpstreamHttpError(
          'bad-response',
          `OZmap listed more than ${MAX_SPLITTERS_PER_QUERY} drop splitters for ${ids.length} boxes: not read further`,
        );
      splitters.push(...rows);
    }
    return splitters;
  }

  /** Poles within the radius with their adjacents: the graph a drop runs on (docs/poles.md). */
  async findPolesNear(point: { lat: number; lng: number }, radiusMeters: number): Promise<OzPole[]> {
    return this.#list('poles', OzPole, polesNearFilter(point, radiusMeters), POLE_PAGE_LIMIT);
  }

  /** Whether each pole type allows viability (OZloc's `viabilityAllowed`), read at most every CATALOG_TTL_MS. */
  async poleTypeViability(): Promise<Map<string, boolean>> {
    if (this.#poleTypes && Date.now() - this.#poleTypes.at < CATALOG_TTL_MS) return this.#poleTypes.allowed;
    const types = await this.#list('pole-types', OzPoleType, [], POLE_PAGE_LIMIT);
    const allowed = new Map(types.map((t) => [t.id, t.viabilityAllowed]));
    this.#poleTypes = { at: Date.now(), allowed };
    return allowed;
  }

  /** A project's maximum drop in metres (undefined: it sets none), read at most every CATALOG_TTL_MS. */
  async dropLimitOf(projectId: string): Promise<number | undefined> {
    const cached = this.#projects.get(projectId);
    if (cached && Date.now() - cached.at < CATALOG_TTL_MS) return cached.project?.maxDropMeters;
    const project = await this.#get(`projects/${encodeURIComponent(projectId)}`, OzProject, 'project');
    if (this.#projects.size >= MAX_CACHED_PROJECTS) this.#projects.clear();
    this.#projects.set(projectId, { at: Date.now(), project });
    return project?.maxDropMeters;
  }

  async getBox(id: string): Promise<OzBox | null> {
    return this.#get(`boxes/${encodeURIComponent(id)}`, OzBox, 'box');
  }

  async getSplitter(id: string): Promise<OzSplitter | null> {
    return this.#get(`splitters/${encodeURIComponent(id)}`, OzSplitter, 'splitter');
  }

  /**
   * The property this project marked with `externalId`, by the external_id filter or (OZMAP_FIND_BY=client_code)
   * among the client code's properties (OZmap facts O15, O22). Either way only a row that carries the marker counts:
   * a server that ignored the filter would otherwise hand back somebody else's property.
   */
  async findPropertyByExternalId(externalId: string, clientCode?: string): Promise<OzProperty | null> {
    return (await this.findPropertiesByExternalId(externalId, clientCode))[0] ?? null;
  }

  /** Every property carrying the marker (more than one only when a create landed late), in one query. */
  async findPropertiesByExternalId(externalId: string, clientCode?: string): Promise<OzProperty[]> {
    const rows =
      this.findBy === 'client_code' && clientCode !== undefined
        ? await this.#rawPropertiesByClientCode(clientCode)
        : await this.#list('properties', z.unknown(), externalIdFilter(externalId));
    return rows
      .filter((row) => Marked.safeParse(row).data?.external_id === externalId)
      .map((row) => parseBody(OzProperty, row, 'GET /properties row'));
  }

  /**
   * GET /properties/client/<code>: a bare array of the properties whose client has that code (OZmap facts O15, O22).
   */
  async findPropertiesByClientCode(code: string): Promise<OzProperty[]> {
    return (await this.#rawPropertiesByClientCode(code)).map((row) => parseBody(OzProperty, row, 'GET /properties'));
  }

  async getProperty(id: string): Promise<OzProperty | null> {
    return this.#get(`properties/${encodeURIComponent(id)}`, OzProperty, 'property');
  }

  async getClient(id: string): Promise<OzClient | null> {
    return this.#get(`ftth-clients/${encodeURIComponent(id)}`, OzClient, 'FTTH client');
  }

  async createProperty(body: CreatePropertyBody): Promise<CreatePropertyResult> {
    try {
      const res = await this.#send({ method: 'POST', url: this.#url('properties'), body });
      return { outcome: 'created', property: parseBody(OzProperty, res.body, 'POST /properties response') };
    } catch (err) {
      if (
        err instanceof UpstreamHttpError &&
        (err.kind === 'conflict' || err.kind === 'validation') &&
        err.status !== undefined
      ) {
        const refusal = refusalOf(err.status, err.body);
        // The UpstreamHttpError message names the route and status; keep it, it is what logs and notices have shown.
        return { outcome: 'refused', ...refusal, message: err.message };
      }
      throw err;
    }
  }

  /**
   * Moves the property, its client and drop with it, to another splitter port in one PATCH (OZmap fact O21): the
   * update DTO takes `box`, `connector` and `port`; that the server frees the old port in the same step is
   * inferred (OZmap's own UI disconnects, then connects). A taken target is refused like a create (O13).
   */
  async moveProperty(propertyId: string, body: MovePropertyBody): Promise<MovePropertyResult> {
    try {
      const res = await this.#send({
        method: 'PATCH',
        url: this.#url(`properties/${encodeURIComponent(propertyId)}`),
        body,
      });
      const parsed = res.body === undefined ? undefined : OzProperty.safeParse(res.body);
      return { outcome: 'moved', property: parsed?.success ? parsed.data : null };
    } catch (err) {
      if (
        err instanceof UpstreamHttpError &&
        (err.kind === 'conflict' || err.kind === 'validation') &&
        err.status !== undefined
      )
        return { outcome: 'refused', ...refusalOf(err.status, err.body), message: err.message };
      throw err;
    }
  }

  /** Marks the client implanted ("Implantado"); null when OZmap no longer has it. */
  async setClientImplanted(clientId: string): Promise<OzClient | null> {
    const res = await this.#send(
      { method: 'PATCH', url: this.#url(`ftth-clients/${encodeURIComponent(clientId)}`), body: { implanted: true } },
      true,
    );
    if (res.status === 404) return null;
    // OZmap's SDK ignores PATCH bodies; accept an empty one and assume the change as sent.
    return res.body === undefined
      ? { id: clientId, code: undefined, implanted: true, externalId: undefined }
      : parseBody(OzClient, res.body, 'PATCH /ftth-clients response');
  }

  /** Deletes a property (OZmap removes its client and drop with it); false when it was already gone. */
  async deleteProperty(id: string): Promise<boolean> {
    return (
      (await this.#send({ method: 'DELETE', url: this.#url(`properties/${encodeURIComponent(id)}`) }, true)).status !==
      404
    );
  }

  async deleteClient(id: string): Promise<boolean> {
    return (
      (await this.#send({ method: 'DELETE', url: this.#url(`ftth-clients/${encodeURIComponent(id)}`) }, true))
        .status !== 404
    );
  }

  /**
   * One page of a list as OZmap sent it, unparsed: for the doctor's conformance checks, which validate it with the
   * same schemas and name the field that differs, and the reconciler's paging (ozmap/marked.ts), which parses it.
   * `filter` comes from the builders above or there.
   */
  async rawPage(
    route: string,
    filter: Filter[],
    options: { limit?: number; page?: number; sort?: Array<{ property: string; direction: 1 | -1 }> } = {},
  ): Promise<unknown> {
    const query: Record<string, string> = { limit: String(options.limit ?? PAGE_LIMIT) };
    if (filter.length > 0) query.filter = JSON.stringify(filter);
    if (options.sort) query.sort = JSON.stringify(options.sort);
    if (options.page !== undefined) query.page = String(options.page);
    return (await this.#send({ method: 'GET', url: this.#url(route, query) })).body;
  }

  /** Follows a page's `nextUrl` (opaque, server-relative: OZmap fact O4), unparsed; only to this OZmap's API. */
  async rawNext(nextUrl: string): Promise<unknown> {
    return (await this.#send({ method: 'GET', url: this.#followable(nextUrl) })).body;
  }

  /** One document as OZmap sent it, or null on 404. */
  async rawGet(route: string): Promise<unknown> {
    const res = await this.#send({ method: 'GET', url: this.#url(route) }, true);
    return res.status === 404 ? null : res.body;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #rawPropertiesByClientCode(code: string): Promise<unknown[]> {
    const res = await this.#send(
      { method: 'GET', url: this.#url(`properties/client/${encodeURIComponent(code)}`) },
      true,
    );
    return res.status === 404 ? [] : parseBody(z.array(z.unknown()), res.body, 'GET /properties/client/<code>');
  }

  async #get<T extends z.ZodType>(route: string, schema: T, what: string): Promise<z.infer<T> | null> {
    const res = await this.#send({ method: 'GET', url: this.#url(route) }, true);
    return res.status === 404 ? null : parseBody(schema, res.body, `GET ${what}`);
  }

  async #list<T extends z.ZodType>(
    route: string,
    row: T,
    filter: Filter[],
    limit: number = PAGE_LIMIT,
  ): Promise<z.infer<T>[]> {
    const rows: z.infer<T>[] = [];
    let url: URL | undefined = this.#url(route, {
      ...(filter.length > 0 ? { filter: JSON.stringify(filter) } : {}),
      limit: String(limit),
      page: '1',
    });
    for (let pageNumber = 1; url && pageNumber <= MAX_PAGES; pageNumber++) {
      const res = await this.#send({ method: 'GET', url });
      const body = parseBody(page(row), res.body, `GET /${route} page ${pageNumber}`);
      rows.push(...body.rows);
      url = this.#nextPage(body, pageNumber, url, limit);
    }
    return rows;
  }

  /**
   * Every row of a list, or undefined as soon as it is known to hold more than `maxRows` (its `total`, or the rows
   * read so far): unlike #list, never cut at MAX_PAGES, as an area's survey must be complete or split.
   */
  async #listBounded<T extends z.ZodType>(
    route: string,
    row: T,
    filter: Filter[],
    limit: number,
    maxRows: number,
  ): Promise<z.infer<T>[] | undefined> {
    const rows: z.infer<T>[] = [];
    let url: URL | undefined = this.#url(route, {
      ...(filter.length > 0 ? { filter: JSON.stringify(filter) } : {}),
      limit: String(limit),
      page: '1',
    });
    for (let pageNumber = 1; url; pageNumber++) {
      const res = await this.#send({ method: 'GET', url });
      const body = parseBody(page(row), res.body, `GET /${route} page ${pageNumber}`);
      rows.push(...body.rows);
      if ((body.total ?? 0) > maxRows || rows.length > maxRows) return undefined;
      url = this.#nextPage(body, pageNumber, url, limit);
    }
    return rows;
  }

  /** Follows `nextUrl` when the server gives one (treated as opaque), else asks for the next `page`. */
  #nextPage(
    body: { rows: unknown[]; total?: number; start?: number; hasNextPage?: boolean; nextUrl?: string | null },
    pageNumber: number,
    current: URL,
    limit: number,
  ): URL | undefined {
    if (body.hasNextPage === false || body.rows.length === 0) return undefined;
    if (body.hasNextPage && body.nextUrl) return this.#followable(body.nextUrl);
    const seen = (body.start ?? (pageNumber - 1) * limit) + body.rows.length;
    if (body.total === undefined ? body.rows.length < limit : seen >= body.total) return undefined;
    const next = new URL(current);
    next.searchParams.set('page', String(pageNumber + 1));
    return next;
  }

  /**
   * A `nextUrl` resolved against the API, refused unless it is on the configured origin (scheme, host, port) and
   * under its /api/v2/ path: the key goes with every request, so a response must not be able to send it elsewhere
   * (or downgrade it to http). The message names the origin, never the query (which could carry anything).
   */
  #followable(nextUrl: string): URL {
    const url = URL.canParse(nextUrl, this.#base.href) ? new URL(nextUrl, this.#base) : undefined;
    if (url && url.origin === this.#base.origin && url.pathname.startsWith(this.#base.pathname)) return url;
    const where = url ? `${url.origin}${url.pathname}` : 'an unparsable URL';
    throw new UpstreamHttpError(
      'bad-response',
      `OZmap's nextUrl points at ${where}, outside ${this.#base.origin}${this.#base.pathname}: not followed ` +
        '(the API key is only sent to the configured OZMAP_URL)',
    );
  }

  #url(route: string, query: Record<string, string> = {}): URL {
    const url = new URL(route, this.#base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  /** OZmap's SDK sends the raw key; whether every server strips "Bearer " is unknown (OZmap fact O2). */
  #authorization(): string {
    return this.#authScheme === 'bearer' ? `Bearer ${this.#apiKey}` : this.#apiKey;
  }

  #send(req: JsonRequest, allowNotFound = false) {
    this.calls++;
    return sendJson(this.#dispatcher, { ...req, headers: { authorization: this.#authorization() } }, { allowNotFound });
  }
}
