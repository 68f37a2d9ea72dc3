/**
 * What this client needs of OZmap API v2 responses (see docs/architecture.md, "OZmap facts"), validated at the
 * boundary. OZmap sends many more fields than these: each object is checked for the fields it names and the others are
 * ignored, not copied (every entity is then mapped to our own shape), so one it adds keeps us working, and costs no
 * time: the splitters of one survey are some 70 KB.
 */
import { z } from 'zod';

/** OZmap objects carry `id`, and often `_id` too; some payloads only `_id`. */
const normaliseId = (value: unknown): unknown => {
  if (value && typeof value === 'object' && !('id' in value) && '_id' in value) return { ...value, id: value._id };
  return value;
};
const entity = <S extends z.ZodRawShape>(shape: S) => z.preprocess(normaliseId, z.object({ id: z.string(), ...shape }));

/** A reference that OZmap sends either as an id or as the populated object. */
const Ref = z.union([z.string(), entity({}).transform((o) => o.id)]);

/** Coordinates as OZmap sends them: `coords` [lng, lat], else top-level lat/lng (OZmap fact O6). */
const located = <T extends { coords?: [number, number] | null; lat?: number | null; lng?: number | null }>(
  o: T,
  ctx: z.RefinementCtx,
  what: string,
): { lat: number; lng: number } | typeof z.NEVER => {
  const lng = o.coords?.[0] ?? o.lng;
  const lat = o.coords?.[1] ?? o.lat;
  if (lat == null || lng == null) {
    ctx.addIssue({ code: 'custom', message: `${what} has no coordinates (coords or lat/lng)`, path: ['coords'] });
    return z.NEVER;
  }
  return { lat, lng };
};

export const OzBox = entity({
  name: z.string(),
  /** GeoJSON order: [lng, lat]. */
  coords: z.tuple([z.number(), z.number()]).nullish(),
  lat: z.number().nullish(),
  lng: z.number().nullish(),
  /** true = "Em projeto": never offered. */
  draft: z.boolean().optional(),
  project: Ref.nullish(),
  /** The pole the box hangs on (pole mode: where a drop ends). */
  pole: Ref.nullish(),
}).transform((b, ctx) => {
  const where = located(b, ctx, 'box');
  if (where === z.NEVER) return z.NEVER;
  return {
    id: b.id,
    name: b.name,
    ...where,
    draft: b.draft === true,
    projectId: b.project ?? undefined,
    poleId: b.pole ?? undefined,
  };
});
export type OzBox = z.infer<typeof OzBox>;

/**
 * A pole (pole mode, docs/poles.md): where it stands, its pole type (an id, or populated with `viabilityAllowed`), and
 * the poles a cable may run to from it. Adjacents naming nothing usable are dropped, never fatal: OZmap data is data.
 */
export const OzPole = entity({
  coords: z.tuple([z.number(), z.number()]).nullish(),
  lat: z.number().nullish(),
  lng: z.number().nullish(),
  poleType: z.union([z.string(), entity({ viabilityAllowed: z.boolean().optional() })]).nullish(),
  adjacents: z.array(z.unknown()).max(1000).optional(),
  usable: z.boolean().nullish(),
}).transform((p, ctx) => {
  const where = located(p, ctx, 'pole');
  if (where === z.NEVER) return z.NEVER;
  const type = p.poleType;
  return {
    id: p.id,
    ...where,
    poleTypeId: typeof type === 'string' ? type : type?.id,
    /** Known only when OZmap populated the pole type; otherwise from the pole types' list. */
    viabilityAllowed: typeof type === 'object' && type ? type.viabilityAllowed : undefined,
    usable: p.usable !== false,
    adjacents: (p.adjacents ?? []).flatMap((a) => {
      const id = Ref.safeParse(a).data;
      return id ? [id] : [];
    }),
  };
});
export type OzPole = z.infer<typeof OzPole>;

