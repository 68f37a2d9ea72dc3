/**
 * Request bodies, validated with zod and turned into the store's inputs. Field names follow the SDK's DTOs
 * (CreatePropertyDTO, CreateFTTHClientDTO, UpdateFTTHClientDTO, UpdatePropertyDTO, CreateProjectDTO,
 * CreatePoleTypeDTO, CreatePoleDTO, UpdatePoleDTO, CreateBoxDTO, CreateSplitterDTO, CreateProspectDTO,
 * UpdateProspectDTO; OZmap facts O12, O17, O21).
 * Unknown fields are ignored, as a real API tolerates newer clients; wrong types are a 400 naming each field.
 */
import { z } from 'zod';
import type { LngLat } from './model.ts';
import type {
  ClientPatch,
  NewBox,
  NewClient,
  NewPole,
  NewPoleType,
  NewProject,
  NewProperty,
  NewSplitter,
  NewProspect,
  PolePatch,
  PropertyPatch,
  ProspectPatch,
} from './store.ts';

export const objectId = z.string().regex(/^[0-9a-fA-F]{24}$/, 'must be a 24-character hexadecimal ObjectId');

/** Numbers, or numeric strings as some integrations send them (OZmap's own examples send lat/lng as strings). */
const numeric = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
    .transform(Number),
]);
const latitude = numeric.pipe(
  z.number().min(-90, 'must be a latitude (-90..90)').max(90, 'must be a latitude (-90..90)'),
);
const longitude = numeric.pipe(
  z.number().min(-180, 'must be a longitude (-180..180)').max(180, 'must be a longitude (-180..180)'),
);
const lngLat = z.tuple([longitude, latitude], { error: 'must be [lng, lat]' });

/** OZmap stores external_id as a string; numbers are accepted and stringified [SIM]. */
const externalId = z.union([z.string(), z.number()]).transform(String);
const tags = z.array(objectId);
const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);

/** A drop hangs on a few dozen poles at most; the cap only bounds the work a request can ask for [SIM]. */
const MAX_DROP_POLES = 1000;

const onu = z.object({ user_PPPoE: z.string(), serial_number: z.string(), mac_address: z.string() }).partial();

const ClientFields = z.object({
  code: text(100).min(1, 'must not be empty').optional(),
  name: text(200).optional(),
  observation: text(2000).nullish(),
  implanted: z.boolean().optional(),
  certified: z.boolean().optional(),
  status: z.union([z.literal(0), z.literal(1)], { error: 'must be 0 (OK) or 1 (ERROR)' }).optional(),
  onu: onu.optional(),
  tags: tags.optional(),
  external_id: externalId.optional(),
});

const toNewClient = (c: z.infer<typeof ClientFields>): NewClient => ({
  ...(c.code === undefined ? {} : { code: c.code }),
  ...(c.name === undefined ? {} : { name: c.name }),
  ...(c.observation == null ? {} : { observation: c.observation }),
  implanted: c.implanted ?? false,
  certified: c.certified ?? false,
  status: c.status ?? 0,
  ...(c.onu === undefined ? {} : { onu: c.onu }),
  tags: c.tags ?? [],
  ...(c.external_id === undefined ? {} : { externalId: c.external_id }),
});

/** POST /ftth-clients. */
export const CreateClientBody = ClientFields.transform(toNewClient);

/** PATCH /ftth-clients/:id. */
export const UpdateClientBody = ClientFields.transform((c): ClientPatch => ({
  ...(c.code === undefined ? {} : { code: c.code }),
  ...(c.name === undefined ? {} : { name: c.name }),
  ...(c.observation == null ? {} : { observation: c.observation }),
  ...(c.implanted === undefined ? {} : { implanted: c.implanted }),
  ...(c.certified === undefined ? {} : { certified: c.certified }),
  ...(c.status === undefined ? {} : { status: c.status }),
  ...(c.onu === undefined ? {} : { onu: c.onu }),
  ...(c.tags === undefined ? {} : { tags: c.tags }),
  ...(c.external_id === undefined ? {} : { externalId: c.external_id }),
}));

