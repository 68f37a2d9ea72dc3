/**
 * The OZmap API v2 subset of the reservation flow (docs/architecture.md, "OZmap facts"). Handlers are synchronous
 * functions of the parsed request: a reservation's check-and-set runs in one turn of the event loop, and the server may
 * still decide (fault phase 'after') to drop the answer after the change is made.
 */
import type { z } from 'zod';
import { parseListQuery, parseSelect, project, runListQuery } from './filters.ts';
import { ApiError, type ApiResult, isAuthorized, ok, validationError } from './http.ts';
import { Router } from './router.ts';
import {
  CreateBoxBody,
  CreateClientBody,
  CreatePoleBody,
  CreatePoleTypeBody,
  CreateProjectBody,
  CreatePropertyBody,
  CreateProspectBody,
  CreateSplitterBody,
  LoginBody,
  UpdateClientBody,
  UpdatePoleBody,
  UpdatePropertyBody,
  UpdateProspectBody,
  ViabilityQuery,
} from './schemas.ts';
import { type NearbyBox, type Store, COLLECTIONS } from './store.ts';
import { OCCUPIED_PORT_V2, type Variant, applyListVariants } from './variants.ts';

export interface ApiContext {
  store: Store;
  apiKey: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  /** Tenant variants (variants.ts); none by default. */
  variants?: ReadonlySet<Variant>;
}

const NO_VARIANTS: ReadonlySet<Variant> = new Set();

export interface ApiHandler {
  (ctx: ApiContext): ApiResult;
}

export interface ApiRoute {
  /** Reachable without an API key (only the login). */
  public: boolean;
  run: ApiHandler;
}

export const API_PREFIX = '/api/v2';

/** [SIM] "Raio de busca padrão" is a per-tenant setting; 250 m matches this project's default. */
export const DEFAULT_VIABILITY_RADIUS = 250;

function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  if (body === undefined) throw new ApiError(400, `A JSON body is required (${what})`);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error, what);
  return parsed.data;
}

const selected = (ctx: ApiContext, row: object): object => project(row, parseSelect(ctx.query.get('select') ?? ''));

/**
 * [SIM, invented: only `viable` is known, OZmap fact O20] `viables` are boxes in the radius that are not
 * "Em projeto" and have a free port on a drop splitter; `notViables` are the other boxes in the radius.
 */
function viability(store: Store, query: URLSearchParams): ApiResult {
  const parsed = ViabilityQuery.safeParse(Object.fromEntries(query.entries()));
  if (!parsed.success) throw validationError(parsed.error, 'ftth-viability query');
  const { lat, lng, radius = DEFAULT_VIABILITY_RADIUS } = parsed.data;
  const summary = ({ box, distance, splitters }: NearbyBox) => {
    const withFree = splitters.filter((s) => s.freePorts.length > 0);
    return {
      id: box.id,
      name: box.name,
      distance: Math.round(distance * 10) / 10,
      freePorts: withFree.reduce((sum, s) => sum + s.freePorts.length, 0),
      implanted: box.implanted,
      draft: box.draft,
      boxType: box.boxType,
      lat: box.lat,
      lng: box.lng,
      splitters: withFree.map(({ splitter, freePorts }) => ({ id: splitter.id, name: splitter.name, freePorts })),
    };
  };
  const boxes = store.boxesNear({ lat, lng }, radius).map(summary);
  const viables = boxes.filter((b) => !b.draft && b.freePorts > 0);
  const notViables = boxes.filter((b) => b.draft || b.freePorts === 0);
  return ok({ viable: viables.length > 0, radius, lat, lng, viables, notViables });
}

function login(ctx: ApiContext): ApiResult {
  const body = parseBody(LoginBody, ctx.body ?? {}, 'login body');
  const secret = body.apiKey ?? body.password;
  if (secret === undefined || !isAuthorized(secret, ctx.apiKey)) throw new ApiError(401, 'Invalid credentials');
  return ok({ authorization: ctx.apiKey });
}

