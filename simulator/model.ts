/**
 * The records the simulator keeps, shaped as OZmap API v2 returns them (OZmap facts O6, O7, O11, and the official SDK's
 * zod schemas). Stored records are exactly the response bodies, except that a property keeps its client as an id and
 * is populated when read. Drops are kept only to free ports, cascade deletes and keep the poles a drop hangs on; they
 * have no route here.
 */

export interface CreatorData {
  id: string;
  name: string;
  username: string;
}

/** Fields every OZmap document has (SDK `BaseModelSchema`). `external_id` is omitted, never null, when unset. */
export interface BaseRecord {
  _id: string;
  id: string;
  createdAt: string;
  updatedAt: string;
  creatorData: CreatorData;
  external_id?: string;
}

/** `[lng, lat]`, GeoJSON order, as OZmap stores `coords`. */
export type LngLat = [number, number];

export interface BoxRecord extends BaseRecord {
  kind: 'Box';
  name: string;
  project: string;
  /** The pole (or point) the box hangs on: always an id of `NetworkState.poles`. */
  pole: string;
  boxType: string;
  hierarchyLevel: number;
  coords: LngLat;
  lat: number;
  lng: number;
  address: string;
  observation?: string;
  tags: string[];
  /** Cables attached to the box; here, the drops of its properties. */
  cables: string[];
  implanted: boolean;
  /** "Em projeto" (in design): never offered for sale (OZmap fact O8). */
  draft: boolean;
  certified: boolean;
  shared: boolean;
  default_reserve: number;
  underground: boolean;
}

export interface SplitterPort {
  id: string;
  /** 0-based; `ports[i]` describes output port i + 1 [inferred: OZmap fact O11]. */
  index: number;
  blocked: boolean;
  tags: string[];
  observation?: string;
}

export interface SplitterRecord extends BaseRecord {
  kind: 'Splitter';
  name: string;
  label: string;
  /** The box id. */
  parent: string;
  project: string;
  splitterType: string;
  /** true = "splitter de atendimento" (service/drop): the only kind that takes clients. */
  isDrop: boolean;
  implanted: boolean;
  /** Position among the box's splitters. */
  index: number;
  /** Fiber ids; `output[N - 1]` is the fiber on port N, or null when nothing is connected. */
  connectables: { input: (string | null)[]; output: (string | null)[] };
  ports: SplitterPort[];
  ratio: { input: number; output: number };
  attenuation: number[];
  isBalanced: boolean;
  observation?: string;
}

export interface Onu {
  user_PPPoE: string;
  serial_number: string;
  mac_address: string;
}

export interface ClientRecord extends BaseRecord {
  kind: 'FTTHClient';
  code: string;
  name?: string;
  observation?: string;
  /** false = "Não implantado": a reservation that has not been installed yet. */
  implanted: boolean;
  certified: boolean;
  /** 0 = OK, 1 = ERROR. */
  status: 0 | 1;
  onu: Onu;
  tags: string[];
}

export interface PropertyConnection {
  /** The splitter id. */
  id: string;
  kind: 'Splitter';
  port: number;
  name: string;
  implanted: boolean;
  fiber: string;
}

export interface PropertyRecord extends BaseRecord {
  kind: 'Property';
  project: string;
  box: string | null;
  coords: LngLat;
  lat: number;
  lng: number;
  address: string;
  observation: string;
  tags: string[];
  /** Client id while stored; populated with the client document in responses. */
  client: string | null;
  drop: string | null;
  connections: PropertyConnection[];
  /** The pole given on create or update (CreatePropertyDTO `pole`); absent when none was given. */
  pole?: string;
  /** The poles the drop hangs on, the customer's end first (CreatePropertyDTO `drop_poles`); absent when not given. */
  drop_poles?: string[];
}

/** A property as the API returns it: the client populated. */
export type PropertyView = Omit<PropertyRecord, 'client'> & { client: ClientRecord | null };

/** A pole a cable hangs on, with the slack (metres) left there, as OZmap's Cable `poles` holds it. */
export interface CablePole {
  id: string;
  reserve: number;
}