/** A pole type: whether its poles may serve pole-mode feasibility (SDK `PoleType.viabilityAllowed`, default true). */
export const OzPoleType = entity({ viabilityAllowed: z.boolean().optional() }).transform((t) => ({
  id: t.id,
  viabilityAllowed: t.viabilityAllowed !== false,
}));
export type OzPoleType = z.infer<typeof OzPoleType>;

/** A project's longest drop in metres (SDK `Project.drop.maxSize`), when it sets one. */
export const OzProject = entity({
  drop: z.object({ maxSize: z.number().positive().nullish() }).nullish(),
}).transform((p) => ({ id: p.id, maxDropMeters: p.drop?.maxSize ?? undefined }));
export type OzProject = z.infer<typeof OzProject>;

export const OzSplitter = entity({
  name: z.string().optional(),
  label: z.string().optional(),
  /** The box the splitter sits in. */
  parent: Ref,
  /** true = service ("atendimento") splitter: the only kind whose ports take clients. */
  isDrop: z.boolean().optional(),
  /** output[N-1] is what occupies port N; null = free. */
  connectables: z.object({ output: z.array(z.string().nullable()) }),
  ports: z.array(z.object({ blocked: z.boolean().optional() })).optional(),
}).transform((s) => ({
  id: s.id,
  name: s.name ?? s.label ?? s.id,
  boxId: s.parent,
  isDrop: s.isDrop === true,
  output: s.connectables.output,
  blocked: (s.ports ?? []).map((p) => p.blocked === true),
}));
export type OzSplitter = z.infer<typeof OzSplitter>;

export const OzClient = entity({
  code: z.string().optional(),
  implanted: z.boolean().optional(),
  /** The marker a reservation's client carries (OZmap fact O15); anything but a string is no marker. */
  external_id: z.unknown().optional(),
}).transform((c) => ({
  id: c.id,
  code: c.code,
  implanted: c.implanted === true,
  externalId: typeof c.external_id === 'string' ? c.external_id : undefined,
}));
export type OzClient = z.infer<typeof OzClient>;

export const OzProperty = entity({
  box: Ref.nullish(),
  client: z
    .union([
      z.string().transform((id) => ({ id, code: undefined, implanted: undefined, externalId: undefined })),
      OzClient,
    ])
    .nullish(),
  connections: z.array(z.object({ id: Ref, port: z.number().int().positive().nullish() })).optional(),
}).transform((p) => ({
  id: p.id,
  boxId: p.box ?? undefined,
  /** The client as OZmap sent it: populated (with `implanted`) or only its id. */
  client: p.client ?? undefined,
  connection: p.connections?.find((c) => c.port != null) as { id: string; port: number } | undefined,
}));
export type OzProperty = z.infer<typeof OzProperty>;

/**
 * A prospect (SDK ProspectSchema; docs/demand.md, "Prospects"): what the service reads back of one it made, by its
 * marker. `external_id` is not unique in OZmap: the caller checks the marker and picks among several.
 */
export const OzProspect = entity({
  external_id: z.unknown().optional(),
  viable: z.boolean().nullish(),
  observation: z.string().nullish(),
  createdAt: z.unknown().optional(),
}).transform((p) => ({
  id: p.id,
  externalId: typeof p.external_id === 'string' ? p.external_id : undefined,
  viable: p.viable ?? null,
  observation: p.observation ?? undefined,
  createdAt: typeof p.createdAt === 'string' && !Number.isNaN(Date.parse(p.createdAt)) ? p.createdAt : undefined,
}));
export type OzProspect = z.infer<typeof OzProspect>;

/** OZmap's pagination envelope (2025 shape adds hasNextPage/nextUrl; older servers only total/start/limit). */
export const page = <T extends z.ZodType>(row: T) =>
  z.object({
    total: z.number().optional(),
    start: z.number().optional(),
    limit: z.number().optional(),
    rows: z.array(row),
    hasNextPage: z.boolean().optional(),
    nextUrl: z.string().nullish(),
  });