const PropertyFields = z.object({
  box: objectId.nullish(),
  connector: objectId.nullish(),
  port: z.number().int('must be a whole number').positive('must be 1 or more').optional(),
  auto_connect: z.boolean().optional(),
  force: z.boolean().optional(),
  coords: lngLat.optional(),
  lat: latitude.optional(),
  lng: longitude.optional(),
  address: text(500).nullish(),
  observation: text(2000).nullish(),
  tags: tags.optional(),
  pole: objectId.nullish(),
  drop_poles: z.array(objectId).max(MAX_DROP_POLES, `must list at most ${MAX_DROP_POLES} poles`).optional(),
  potencyRead: z.number().nullish(),
  external_id: externalId.optional(),
});

/** coords wins; lat and lng go together; when both forms are given they must agree (a swapped pair is a bug). */
function position(body: { coords?: LngLat; lat?: number; lng?: number }, ctx: z.RefinementCtx): LngLat | undefined {
  if ((body.lat === undefined) !== (body.lng === undefined)) {
    ctx.addIssue({
      code: 'custom',
      path: [body.lat === undefined ? 'lat' : 'lng'],
      message: 'lat and lng go together: give both, or coords [lng, lat]',
    });
    return undefined;
  }
  if (body.lat === undefined || body.lng === undefined) return body.coords;
  if (body.coords && (Math.abs(body.coords[0] - body.lng) > 1e-6 || Math.abs(body.coords[1] - body.lat) > 1e-6)) {
    ctx.addIssue({ code: 'custom', path: ['coords'], message: 'coords [lng, lat] disagrees with lat/lng' });
  }
  return body.coords ?? [body.lng, body.lat];
}

/**
 * POST /properties. `force` is accepted and ignored: it never lets a client take an occupied port (SGP FAQ).
 * Without coords the property is placed at its box [SIM]; OZmap's own exercise posts none.
 */
export const CreatePropertyBody = PropertyFields.extend({
  project: objectId.optional(),
  client: z.union([objectId, ClientFields]).nullish(),
}).transform((body, ctx): NewProperty => {
  const coords = position(body, ctx);
  if (body.box == null && body.connector == null) {
    ctx.addIssue({ code: 'custom', path: ['box'], message: 'is required (the box the property is attached to)' });
  }
  return {
    ...(body.project === undefined ? {} : { project: body.project }),
    ...(body.box == null ? {} : { box: body.box }),
    ...(body.connector == null ? {} : { connector: body.connector }),
    ...(body.port === undefined ? {} : { port: body.port }),
    autoConnect: body.auto_connect ?? false,
    ...(coords === undefined ? {} : { coords }),
    ...(body.address == null ? {} : { address: body.address }),
    ...(body.observation == null ? {} : { observation: body.observation }),
    tags: body.tags ?? [],
    ...(body.external_id === undefined ? {} : { externalId: body.external_id }),
    ...(body.client == null
      ? {}
      : { client: typeof body.client === 'string' ? body.client : toNewClient(body.client) }),
    ...(body.pole == null ? {} : { pole: body.pole }),
    ...(body.drop_poles === undefined ? {} : { dropPoles: body.drop_poles }),
  };
});

/** PATCH /properties/:id. `connector: null` disconnects the port; `client: null` detaches the client. */
export const UpdatePropertyBody = PropertyFields.extend({
  client: z.union([objectId, ClientFields, z.null()]).optional(),
}).transform((body, ctx): PropertyPatch => {
  const coords = position(body, ctx);
  return {
    ...(body.box == null ? {} : { box: body.box }),
    ...(body.connector === undefined ? {} : { connector: body.connector }),
    ...(body.port === undefined ? {} : { port: body.port }),
    ...(body.auto_connect === undefined ? {} : { autoConnect: body.auto_connect }),
    ...(coords === undefined ? {} : { coords }),
    ...(body.address == null ? {} : { address: body.address }),
    ...(body.observation == null ? {} : { observation: body.observation }),
    ...(body.tags === undefined ? {} : { tags: body.tags }),
    ...(body.external_id === undefined ? {} : { externalId: body.external_id }),
    ...(body.client === undefined
      ? {}
      : { client: body.client === null || typeof body.client === 'string' ? body.client : toNewClient(body.client) }),
    ...(body.pole === undefined ? {} : { pole: body.pole }),
    ...(body.drop_poles === undefined ? {} : { dropPoles: body.drop_poles }),
  };
});