export function apiRouter(): Router<ApiRoute> {
  const router = new Router<ApiRoute>();
  const route = (method: string, path: string, run: ApiHandler, isPublic = false) =>
    router.add(method, `${API_PREFIX}${path}`, { public: isPublic, run });

  route('GET', '/authenticated', ({ store }) => ok({ authenticated: true, user: store.apiUser }));
  route('POST', '/users/login', login, true);

  for (const collection of COLLECTIONS) {
    const base = `${API_PREFIX}/${collection}`;
    route('GET', `/${collection}`, (ctx) => {
      const query = applyListVariants(parseListQuery(ctx.query, ctx.body), ctx.variants ?? NO_VARIANTS);
      return ok(runListQuery(ctx.store.list(collection, query.filter), query, base));
    });
    route('GET', `/${collection}/:id`, (ctx) => ok(selected(ctx, ctx.store.get(collection, ctx.params.id ?? ''))));
  }

  route('GET', '/properties/client/:code', (ctx) =>
    ok(ctx.store.propertiesByClientCode(ctx.params.code ?? '').map((p) => selected(ctx, p))),
  );
  /** A taken or blocked port is refused alike by a create and by a move (OZmap fact O13), in the tenant's body. */
  const refusingTaken = <T>(ctx: ApiContext, write: () => T): T | ReturnType<typeof OCCUPIED_PORT_V2> => {
    try {
      return write();
    } catch (error) {
      const taken = error instanceof ApiError && /already occupied|is blocked/.test(error.message);
      if (taken && ctx.variants?.has('occupied-port-body-v2')) return OCCUPIED_PORT_V2(error.message);
      throw error;
    }
  };
  route('POST', '/properties', (ctx) => {
    const body = parseBody(CreatePropertyBody, ctx.body, 'property');
    return refusingTaken(ctx, () => ok(ctx.store.createProperty(body), 201));
  });
  // A move (box, connector, port) is checked whole before anything changes: the old port is freed in the same step.
  route('PATCH', '/properties/:id', (ctx) => {
    const patch = parseBody(UpdatePropertyBody, ctx.body, 'property update');
    return refusingTaken(ctx, () => ok(ctx.store.updateProperty(ctx.params.id ?? '', patch)));
  });
  route('DELETE', '/properties/:id', (ctx) => {
    const id = ctx.params.id ?? '';
    // delete-keeps-client: detach the client first, so the delete cannot take it along.
    if (ctx.variants?.has('delete-keeps-client') && ctx.store.find('properties', id))
      ctx.store.updateProperty(id, { client: null });
    return ok(ctx.store.deleteProperty(id));
  });

  route('POST', '/ftth-clients', (ctx) =>
    ok(ctx.store.createClient(parseBody(CreateClientBody, ctx.body, 'FTTH client')), 201),
  );
  route('PATCH', '/ftth-clients/:id', (ctx) =>
    ok(ctx.store.updateClient(ctx.params.id ?? '', parseBody(UpdateClientBody, ctx.body, 'FTTH client update'))),
  );
  route('DELETE', '/ftth-clients/:id', (ctx) => ok(ctx.store.deleteClient(ctx.params.id ?? '')));

  route('GET', '/ftth-viability/radius', ({ store, query }) => viability(store, query));

  // The physical layer, as the SDK's create DTOs send it, so a test can build any network it needs (DESIGN §2.5).
  // The account's projects (OZmap fact O24) are listed by the collection routes above.
  route('POST', '/projects', (ctx) =>
    ok(ctx.store.createProject(parseBody(CreateProjectBody, ctx.body, 'project')), 201),
  );
  route('POST', '/pole-types', (ctx) =>
    ok(ctx.store.createPoleType(parseBody(CreatePoleTypeBody, ctx.body, 'pole type')), 201),
  );
  route('POST', '/poles', (ctx) => ok(ctx.store.createPole(parseBody(CreatePoleBody, ctx.body, 'pole')), 201));
  route('PATCH', '/poles/:id', (ctx) =>
    ok(ctx.store.updatePole(ctx.params.id ?? '', parseBody(UpdatePoleBody, ctx.body, 'pole update'))),
  );
  route('POST', '/boxes', (ctx) => ok(ctx.store.createBox(parseBody(CreateBoxBody, ctx.body, 'box')), 201));
  route('POST', '/splitters', (ctx) =>
    ok(ctx.store.createSplitter(parseBody(CreateSplitterBody, ctx.body, 'splitter')), 201),
  );

  // Prospects, as the SDK's ProspectProxy sends them (listed and read by the collection routes above).
  route('POST', '/prospects', (ctx) =>
    ok(ctx.store.createProspect(parseBody(CreateProspectBody, ctx.body, 'prospect')), 201),
  );
  route('PATCH', '/prospects/:id', (ctx) =>
    ok(ctx.store.updateProspect(ctx.params.id ?? '', parseBody(UpdateProspectBody, ctx.body, 'prospect update'))),
  );
  route('DELETE', '/prospects/:id', (ctx) => ok(ctx.store.deleteProspect(ctx.params.id ?? '')));
  return router;
}