/** The drop cable from a box to a property, with its one fiber. Internal: the simulator serves no cable routes. */
export interface DropRecord {
  id: string;
  kind: 'Drop';
  box: string;
  property: string;
  fiber: string;
  createdAt: string;
  /** The property's `drop_poles`, in order, each with `reserve: 0`; absent when the property was given none. */
  poles?: CablePole[];
}

/**
 * A pole type (SDK PoleTypeSchema). Only poles of a type with `viabilityAllowed` serve feasibility along the poles
 * (OZloc's pole mode).
 */
export interface PoleTypeRecord extends BaseRecord {
  name: string;
  /** Prefix of the names of new poles of this type. */
  prefix: string;
  viabilityAllowed: boolean;
  color: string;
  description: string;
}

export interface PoleLicensing {
  /** 0 unknown, 1 pending, 2 licensed. */
  status: 0 | 1 | 2;
  protocol: string | null;
}

/**
 * A pole (SDK PoleSchema; the documented answer of GET /poles has `kind: "Pole"`, the SDK schema says "POLE").
 * `adjacents` are the poles a cable may run to from here; the seeded town lists every adjacency on both poles, the
 * API stores what it is given (a consumer should read an adjacency listed on either pole as both ways).
 */
export interface PoleRecord extends BaseRecord {
  kind: 'Pole';
  name: string;
  /** [SIM] the project whose area holds the pole (the SDK's pole has none; OZmap documents belong to one). */
  project: string;
  poleType: string;
  coords: LngLat;
  lat: number;
  lng: number;
  adjacents: string[];
  usable: boolean;
  observation: string;
  tags: string[];
  licensing: PoleLicensing;
  address?: string;
  color?: string;
}

/** A project (SDK ProjectSchema); `drop.maxSize` is the longest drop, in metres, OZmap draws in it. */
export interface ProjectRecord extends BaseRecord {
  name: string;
  identifier?: string;
  parents: { project: string }[];
  lat: number;
  lng: number;
  defaultPonPotency: number;
  defaultDropSize?: number;
  hasLogo: boolean;
  drop: { type: { cableType: string }; maxSize: number };
  area: { type: 'Polygon'; coordinates: LngLat[][] };
}

/**
 * A prospect (SDK ProspectSchema): a would-be customer, e.g. one recorded where there was no coverage. The SDK makes
 * every field optional and nullable; here the text fields and `viable` are always present, null when not given
 * (`viable: null` = not judged yet), and the position is required [SIM: a prospect is a point on the map, and `near`
 * needs one]. No `kind`: the SDK's schema has none and no documented answer shows one.
 */
export interface ProspectRecord extends BaseRecord {
  name: string | null;
  code: string | null;
  phone: string | null;
  address: string | null;
  coords: LngLat;
  lat: number;
  lng: number;
  viable: boolean | null;
  observation: string | null;
  tags: string[];
}

export interface CatalogEntry {
  id: string;
  code: string;
  description: string;
}

/** Everything the simulator knows; this is also the state file's payload. */
export interface NetworkState {
  seed: number;
  users: { designer: CreatorData; api: CreatorData };
  boxTypes: CatalogEntry[];
  splitterTypes: CatalogEntry[];
  /** The seeded network's project first. */
  projects: ProjectRecord[];
  poleTypes: PoleTypeRecord[];
  poles: PoleRecord[];
  boxes: BoxRecord[];
  splitters: SplitterRecord[];
  properties: PropertyRecord[];
  clients: ClientRecord[];
  drops: DropRecord[];
  prospects: ProspectRecord[];
}

/**
 * [SIM] The seeded project's longest drop, in metres (`drop.maxSize`), and the default of a project created without
 * `drop`. OZmap's own default is not documented.
 */
export const DEFAULT_DROP_MAX_SIZE = 300;

/** A port can take a client when nothing is connected to it and it is not blocked (OZmap fact O11). */
export const isPortFree = (splitter: SplitterRecord, port: number): boolean =>
  port >= 1 &&
  port <= splitter.connectables.output.length &&
  splitter.connectables.output[port - 1] === null &&
  splitter.ports[port - 1]?.blocked !== true;

/** Free port numbers (1-based) of a splitter. */
export const freePortsOf = (splitter: SplitterRecord): number[] =>
  splitter.connectables.output.flatMap((_, i) => (isPortFree(splitter, i + 1) ? [i + 1] : []));