// ---- the physical layer ----------------------------------------------------------------------------------------

const name = text(200).min(1, 'must not be empty');
const optionalExternalId = { external_id: externalId.optional() };
const withExternalId = (id: string | undefined) => (id === undefined ? {} : { externalId: id });

/** POST /projects (CreateProjectDTO: only `name` is required; the SDK fills lat and lng with 0). */
export const CreateProjectBody = z
  .object({
    name,
    identifier: text(200).optional(),
    parents: z.array(z.object({ project: objectId })).optional(),
    lat: latitude.optional(),
    lng: longitude.optional(),
    defaultPonPotency: z.number().optional(),
    defaultDropSize: z.number().nonnegative('must be 0 or more').optional(),
    drop: z
      .object({
        type: z.object({ cableType: objectId }),
        maxSize: z.number().positive('must be more than 0 metres'),
      })
      .optional(),
    area: z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(lngLat)) }).optional(),
    ...optionalExternalId,
  })
  .transform((body): NewProject => ({
    name: body.name,
    ...(body.identifier === undefined ? {} : { identifier: body.identifier }),
    parents: body.parents ?? [],
    lat: body.lat ?? 0,
    lng: body.lng ?? 0,
    ...(body.defaultPonPotency === undefined ? {} : { defaultPonPotency: body.defaultPonPotency }),
    ...(body.defaultDropSize === undefined ? {} : { defaultDropSize: body.defaultDropSize }),
    ...(body.drop === undefined ? {} : { drop: body.drop }),
    ...(body.area === undefined ? {} : { area: body.area }),
    ...withExternalId(body.external_id),
  }));

/** POST /pole-types (CreatePoleTypeDTO: `name` and `description` required, the rest with the SDK's defaults). */
export const CreatePoleTypeBody = z
  .object({
    name,
    description: text(2000),
    prefix: text(20).optional(),
    viabilityAllowed: z.boolean().optional(),
    color: text(20).optional(),
    ...optionalExternalId,
  })
  .transform((body): NewPoleType => ({
    name: body.name,
    description: body.description,
    prefix: body.prefix ?? 'P_',
    viabilityAllowed: body.viabilityAllowed ?? true,
    color: body.color ?? '#3388FF',
    ...withExternalId(body.external_id),
  }));

const licensing = z.object({
  status: z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'must be 0, 1 or 2' }).optional(),
  protocol: z.string().nullish(),
});

const PoleFields = z.object({
  name: text(200).optional(),
  coords: lngLat.optional(),
  lat: latitude.optional(),
  lng: longitude.optional(),
  poleType: objectId.optional(),
  project: objectId.optional(),
  adjacents: z.array(objectId).max(1000, 'must list at most 1000 poles').optional(),
  usable: z.boolean().optional(),
  observation: text(2000).optional(),
  tags: tags.optional(),
  licensing: licensing.optional(),
  address: text(500).optional(),
  color: text(30).optional(),
  ...optionalExternalId,
});

const toLicensing = (l: z.infer<typeof licensing>) => ({ status: l.status ?? 0, protocol: l.protocol ?? null });

/** POST /poles (CreatePoleDTO: `poleType`, and `coords` or `lat` + `lng`). */
export const CreatePoleBody = PoleFields.transform((body, ctx): NewPole => {
  const coords = position(body, ctx);
  if (coords === undefined) ctx.addIssue({ code: 'custom', path: ['coords'], message: 'give coords or lat and lng' });
  if (body.poleType === undefined) ctx.addIssue({ code: 'custom', path: ['poleType'], message: 'is required' });
  return {
    ...(body.name === undefined ? {} : { name: body.name }),
    coords: coords ?? [0, 0],
    poleType: body.poleType ?? '',
    ...(body.project === undefined ? {} : { project: body.project }),
    adjacents: [...new Set(body.adjacents ?? [])],
    usable: body.usable ?? true,
    observation: body.observation ?? '',
    tags: body.tags ?? [],
    licensing: toLicensing(body.licensing ?? {}),
    ...(body.address === undefined ? {} : { address: body.address }),
    ...(body.color === undefined ? {} : { color: body.color }),
    ...withExternalId(body.external_id),
  };
});

