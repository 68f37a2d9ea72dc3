/**
 * The OZmap API v2 calls this service makes (ozmap-api.md §6), over undici, validated with zod.
 * Auth is the raw API key in `Authorization` (no "Bearer"); filters travel as JSON in the query string.
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { createDispatcher, UpstreamHttpError, parseBody, sendJson, type JsonRequest } from '../http.ts';
import { OzBox, OzClient, OzProperty, OzSplitter, page } from './schemas.ts';

export interface OzmapClientOptions {
  /** Host only, e.g. https://acme.ozmap.com.br:9994; the client appends /api/v2. */
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
}

type Filter = { property: string; operator: string; value: unknown };

/** The body of POST /api/v2/properties that reserves a port (CreatePropertyDTO, ozmap-api.md §6.6). */
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
}

export type CreatePropertyResult =
  | { outcome: 'created'; property: OzProperty }
  /** OZmap refused the change (4xx); the caller decides whether the port was taken. */
  | { outcome: 'refused'; status: number; message: string };

const PAGE_LIMIT = 100;
/** A radius search returns tens of boxes; this bounds a misbehaving server's pagination. */
const MAX_PAGES = 20;

export class OzmapClient {
  readonly #base: URL;
  readonly #apiKey: string;
  readonly #dispatcher: Dispatcher;
  /** HTTP calls made, so that tests and benchmarks can count them. */
  calls = 0;

  constructor(options: OzmapClientOptions) {
    this.#base = new URL('/api/v2/', options.baseUrl);
    this.#apiKey = options.apiKey;
    this.#dispatcher = options.dispatcher ?? createDispatcher(options.timeoutMs ?? 15_000);
  }

  /** Boxes within `radiusMeters` of the point that are not "Em projeto", following pagination. */
  /** Boxes within the radius; "Em projeto" (draft) ones only when asked, to show them as such. */
  async findBoxesNear(
    point: { lat: number; lng: number },
    radiusMeters: number,
    options: { includeDrafts?: boolean } = {},
  ): Promise<OzBox[]> {
    return this.#list('boxes', OzBox, [
      { property: 'coords', operator: 'near', value: { lat: point.lat, lng: point.lng, radius: radiusMeters } },
      ...(options.includeDrafts ? [] : [{ property: 'draft', operator: '!=', value: true }]),
    ]);
  }

  /** The service (drop) splitters of the given boxes, in one query. */
  async findDropSplitters(boxIds: string[]): Promise<OzSplitter[]> {
    if (boxIds.length === 0) return [];
    return this.#list('splitters', OzSplitter, [
      { property: 'parent', operator: 'in', value: boxIds },
      { property: 'isDrop', operator: '=', value: true },
    ]);
  }

  async getSplitter(id: string): Promise<OzSplitter | null> {
    return this.#get(`splitters/${encodeURIComponent(id)}`, OzSplitter, 'splitter');
  }

  async findPropertyByExternalId(externalId: string): Promise<OzProperty | null> {
    const rows = await this.#list('properties', OzProperty, [
      { property: 'external_id', operator: '=', value: externalId },
    ]);
    return rows[0] ?? null;
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
        return { outcome: 'refused', status: err.status, message: err.message };
      }
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
      ? { id: clientId, code: undefined, implanted: true }
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

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #get<T extends z.ZodType>(route: string, schema: T, what: string): Promise<z.infer<T> | null> {
    const res = await this.#send({ method: 'GET', url: this.#url(route) }, true);
    return res.status === 404 ? null : parseBody(schema, res.body, `GET ${what}`);
  }

  async #list<T extends z.ZodType>(route: string, row: T, filter: Filter[]): Promise<z.infer<T>[]> {
    const rows: z.infer<T>[] = [];
    let url: URL | undefined = this.#url(route, {
      filter: JSON.stringify(filter),
      limit: String(PAGE_LIMIT),
      page: '1',
    });
    for (let pageNumber = 1; url && pageNumber <= MAX_PAGES; pageNumber++) {
      const res = await this.#send({ method: 'GET', url });
      const body = parseBody(page(row), res.body, `GET /${route} page ${pageNumber}`);
      rows.push(...body.rows);
      url = this.#nextPage(body, pageNumber, url);
    }
    return rows;
  }

  /** Follows `nextUrl` when the server gives one (treated as opaque), else asks for the next `page`. */
  #nextPage(
    body: { rows: unknown[]; total?: number; start?: number; hasNextPage?: boolean; nextUrl?: string | null },
    pageNumber: number,
    current: URL,
  ): URL | undefined {
    if (body.hasNextPage === false || body.rows.length === 0) return undefined;
    if (body.hasNextPage && body.nextUrl) return new URL(body.nextUrl, this.#base);
    const seen = (body.start ?? (pageNumber - 1) * PAGE_LIMIT) + body.rows.length;
    if (body.total === undefined ? body.rows.length < PAGE_LIMIT : seen >= body.total) return undefined;
    const next = new URL(current);
    next.searchParams.set('page', String(pageNumber + 1));
    return next;
  }

  #url(route: string, query: Record<string, string> = {}): URL {
    const url = new URL(route, this.#base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  #send(req: JsonRequest, allowNotFound = false) {
    this.calls++;
    return sendJson(this.#dispatcher, { ...req, headers: { authorization: this.#apiKey } }, { allowNotFound });
  }
}
