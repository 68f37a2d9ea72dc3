/**
 * Request bodies, validated with zod and turned into the store's inputs. Field names follow the SDK's DTOs
 * (CreatePropertyDTO, CreateFTTHClientDTO, UpdateFTTHClientDTO, UpdatePropertyDTO; OZmap facts O12, O17, O21).
 * Unknown fields are ignored, as a real API tolerates newer clients; wrong types are a 400 naming each field.
 */
import { z } from 'zod';
import type { LngLat } from './model.ts';
import type { ClientPatch, NewClient, NewProperty, PropertyPatch } from './store.ts';

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
  drop_poles: z.array(objectId).optional(),
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