/** PATCH /poles/:id (UpdatePoleDTO: everything optional; `adjacents` replaces the list). */
export const UpdatePoleBody = PoleFields.transform((body, ctx): PolePatch => {
  const coords = position(body, ctx);
  return {
    ...(body.name === undefined ? {} : { name: body.name }),
    ...(coords === undefined ? {} : { coords }),
    ...(body.poleType === undefined ? {} : { poleType: body.poleType }),
    ...(body.adjacents === undefined ? {} : { adjacents: [...new Set(body.adjacents)] }),
    ...(body.usable === undefined ? {} : { usable: body.usable }),
    ...(body.observation === undefined ? {} : { observation: body.observation }),
    ...(body.tags === undefined ? {} : { tags: body.tags }),
    ...(body.licensing === undefined ? {} : { licensing: toLicensing(body.licensing) }),
    ...(body.address === undefined ? {} : { address: body.address }),
    ...(body.color === undefined ? {} : { color: body.color }),
    ...withExternalId(body.external_id),
  };
});

/** POST /boxes (CreateBoxDTO: project, coords, boxType, hierarchyLevel and implanted required). */
export const CreateBoxBody = z
  .object({
    project: objectId,
    name: text(200).optional(),
    pole: objectId.optional(),
    max_distance: z.number().nonnegative('must be 0 or more metres').optional(),
    boxType: objectId,
    hierarchyLevel: z.number().int('must be a whole number'),
    coords: lngLat,
    address: text(500).optional(),
    observation: text(2000).optional(),
    tags: tags.optional(),
    implanted: z.boolean(),
    draft: z.boolean().optional(),
    certified: z.boolean().optional(),
    shared: z.boolean().optional(),
    default_reserve: z.number().nonnegative('must be 0 or more').optional(),
    ...optionalExternalId,
  })
  .transform((body): NewBox => ({
    project: body.project,
    ...(body.name === undefined ? {} : { name: body.name }),
    ...(body.pole === undefined ? {} : { pole: body.pole }),
    ...(body.max_distance === undefined ? {} : { maxDistance: body.max_distance }),
    boxType: body.boxType,
    hierarchyLevel: body.hierarchyLevel,
    coords: body.coords,
    ...(body.address === undefined ? {} : { address: body.address }),
    ...(body.observation === undefined ? {} : { observation: body.observation }),
    tags: body.tags ?? [],
    implanted: body.implanted,
    draft: body.draft ?? false,
    certified: body.certified ?? false,
    shared: body.shared ?? false,
    defaultReserve: body.default_reserve ?? 0,
    ...withExternalId(body.external_id),
  }));

/**
 * POST /splitters (CreateSplitterDTO: `parent` box and `splitterType` required). The outputs come from the type;
 * `ports` and `attenuation`, when given, must have one entry per output.
 */
export const CreateSplitterBody = z
  .object({
    parent: objectId,
    splitterType: objectId,
    name: text(200).optional(),
    label: text(200).optional(),
    index: z.number().int('must be a whole number').nonnegative('must be 0 or more').optional(),
    isDrop: z.boolean().optional(),
    implanted: z.boolean().optional(),
    attenuation: z.array(z.number()).max(256).optional(),
    ports: z
      .array(
        z.object({
          index: z.number().int().nonnegative().optional(),
          blocked: z.boolean().optional(),
          tags: tags.optional(),
          observation: text(2000).optional(),
        }),
      )
      .max(256)
      .optional(),
    observation: text(2000).optional(),
    ...optionalExternalId,
  })
  .transform((body): NewSplitter => ({
    parent: body.parent,
    splitterType: body.splitterType,
    ...(body.name === undefined ? {} : { name: body.name }),
    ...(body.label === undefined ? {} : { label: body.label }),
    ...(body.index === undefined ? {} : { index: body.index }),
    ...(body.isDrop === undefined ? {} : { isDrop: body.isDrop }),
    implanted: body.implanted ?? true,
    ...(body.attenuation === undefined ? {} : { attenuation: body.attenuation }),
    ...(body.ports === undefined
      ? {}
      : {
          ports: body.ports.map((p) => ({
            blocked: p.blocked ?? false,
            tags: p.tags ?? [],
            ...(p.observation === undefined ? {} : { observation: p.observation }),
          })),
        }),
    ...(body.observation === undefined ? {} : { observation: body.observation }),
    ...withExternalId(body.external_id),
  }));

// ---- prospects ---------------------------------------------------------------------------------------------------

const ProspectFields = z.object({
  name: text(200).nullish(),
  code: text(100).nullish(),
  phone: text(50).nullish(),
  address: text(500).nullish(),
  coords: lngLat.nullish(),
  lat: latitude.optional(),
  lng: longitude.optional(),
  viable: z.boolean().nullish(),
  observation: text(2000).nullish(),
  tags: tags.optional(),
  ...optionalExternalId,
});

/**
 * POST /prospects (CreateProspectDTO: every field optional and nullable). A position, `coords` [lng, lat] or `lat` +
 * `lng`, is required [SIM]; the rest defaults to null (`viable: null`: not judged) and `tags` to [].
 */
export const CreateProspectBody = ProspectFields.transform((body, ctx): NewProspect => {
  const coords = position({ ...body, coords: body.coords ?? undefined }, ctx);
  if (coords === undefined) ctx.addIssue({ code: 'custom', path: ['coords'], message: 'give coords or lat and lng' });
  return {
    name: body.name ?? null,
    code: body.code ?? null,
    phone: body.phone ?? null,
    address: body.address ?? null,
    coords: coords ?? [0, 0],
    viable: body.viable ?? null,
    observation: body.observation ?? null,
    tags: body.tags ?? [],
    ...withExternalId(body.external_id),
  };
});

/**
 * PATCH /prospects/:id (UpdateProspectDTO: CreateProspectDTO, all optional). null clears a text field or `viable`;
 * the position may move but not go [SIM].
 */
export const UpdateProspectBody = ProspectFields.transform((body, ctx): ProspectPatch => {
  if (body.coords === null) {
    ctx.addIssue({ code: 'custom', path: ['coords'], message: 'cannot be cleared: a prospect keeps a position' });
  }
  const coords = position({ ...body, coords: body.coords ?? undefined }, ctx);
  return {
    ...(body.name === undefined ? {} : { name: body.name }),
    ...(body.code === undefined ? {} : { code: body.code }),
    ...(body.phone === undefined ? {} : { phone: body.phone }),
    ...(body.address === undefined ? {} : { address: body.address }),
    ...(coords === undefined ? {} : { coords }),
    ...(body.viable === undefined ? {} : { viable: body.viable }),
    ...(body.observation === undefined ? {} : { observation: body.observation }),
    ...(body.tags === undefined ? {} : { tags: body.tags }),
    ...withExternalId(body.external_id),
  };
});

/**
 * POST /users/login: `{apiKey}` (what the SDK posts) or `{login, password}`. The simulator has one user whose
 * password is the API key [SIM].
 */
export const LoginBody = z.object({
  apiKey: z.string().optional(),
  login: z.string().optional(),
  password: z.string().optional(),
});

/** GET /ftth-viability/radius query. */
export const ViabilityQuery = z.object({
  lat: latitude,
  lng: longitude,
  radius: numeric
    .pipe(z.number().positive('must be more than 0').max(50_000, 'must be at most 50000 metres'))
    .optional(),
});

/** POST /__sim/reset: optionally a new seed. */
export const ResetBody = z.strictObject({
  seed: z.number().int('must be a whole number').min(0).max(0xffffffff).optional(),
});
