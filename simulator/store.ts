/**
 * The simulator's state and every change to it. All methods are synchronous on purpose: Node runs one callback at a
 * time, so a check ("is port 3 free?") and the change that depends on it ("port 3 = fiber") can never interleave
 * with another request. Each mutation validates everything first and only then changes anything, so a refused
 * request leaves no trace.
 */
import { distanceMeters, type LatLng } from './geo.ts';
import { ApiError } from './http.ts';
import { narrow, type FilterNode } from './filters.ts';
import {
  type BoxRecord,
  type CatalogEntry,
  type ClientRecord,
  type CreatorData,
  type DropRecord,
  type LngLat,
  type NetworkState,
  type Onu,
  type PoleLicensing,
  type PoleRecord,
  type PoleTypeRecord,
  type ProjectRecord,
  type PropertyConnection,
  type PropertyRecord,
  type PropertyView,
  type ProspectRecord,
  type SplitterRecord,
  DEFAULT_DROP_MAX_SIZE,
  freePortsOf,
  isPortFree,
} from './model.ts';
import type { IdGenerator } from './random.ts';

export type Collection =
  'boxes' | 'splitters' | 'properties' | 'ftth-clients' | 'poles' | 'pole-types' | 'projects' | 'prospects';
export const COLLECTIONS: readonly Collection[] = [
  'boxes',
  'splitters',
  'properties',
  'ftth-clients',
  'poles',
  'pole-types',
  'projects',
  'prospects',
];

const MODEL_NAMES: Record<Collection, string> = {
  boxes: 'Box',
  splitters: 'Splitter',
  properties: 'Property',
  'ftth-clients': 'FTTH client',
  poles: 'Pole',
  'pole-types': 'Pole type',
  projects: 'Project',
  prospects: 'Prospect',
};

/** The state's collections; the rest (seed, users, catalogs) is kept as it is. */
type Collections =
  'boxes' | 'splitters' | 'properties' | 'clients' | 'drops' | 'projects' | 'poleTypes' | 'poles' | 'prospects';

export interface NewClient {
  code?: string;
  name?: string;
  observation?: string;
  implanted: boolean;
  certified: boolean;
  status: 0 | 1;
  onu?: Partial<Onu>;
  tags: string[];
  externalId?: string;
}

export interface NewProperty {
  project?: string;
  box?: string;
  connector?: string;
  port?: number;
  autoConnect: boolean;
  coords?: LngLat;
  address?: string;
  observation?: string;
  tags: string[];
  externalId?: string;
  /** A client to create with the property, or the id of an existing one. */
  client?: NewClient | string;
  /** A pole id (the customer's pole). */
  pole?: string;
  /** The poles the drop hangs on, the customer's end first. */
  dropPoles?: string[];
}

export interface ClientPatch {
  code?: string;
  name?: string;
  observation?: string;
  implanted?: boolean;
  certified?: boolean;
  status?: 0 | 1;
  onu?: Partial<Onu>;
  tags?: string[];
  externalId?: string;
}

export interface PropertyPatch {
  box?: string;
  /** A splitter of the box to move to, or null to disconnect the port. */
  connector?: string | null;
  port?: number;
  autoConnect?: boolean;
  coords?: LngLat;
  address?: string;
  observation?: string;
  tags?: string[];
  externalId?: string;
  /** A new client, an existing client's id, or null to detach the client (which is kept). */
  client?: NewClient | string | null;
  /** A pole id, or null to forget the property's pole. */
  pole?: string | null;
  /** Replaces the poles the drop hangs on. */
  dropPoles?: string[];
}

export interface NewPoleType {
  name: string;
  prefix: string;
  viabilityAllowed: boolean;
  color: string;
  description: string;
  externalId?: string;
}

export interface NewPole {
  name?: string;
  coords: LngLat;
  poleType: string;
  /** Defaults to the project whose area holds the pole, else the first project [SIM]. */
  project?: string;
  adjacents: string[];
  usable: boolean;
  observation: string;
  tags: string[];
  licensing: PoleLicensing;
  address?: string;
  color?: string;
  externalId?: string;
}

export interface PolePatch {
  name?: string;
  coords?: LngLat;
  poleType?: string;
  /** Replaces the pole's adjacency list (the other poles are not changed). */
  adjacents?: string[];
  usable?: boolean;
  observation?: string;
  tags?: string[];
  licensing?: PoleLicensing;
  address?: string;
  color?: string;
  externalId?: string;
}

export interface NewProject {
  name: string;
  identifier?: string;
  parents: { project: string }[];
  lat: number;
  lng: number;
  defaultPonPotency?: number;
  defaultDropSize?: number;
  drop?: { type: { cableType: string }; maxSize: number };
  area?: ProjectRecord['area'];
  externalId?: string;
}

export interface NewBox {
  project: string;
  name?: string;
  /** The pole to hang the box on; without it, the nearest within `maxDistance`, or a new pole at the box [SIM]. */
  pole?: string;
  maxDistance?: number;
  boxType: string;
  hierarchyLevel: number;
  coords: LngLat;
  address?: string;
  observation?: string;
  tags: string[];
  implanted: boolean;
  draft: boolean;
  certified: boolean;
  shared: boolean;
  defaultReserve: number;
  externalId?: string;
}

export interface NewSplitter {
  parent: string;
  splitterType: string;
  name?: string;
  label?: string;
  index?: number;
  /** Defaults to the type's kind: an "A" (atendimento) code is a drop splitter [SIM]. */
  isDrop?: boolean;
  implanted: boolean;
  attenuation?: number[];
  /** One per output when given (blocked ports, observations). */
  ports?: { blocked: boolean; observation?: string; tags: string[] }[];
  observation?: string;
  externalId?: string;
}

export interface NewProspect {
  name: string | null;
  code: string | null;
  phone: string | null;
  address: string | null;
  coords: LngLat;
  viable: boolean | null;
  observation: string | null;
  tags: string[];
  externalId?: string;
}

/** PATCH /prospects/:id: what is given replaces what was there (null clears a text field or `viable`). */
export type ProspectPatch = Partial<NewProspect>;

export interface StoreOptions {
  newId: IdGenerator;
  clock: () => Date;
}

export interface NearbyBox {
  box: BoxRecord;
  distance: number;
  /** Drop splitters only, each with its free ports. */
  splitters: { splitter: SplitterRecord; freePorts: number[] }[];
}

export interface Summary {
  seed: number;
  boxes: {
    total: number;
    draft: number;
    notImplanted: number;
    withFreePorts: number;
    full: number;
    withoutDropSplitter: number;
  };
  dropPorts: { total: number; free: number; occupied: number; blocked: number };
  clients: { total: number; implanted: number; notImplanted: number };
  properties: number;
}

interface PortChoice {
  box: BoxRecord;
  splitter: SplitterRecord;
  port: number;
}

const EMPTY_ONU: Onu = { user_PPPoE: '', serial_number: '', mac_address: '' };

/** [SIM] A project created without them gets these (OZmap's defaults are not documented). */
const DEFAULT_PON_POTENCY = 3;

/** Typical insertion loss per output of a balanced 1xN splitter, in dB. */
const SPLITTER_LOSS: Record<number, number> = { 2: 3.7, 4: 7.3, 8: 10.5, 16: 13.7, 32: 17.1, 64: 20.5 };

/**
 * A splitter type's ratio from its code, OZmap's nomenclature "A-01/08" (1 input, 8 outputs); "A" (atendimento) is a
 * drop splitter, "R" (rede) a network one [SIM: the catalog keeps only code and description].
 */
export function splitterTypeSpec(type: CatalogEntry): { input: number; output: number; isDrop: boolean } | undefined {
  const match = /(\d+)\s*[/x]\s*(\d+)/i.exec(type.code);
  if (!match) return undefined;
  const input = Number(match[1]);
  const output = Number(match[2]);
  if (input < 1 || output < 2) return undefined;
  return { input, output, isDrop: /^A/i.test(type.code) };
}

/** Ray casting over the outer ring of a GeoJSON polygon ([lng, lat] vertices). */
function insidePolygon([lng, lat]: LngLat, ring: readonly LngLat[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as LngLat;
    const [xj, yj] = ring[j] as LngLat;
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export class Store {
  private meta!: Omit<NetworkState, Collections>;
  private readonly boxes = new Map<string, BoxRecord>();
  private readonly splitters = new Map<string, SplitterRecord>();
  private readonly properties = new Map<string, PropertyRecord>();
  private readonly clients = new Map<string, ClientRecord>();
  private readonly drops = new Map<string, DropRecord>();
  private readonly projects = new Map<string, ProjectRecord>();
  private readonly poleTypes = new Map<string, PoleTypeRecord>();
  private readonly poles = new Map<string, PoleRecord>();
  private readonly prospects = new Map<string, ProspectRecord>();
  private readonly splittersByBox = new Map<string, SplitterRecord[]>();
  private readonly propertyByClient = new Map<string, string>();

  /** Called after every change (the state file listens here). */
  onChange: () => void = () => {};

  constructor(
    state: NetworkState,
    private options: StoreOptions,
  ) {
    this.replace(state);
  }

  /** Swaps in another state (a reset, or the end of network generation). */
  replace(state: NetworkState): void {
    const { boxes, splitters, properties, clients, drops, projects, poleTypes, poles, prospects, ...meta } = state;
    this.meta = meta;
    for (const map of [
      this.boxes,
      this.splitters,
      this.properties,
      this.clients,
      this.drops,
      this.projects,
      this.poleTypes,
      this.poles,
      this.prospects,
      this.splittersByBox,
      this.propertyByClient,
    ]) {
      map.clear();
    }
    for (const project of projects) this.insertProject(project);
    for (const poleType of poleTypes) this.insertPoleType(poleType);
    for (const pole of poles) this.insertPole(pole);
    for (const box of boxes) this.insertBox(box);
    for (const splitter of splitters) this.insertSplitter(splitter);
    for (const client of clients) this.clients.set(client.id, client);
    for (const drop of drops) this.drops.set(drop.id, drop);
    for (const prospect of prospects) this.prospects.set(prospect.id, prospect);
    for (const property of properties) {
      this.properties.set(property.id, property);
      if (property.client) this.propertyByClient.set(property.client, property.id);
    }
    this.onChange();
  }

  setOptions(options: Partial<StoreOptions>): void {
    this.options = { ...this.options, ...options };
  }

  /** The whole state, referencing live records: serialise it before the next change. */
  snapshot(): NetworkState {
    return {
      ...this.meta,
      projects: [...this.projects.values()],
      poleTypes: [...this.poleTypes.values()],
      poles: [...this.poles.values()],
      boxes: [...this.boxes.values()],
      splitters: [...this.splitters.values()],
      properties: [...this.properties.values()],
      clients: [...this.clients.values()],
      drops: [...this.drops.values()],
      prospects: [...this.prospects.values()],
    };
  }

  get seed(): number {
    return this.meta.seed;
  }

  get apiUser(): CreatorData {
    return this.meta.users.api;
  }

  // ---- reads -------------------------------------------------------------------------------------------------

  /**
   * The documents of a collection as the API shows them, in creation order: all of them, or (properties) those that
   * can match `filter`, so that a look-up among 20,000 properties does not first build 20,000 views. The list query
   * still applies the whole filter. Do not mutate them.
   */
  list(collection: Collection, filter: FilterNode[] = []): readonly object[] {
    switch (collection) {
      case 'boxes':
        return [...this.boxes.values()];
      case 'splitters':
        return [...this.splitters.values()];
      case 'ftth-clients':
        return [...this.clients.values()];
      case 'poles':
        return [...this.poles.values()];
      case 'pole-types':
        return [...this.poleTypes.values()];
      case 'projects':
        return [...this.projects.values()];
      case 'prospects':
        return [...this.prospects.values()];
      case 'properties':
        // A view differs from its record only in `client` (populated), so conditions on anything else can go first.
        return narrow(
          this.properties.values(),
          filter,
          (c) => c.property !== 'client' && !c.property.startsWith('client.'),
        ).map((p) => this.present(p));
    }
  }

  find(collection: Collection, id: string): object | undefined {
    switch (collection) {
      case 'boxes':
        return this.boxes.get(id);
      case 'splitters':
        return this.splitters.get(id);
      case 'ftth-clients':
        return this.clients.get(id);
      case 'poles':
        return this.poles.get(id);
      case 'pole-types':
        return this.poleTypes.get(id);
      case 'projects':
        return this.projects.get(id);
      case 'prospects':
        return this.prospects.get(id);
      case 'properties': {
        const property = this.properties.get(id);
        return property && this.present(property);
      }
    }
  }

  /** Like find, but a missing id is a 404 `{message}`. */
  get(collection: Collection, id: string): object {
    const found = this.find(collection, id);
    if (!found) throw new ApiError(404, `${MODEL_NAMES[collection]} ${id} not found`);
    return found;
  }

  getBox(id: string): BoxRecord | undefined {
    return this.boxes.get(id);
  }

  boxNamed(name: string): BoxRecord | undefined {
    for (const box of this.boxes.values()) if (box.name === name) return box;
    return undefined;
  }

  splittersOf(boxId: string): readonly SplitterRecord[] {
    return this.splittersByBox.get(boxId) ?? [];
  }

  getPole(id: string): PoleRecord | undefined {
    return this.poles.get(id);
  }

  getPoleType(id: string): PoleTypeRecord | undefined {
    return this.poleTypes.get(id);
  }

  getProject(id: string): ProjectRecord | undefined {
    return this.projects.get(id);
  }

  /** Poles within `radius` metres, nearest first. */
  polesNear(point: LatLng, radius: number): { pole: PoleRecord; distance: number }[] {
    const nearby: { pole: PoleRecord; distance: number }[] = [];
    for (const pole of this.poles.values()) {
      const distance = distanceMeters(point, pole);
      if (distance <= radius) nearby.push({ pole, distance });
    }
    return nearby.sort((a, b) => a.distance - b.distance);
  }

  propertiesByClientCode(code: string): PropertyView[] {
    const views: PropertyView[] = [];
    for (const property of this.properties.values()) {
      if (property.client && this.clients.get(property.client)?.code === code) views.push(this.present(property));
    }
    return views;
  }

  /** Boxes within `radius` metres, nearest first, with the free ports of their drop splitters. */
  boxesNear(point: LatLng, radius: number): NearbyBox[] {
    const nearby: NearbyBox[] = [];
    for (const box of this.boxes.values()) {
      const distance = distanceMeters(point, { lat: box.lat, lng: box.lng });
      if (distance > radius) continue;
      const splitters = this.splittersOf(box.id)
        .filter((s) => s.isDrop)
        .map((splitter) => ({ splitter, freePorts: freePortsOf(splitter) }));
      nearby.push({ box, distance, splitters });
    }
    return nearby.sort((a, b) => a.distance - b.distance);
  }

  summary(): Summary {
    const boxes = { total: 0, draft: 0, notImplanted: 0, withFreePorts: 0, full: 0, withoutDropSplitter: 0 };
    const dropPorts = { total: 0, free: 0, occupied: 0, blocked: 0 };
    for (const box of this.boxes.values()) {
      boxes.total++;
      if (box.draft) boxes.draft++;
      if (!box.implanted && !box.draft) boxes.notImplanted++;
      const drops = this.splittersOf(box.id).filter((s) => s.isDrop);
      if (drops.length === 0) boxes.withoutDropSplitter++;
      let free = 0;
      for (const splitter of drops) {
        splitter.connectables.output.forEach((fiber, i) => {
          dropPorts.total++;
          if (fiber !== null) dropPorts.occupied++;
          else if (splitter.ports[i]?.blocked) dropPorts.blocked++;
          else {
            dropPorts.free++;
            free++;
          }
        });
      }
      if (!box.draft && drops.length > 0) {
        if (free > 0) boxes.withFreePorts++;
        else boxes.full++;
      }
    }
    const clients = { total: this.clients.size, implanted: 0, notImplanted: 0 };
    for (const client of this.clients.values()) {
      if (client.implanted) clients.implanted++;
      else clients.notImplanted++;
    }
    return { seed: this.meta.seed, boxes, dropPorts, clients, properties: this.properties.size };
  }

  // ---- writes used by the network generator -------------------------------------------------------------------

  insertBox(box: BoxRecord): void {
    this.boxes.set(box.id, box);
  }

  insertSplitter(splitter: SplitterRecord): void {
    this.splitters.set(splitter.id, splitter);
    const siblings = this.splittersByBox.get(splitter.parent) ?? [];
    siblings.push(splitter);
    siblings.sort((a, b) => a.index - b.index);
    this.splittersByBox.set(splitter.parent, siblings);
  }

  insertProject(project: ProjectRecord): void {
    this.projects.set(project.id, project);
  }

  insertPoleType(poleType: PoleTypeRecord): void {
    this.poleTypes.set(poleType.id, poleType);
  }

  insertPole(pole: PoleRecord): void {
    this.poles.set(pole.id, pole);
  }

  // ---- API writes: the physical layer (projects, pole types, poles, boxes, splitters) ---------------------------

  /** POST /projects. Without `drop`, the longest drop is DEFAULT_DROP_MAX_SIZE metres [SIM]. */
  createProject(input: NewProject): ProjectRecord {
    const at = this.options.clock();
    const stamp = at.toISOString();
    const id = this.options.newId(at);
    const first = this.projects.values().next().value;
    const project: ProjectRecord = {
      _id: id,
      id,
      name: input.name,
      ...(input.identifier === undefined ? {} : { identifier: input.identifier }),
      parents: input.parents.map((p) => ({ project: p.project })),
      lat: input.lat,
      lng: input.lng,
      defaultPonPotency: input.defaultPonPotency ?? DEFAULT_PON_POTENCY,
      ...(input.defaultDropSize === undefined ? {} : { defaultDropSize: input.defaultDropSize }),
      hasLogo: false,
      drop: input.drop ?? {
        type: { cableType: first?.drop.type.cableType ?? this.options.newId(at) },
        maxSize: DEFAULT_DROP_MAX_SIZE,
      },
      area: input.area ?? { type: 'Polygon', coordinates: [] },
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: this.meta.users.api,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    };
    for (const parent of project.parents) this.requireProject(parent.project, 'parents');
    this.projects.set(project.id, project);
    this.onChange();
    return project;
  }

  /** POST /pole-types. */
  createPoleType(input: NewPoleType): PoleTypeRecord {
    const at = this.options.clock();
    const stamp = at.toISOString();
    const id = this.options.newId(at);
    const poleType: PoleTypeRecord = {
      _id: id,
      id,
      name: input.name,
      prefix: input.prefix,
      viabilityAllowed: input.viabilityAllowed,
      color: input.color,
      description: input.description,
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: this.meta.users.api,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    };
    this.poleTypes.set(id, poleType);
    this.onChange();
    return poleType;
  }

  /**
   * POST /poles. Every adjacent must be an existing pole; the adjacency is stored on the new pole only, as given
   * [SIM: whether OZmap mirrors it onto the other pole is not documented].
   */
  createPole(input: NewPole): PoleRecord {
    const poleType = this.requirePoleType(input.poleType);
    const adjacents = this.requirePoles(input.adjacents, 'adjacents');
    const project =
      input.project === undefined ? this.projectAt(input.coords) : this.requireProject(input.project, 'project');
    const at = this.options.clock();
    const pole = this.newPole(
      { ...input, adjacents, name: input.name ?? `${poleType.prefix}${this.poles.size + 1}` },
      project.id,
      at,
      this.meta.users.api,
    );
    this.poles.set(pole.id, pole);
    this.onChange();
    return pole;
  }

  /** PATCH /poles/:id; `adjacents` replaces the list (the other poles keep theirs). */
  updatePole(id: string, patch: PolePatch): PoleRecord {
    const pole = this.poles.get(id);
    if (!pole) throw new ApiError(404, `Pole ${id} not found`);
    if (patch.poleType !== undefined) this.requirePoleType(patch.poleType);
    const adjacents = patch.adjacents === undefined ? undefined : this.requirePoles(patch.adjacents, 'adjacents');
    if (adjacents?.includes(id)) throw new ApiError(422, `Pole ${id} cannot be adjacent to itself`);
    if (patch.name !== undefined) pole.name = patch.name;
    if (patch.coords !== undefined) {
      pole.coords = [patch.coords[0], patch.coords[1]];
      pole.lng = patch.coords[0];
      pole.lat = patch.coords[1];
    }
    if (patch.poleType !== undefined) pole.poleType = patch.poleType;
    if (adjacents !== undefined) pole.adjacents = adjacents;
    if (patch.usable !== undefined) pole.usable = patch.usable;
    if (patch.observation !== undefined) pole.observation = patch.observation;
    if (patch.tags !== undefined) pole.tags = [...patch.tags];
    if (patch.licensing !== undefined) pole.licensing = { ...patch.licensing };
    if (patch.address !== undefined) pole.address = patch.address;
    if (patch.color !== undefined) pole.color = patch.color;
    if (patch.externalId !== undefined) pole.external_id = patch.externalId;
    pole.updatedAt = this.options.clock().toISOString();
    this.onChange();
    return pole;
  }

  /**
   * POST /boxes. The project and the box type must exist, and so must `pole` when given. Without it the box hangs on
   * the nearest pole within `max_distance` metres, or else on a new pole at its coordinates, of the first pole type
   * that allows feasibility [SIM: the SDK makes `pole` optional; what OZmap does then is not documented].
   */
  createBox(input: NewBox): BoxRecord {
    const project = this.requireProject(input.project, 'project');
    const boxType = this.catalogEntry(this.meta.boxTypes, input.boxType, 'Box type');
    const point = { lng: input.coords[0], lat: input.coords[1] };
    const existing =
      input.pole !== undefined
        ? this.requirePoles([input.pole], 'pole')[0]
        : input.maxDistance === undefined
          ? undefined
          : this.polesNear(point, input.maxDistance)[0]?.pole.id;
    const newPoleType =
      existing === undefined
        ? ([...this.poleTypes.values()].find((t) => t.viabilityAllowed) ?? this.poleTypes.values().next().value)
        : undefined;
    if (existing === undefined && !newPoleType) {
      throw new ApiError(422, 'pole is required: there is no pole type to put a new pole of');
    }

    const at = this.options.clock();
    const stamp = at.toISOString();
    let pole = existing ?? '';
    if (existing === undefined && newPoleType) {
      const created = this.newPole(
        {
          name: `${newPoleType.prefix}${this.poles.size + 1}`,
          coords: input.coords,
          poleType: newPoleType.id,
          adjacents: [],
          usable: true,
          observation: '',
          tags: [],
          licensing: { status: 0, protocol: null },
        },
        project.id,
        at,
        this.meta.users.api,
      );
      this.poles.set(created.id, created);
      pole = created.id;
    }
    const id = this.options.newId(at);
    const sameType = [...this.boxes.values()].filter((b) => b.boxType === boxType.id).length;
    const box: BoxRecord = {
      _id: id,
      id,
      kind: 'Box',
      name: input.name ?? `${boxType.code}-${String(sameType + 1).padStart(4, '0')}`,
      project: project.id,
      pole,
      boxType: boxType.id,
      hierarchyLevel: input.hierarchyLevel,
      coords: [input.coords[0], input.coords[1]],
      lat: input.coords[1],
      lng: input.coords[0],
      address: input.address ?? '',
      ...(input.observation === undefined ? {} : { observation: input.observation }),
      tags: [...input.tags],
      cables: [],
      implanted: input.implanted,
      draft: input.draft,
      certified: input.certified,
      shared: input.shared,
      default_reserve: input.defaultReserve,
      underground: false,
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: this.meta.users.api,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    };
    this.boxes.set(id, box);
    this.onChange();
    return box;
  }

  /**
   * POST /splitters: in an existing box, of a catalog splitter type whose ratio gives the outputs; every port starts
   * free (`connectables.output` all null) unless `ports` blocks some.
   */
  createSplitter(input: NewSplitter): SplitterRecord {
    const box = this.boxes.get(input.parent);
    if (!box) throw new ApiError(422, `Box ${input.parent} not found (parent)`);
    const type = this.catalogEntry(this.meta.splitterTypes, input.splitterType, 'Splitter type');
    const spec = splitterTypeSpec(type);
    if (!spec) throw new ApiError(422, `Splitter type ${type.code} (${type.id}) has no ratio in its code`);
    for (const [field, list] of [
      ['ports', input.ports],
      ['attenuation', input.attenuation],
    ] as const) {
      if (list !== undefined && list.length !== spec.output) {
        throw new ApiError(
          422,
          `${field} has ${list.length} entries; splitter type ${type.code} has ${spec.output} outputs`,
        );
      }
    }
    const siblings = this.splittersOf(box.id);
    const index = input.index ?? siblings.reduce((next, s) => Math.max(next, s.index + 1), 0);
    const at = this.options.clock();
    const stamp = at.toISOString();
    const id = this.options.newId(at);
    const splitter: SplitterRecord = {
      _id: id,
      id,
      kind: 'Splitter',
      name: input.name ?? `Splitter ${index + 1}`,
      label: input.label ?? '',
      parent: box.id,
      project: box.project,
      splitterType: type.id,
      isDrop: input.isDrop ?? spec.isDrop,
      implanted: input.implanted,
      index,
      connectables: {
        input: Array.from({ length: spec.input }, () => null),
        output: Array.from({ length: spec.output }, () => null),
      },
      ports: Array.from({ length: spec.output }, (_, i) => {
        const given = input.ports?.[i];
        return {
          id: this.options.newId(at),
          index: i,
          blocked: given?.blocked ?? false,
          tags: [...(given?.tags ?? [])],
          ...(given?.observation === undefined ? {} : { observation: given.observation }),
        };
      }),
      ratio: { input: spec.input, output: spec.output },
      attenuation: input.attenuation ?? Array.from({ length: spec.output }, () => SPLITTER_LOSS[spec.output] ?? 0),
      isBalanced: true,
      ...(input.observation === undefined ? {} : { observation: input.observation }),
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: this.meta.users.api,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    };
    this.insertSplitter(splitter);
    this.onChange();
    return splitter;
  }

  // ---- API writes ----------------------------------------------------------------------------------------------

  /**
   * POST /properties: a property, optionally with a new or existing client, connected by a new drop to a splitter
   * port. An occupied or blocked port is refused (422) whatever `force` says: OZmap errors when a client is put on
   * a port that a client or property already occupies (OZmap fact O13).
   */
  createProperty(input: NewProperty, creator: CreatorData = this.meta.users.api): PropertyView {
    const box = input.box === undefined ? undefined : this.boxes.get(input.box);
    if (input.box !== undefined && !box) throw new ApiError(422, `Box ${input.box} not found`);
    const choice = this.choosePort(box, input.connector, input.port, input.autoConnect);
    const target = choice?.box ?? box;
    if (!target) throw new ApiError(400, 'box is required (or a connector whose box can be inferred)');
    if (input.project !== undefined && input.project !== target.project) {
      throw new ApiError(
        422,
        `Box ${target.name} (${target.id}) belongs to project ${target.project}, not ${input.project}`,
      );
    }
    const existingClient = typeof input.client === 'string' ? this.attachableClient(input.client) : undefined;
    if (input.pole !== undefined) this.requirePoles([input.pole], 'pole');
    const dropPoles = input.dropPoles === undefined ? undefined : this.requirePoles(input.dropPoles, 'drop_poles');

    // Everything is checked: from here on nothing throws, so the change is all or nothing.
    const at = this.options.clock();
    const stamp = at.toISOString();
    const client =
      existingClient ?? (typeof input.client === 'object' ? this.newClient(input.client, creator, at) : undefined);
    const coords = input.coords ?? target.coords;
    const id = this.options.newId(at);
    const drop: DropRecord = {
      id: this.options.newId(at),
      kind: 'Drop',
      box: target.id,
      property: id,
      fiber: this.options.newId(at),
      createdAt: stamp,
      ...(dropPoles === undefined ? {} : { poles: dropPoles.map((pole) => ({ id: pole, reserve: 0 })) }),
    };
    const property: PropertyRecord = {
      _id: id,
      id,
      kind: 'Property',
      project: target.project,
      box: target.id,
      coords: [coords[0], coords[1]],
      lng: coords[0],
      lat: coords[1],
      address: input.address ?? '',
      observation: input.observation ?? '',
      tags: [...input.tags],
      client: client?.id ?? null,
      drop: drop.id,
      connections: [],
      ...(input.pole === undefined ? {} : { pole: input.pole }),
      ...(dropPoles === undefined ? {} : { drop_poles: dropPoles }),
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: creator,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    };
    if (client && !existingClient) this.clients.set(client.id, client);
    if (client) this.propertyByClient.set(client.id, property.id);
    this.drops.set(drop.id, drop);
    target.cables.push(drop.id);
    this.properties.set(property.id, property);
    if (choice) this.connect(property, drop, choice);
    this.onChange();
    return this.present(property);
  }

  /** PATCH /properties/:id: address, position, client, or a move to another port (checked like a create). */
  updateProperty(id: string, patch: PropertyPatch): PropertyView {
    const property = this.properties.get(id);
    if (!property) throw new ApiError(404, `Property ${id} not found`);
    const current = property.connections[0];
    const box = patch.box === undefined ? undefined : this.boxes.get(patch.box);
    if (patch.box !== undefined && !box) throw new ApiError(422, `Box ${patch.box} not found`);

    let move: PortChoice | 'disconnect' | undefined;
    if (patch.connector === null) {
      move = 'disconnect';
    } else if (patch.connector !== undefined || patch.autoConnect) {
      const within = box ?? (patch.connector === undefined && property.box ? this.boxes.get(property.box) : undefined);
      move = this.choosePort(within, patch.connector, patch.port, patch.autoConnect ?? false, current);
    } else if (patch.port !== undefined) {
      if (!current) throw new ApiError(400, 'port needs a connector: the property is not connected to any splitter');
      move = this.choosePort(undefined, current.id, patch.port, false, current);
    }
    if (box && move === undefined && current && box.id !== property.box) {
      throw new ApiError(
        422,
        `Property ${id} is connected to a splitter of another box: give connector and port in box ${box.name}, or ` +
          `connector: null first`,
      );
    }
    const existingClient = typeof patch.client === 'string' ? this.attachableClient(patch.client, id) : undefined;
    if (typeof patch.pole === 'string') this.requirePoles([patch.pole], 'pole');
    const dropPoles = patch.dropPoles === undefined ? undefined : this.requirePoles(patch.dropPoles, 'drop_poles');

    const at = this.options.clock();
    if (patch.address !== undefined) property.address = patch.address;
    if (patch.observation !== undefined) property.observation = patch.observation;
    if (patch.tags !== undefined) property.tags = [...patch.tags];
    if (patch.externalId !== undefined) property.external_id = patch.externalId;
    if (patch.coords !== undefined) {
      property.coords = [patch.coords[0], patch.coords[1]];
      property.lng = patch.coords[0];
      property.lat = patch.coords[1];
    }
    if (patch.client !== undefined) {
      if (property.client) this.propertyByClient.delete(property.client);
      const client =
        patch.client === null
          ? undefined
          : (existingClient ??
            (typeof patch.client === 'object' ? this.newClient(patch.client, this.meta.users.api, at) : undefined));
      if (client && !existingClient) this.clients.set(client.id, client);
      if (client) this.propertyByClient.set(client.id, property.id);
      property.client = client?.id ?? null;
      for (const connection of property.connections) connection.implanted = client?.implanted ?? false;
    }
    if (move === 'disconnect') {
      this.disconnect(property);
    } else if (move) {
      this.disconnect(property);
      const drop = this.dropOf(property, at);
      this.moveDrop(property, drop, move.box);
      this.connect(property, drop, move);
    } else if (box && box.id !== property.box) {
      this.moveDrop(property, this.dropOf(property, at), box);
    }
    if (patch.pole === null) delete property.pole;
    else if (patch.pole !== undefined) property.pole = patch.pole;
    if (dropPoles !== undefined) {
      property.drop_poles = dropPoles;
      this.dropOf(property, at).poles = dropPoles.map((pole) => ({ id: pole, reserve: 0 }));
    }
    property.updatedAt = at.toISOString();
    this.onChange();
    return this.present(property);
  }

  /** DELETE /properties/:id: cascades to the client and the drop, and frees the port (OZmap fact O18). */
  deleteProperty(id: string): PropertyView {
    const property = this.properties.get(id);
    if (!property) throw new ApiError(404, `Property ${id} not found`);
    const view = this.present(property);
    this.disconnect(property);
    if (property.drop) {
      const drop = this.drops.get(property.drop);
      if (drop) this.removeCable(drop);
    }
    if (property.client) {
      this.clients.delete(property.client);
      this.propertyByClient.delete(property.client);
    }
    this.properties.delete(id);
    this.onChange();
    return view;
  }

  /** POST /ftth-clients: a client on its own, to be attached to a property later. */
  createClient(input: NewClient): ClientRecord {
    const client = this.newClient(input, this.meta.users.api, this.options.clock());
    this.clients.set(client.id, client);
    this.onChange();
    return client;
  }

  /** PATCH /ftth-clients/:id; the property's connection follows the client's `implanted` flag. */
  updateClient(id: string, patch: ClientPatch): ClientRecord {
    const client = this.clients.get(id);
    if (!client) throw new ApiError(404, `FTTH client ${id} not found`);
    const stamp = this.options.clock().toISOString();
    if (patch.code !== undefined) client.code = patch.code;
    if (patch.name !== undefined) client.name = patch.name;
    if (patch.observation !== undefined) client.observation = patch.observation;
    if (patch.implanted !== undefined) client.implanted = patch.implanted;
    if (patch.certified !== undefined) client.certified = patch.certified;
    if (patch.status !== undefined) client.status = patch.status;
    if (patch.onu !== undefined) client.onu = { ...client.onu, ...patch.onu };
    if (patch.tags !== undefined) client.tags = [...patch.tags];
    if (patch.externalId !== undefined) client.external_id = patch.externalId;
    client.updatedAt = stamp;
    const property = this.propertyOfClient(id);
    if (property && patch.implanted !== undefined) {
      for (const connection of property.connections) connection.implanted = client.implanted;
      property.updatedAt = stamp;
    }
    this.onChange();
    return client;
  }

  /** DELETE /ftth-clients/:id: the client goes; its property stays on the port with `client: null`. */
  deleteClient(id: string): ClientRecord {
    const client = this.clients.get(id);
    if (!client) throw new ApiError(404, `FTTH client ${id} not found`);
    const property = this.propertyOfClient(id);
    if (property) {
      property.client = null;
      property.updatedAt = this.options.clock().toISOString();
    }
    this.propertyByClient.delete(id);
    this.clients.delete(id);
    this.onChange();
    return client;
  }

  // ---- API writes: prospects -----------------------------------------------------------------------------------

  /**
   * POST /prospects. `external_id` is not required to be unique [SIM: OZmap's behaviour is not known]: a second
   * prospect with the same one is a second prospect, so a client must look it up before creating.
   */
  createProspect(input: NewProspect): ProspectRecord {
    const at = this.options.clock();
    const stamp = at.toISOString();
    const id = this.options.newId(at);
    const prospect: ProspectRecord = {
      _id: id,
      id,
      name: input.name,
      code: input.code,
      phone: input.phone,
      address: input.address,
      coords: [input.coords[0], input.coords[1]],
      lat: input.coords[1],
      lng: input.coords[0],
      viable: input.viable,
      observation: input.observation,
      tags: [...input.tags],
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: this.meta.users.api,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    };
    this.prospects.set(id, prospect);
    this.onChange();
    return prospect;
  }

  /** PATCH /prospects/:id, e.g. `{viable: true}` once coverage reaches the prospect. */
  updateProspect(id: string, patch: ProspectPatch): ProspectRecord {
    const prospect = this.prospects.get(id);
    if (!prospect) throw new ApiError(404, `Prospect ${id} not found`);
    if (patch.name !== undefined) prospect.name = patch.name;
    if (patch.code !== undefined) prospect.code = patch.code;
    if (patch.phone !== undefined) prospect.phone = patch.phone;
    if (patch.address !== undefined) prospect.address = patch.address;
    if (patch.coords !== undefined) {
      prospect.coords = [patch.coords[0], patch.coords[1]];
      prospect.lng = patch.coords[0];
      prospect.lat = patch.coords[1];
    }
    if (patch.viable !== undefined) prospect.viable = patch.viable;
    if (patch.observation !== undefined) prospect.observation = patch.observation;
    if (patch.tags !== undefined) prospect.tags = [...patch.tags];
    if (patch.externalId !== undefined) prospect.external_id = patch.externalId;
    prospect.updatedAt = this.options.clock().toISOString();
    this.onChange();
    return prospect;
  }

  /** DELETE /prospects/:id (the SDK's ProspectProxy has `deleteById`); answers the deleted prospect. */
  deleteProspect(id: string): ProspectRecord {
    const prospect = this.prospects.get(id);
    if (!prospect) throw new ApiError(404, `Prospect ${id} not found`);
    this.prospects.delete(id);
    this.onChange();
    return prospect;
  }

  // ---- internals -----------------------------------------------------------------------------------------------

  private present(property: PropertyRecord): PropertyView {
    return { ...property, client: property.client ? (this.clients.get(property.client) ?? null) : null };
  }

  /** The ids, in order, each an existing pole; the first unknown one is a 422 naming it and the field. */
  private requirePoles(ids: readonly string[], field: string): string[] {
    ids.forEach((id, i) => {
      if (!this.poles.has(id)) {
        const where = ids.length === 1 && field !== 'drop_poles' ? field : `${field}[${i}]`;
        throw new ApiError(422, `Pole ${id} not found (${where})`);
      }
    });
    return [...ids];
  }

  private requirePoleType(id: string): PoleTypeRecord {
    const poleType = this.poleTypes.get(id);
    if (!poleType) throw new ApiError(422, `Pole type ${id} not found (poleType)`);
    return poleType;
  }

  private requireProject(id: string, field: string): ProjectRecord {
    const project = this.projects.get(id);
    if (!project) throw new ApiError(422, `Project ${id} not found (${field})`);
    return project;
  }

  private catalogEntry(catalog: readonly CatalogEntry[], id: string, what: string): CatalogEntry {
    const entry = catalog.find((e) => e.id === id);
    if (!entry) {
      const known = catalog.map((e) => `${e.code} ${e.id}`).join(', ');
      throw new ApiError(422, `${what} ${id} not found; the catalog has ${known || 'none'}`);
    }
    return entry;
  }

  /** The project whose area holds the point, else the first one [SIM]. */
  private projectAt(coords: LngLat): ProjectRecord {
    let first: ProjectRecord | undefined;
    for (const project of this.projects.values()) {
      first ??= project;
      const ring = project.area.coordinates[0];
      if (ring && ring.length >= 3 && insidePolygon(coords, ring)) return project;
    }
    if (!first) throw new ApiError(422, 'There is no project to put the pole in: create one first (POST /projects)');
    return first;
  }

  private newPole(
    input: Omit<NewPole, 'project' | 'name'> & { name: string },
    project: string,
    at: Date,
    creator: CreatorData,
  ): PoleRecord {
    const id = this.options.newId(at);
    const stamp = at.toISOString();
    return {
      _id: id,
      id,
      kind: 'Pole',
      name: input.name,
      project,
      poleType: input.poleType,
      coords: [input.coords[0], input.coords[1]],
      lat: input.coords[1],
      lng: input.coords[0],
      adjacents: [...input.adjacents],
      usable: input.usable,
      observation: input.observation,
      tags: [...input.tags],
      licensing: { ...input.licensing },
      ...(input.address === undefined ? {} : { address: input.address }),
      ...(input.color === undefined ? {} : { color: input.color }),
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: creator,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    };
  }

  private propertyOfClient(clientId: string): PropertyRecord | undefined {
    const propertyId = this.propertyByClient.get(clientId);
    return propertyId === undefined ? undefined : this.properties.get(propertyId);
  }

  /** An existing client that may be attached to a property (it must exist and not belong to another one). */
  private attachableClient(clientId: string, forProperty?: string): ClientRecord {
    const client = this.clients.get(clientId);
    if (!client) throw new ApiError(422, `FTTH client ${clientId} not found`);
    const owner = this.propertyByClient.get(clientId);
    if (owner !== undefined && owner !== forProperty) {
      throw new ApiError(422, `FTTH client ${clientId} is already attached to property ${owner}`);
    }
    return client;
  }

  /**
   * Resolves the port a property should use, or undefined when no connection was asked for. Refuses (422) a
   * splitter outside the box, a network splitter, a port out of range, and a port that is blocked or occupied
   * (other than `current`, the property's own port when it is being updated).
   */
  private choosePort(
    box: BoxRecord | undefined,
    connectorId: string | undefined,
    port: number | undefined,
    autoConnect: boolean,
    current?: PropertyConnection,
  ): PortChoice | undefined {
    const ownPort = (splitter: SplitterRecord, n: number) => current?.id === splitter.id && current.port === n;
    if (connectorId === undefined) {
      if (!autoConnect) {
        if (port !== undefined)
          throw new ApiError(400, 'port needs a connector (the splitter id), or auto_connect: true');
        return undefined;
      }
      if (!box) throw new ApiError(400, 'auto_connect needs a box');
      for (const splitter of this.splittersOf(box.id)) {
        if (!splitter.isDrop) continue;
        const free = freePortsOf(splitter)[0];
        if (free !== undefined) return { box, splitter, port: free };
      }
      throw new ApiError(422, `Box ${box.name} (${box.id}) has no free port on a drop splitter`);
    }

    const splitter = this.splitters.get(connectorId);
    if (!splitter) throw new ApiError(422, `Splitter ${connectorId} not found`);
    const parent = this.boxes.get(splitter.parent);
    if (!parent) throw new ApiError(422, `Splitter ${connectorId} is not in any box`);
    const label = `splitter '${splitter.name}' (${splitter.id}) of box ${parent.name}`;
    if (box && parent.id !== box.id) {
      throw new ApiError(
        422,
        `Splitter '${splitter.name}' (${splitter.id}) does not belong to box ${box.name} (${box.id})`,
      );
    }
    if (!splitter.isDrop) {
      throw new ApiError(
        422,
        `The ${label} is a network splitter (isDrop: false): clients connect only to drop splitters`,
      );
    }
    const size = splitter.connectables.output.length;
    let chosen = port;
    if (chosen === undefined) {
      if (!autoConnect) throw new ApiError(400, 'port is required with connector (or set auto_connect: true)');
      chosen = freePortsOf(splitter)[0];
      if (chosen === undefined) throw new ApiError(422, `The ${label} has no free port`);
    }
    if (!Number.isInteger(chosen) || chosen < 1 || chosen > size) {
      throw new ApiError(422, `Port ${chosen} is out of range for ${label}: its ports are 1-${size}`);
    }
    if (!ownPort(splitter, chosen)) {
      if (splitter.connectables.output[chosen - 1] !== null)
        throw new ApiError(422, `Port ${chosen} of ${label} is already occupied`);
      if (splitter.ports[chosen - 1]?.blocked) throw new ApiError(422, `Port ${chosen} of ${label} is blocked`);
    }
    return { box: parent, splitter, port: chosen };
  }

  private connect(property: PropertyRecord, drop: DropRecord, { splitter, port }: PortChoice): void {
    if (!isPortFree(splitter, port) && splitter.connectables.output[port - 1] !== drop.fiber) {
      // choosePort has already refused this; reaching here means a bug, and silently sharing a port would hide it.
      throw new Error(`invariant: port ${port} of splitter ${splitter.id} is not free`);
    }
    splitter.connectables.output[port - 1] = drop.fiber;
    const client = property.client ? this.clients.get(property.client) : undefined;
    property.connections = [
      {
        id: splitter.id,
        kind: 'Splitter',
        port,
        name: splitter.name,
        implanted: client?.implanted ?? false,
        fiber: drop.fiber,
      },
    ];
  }

  /** Frees the property's ports (the drop stays, as after OZmap's fiber disconnect). */
  private disconnect(property: PropertyRecord): void {
    for (const connection of property.connections) {
      const splitter = this.splitters.get(connection.id);
      if (splitter && splitter.connectables.output[connection.port - 1] === connection.fiber) {
        splitter.connectables.output[connection.port - 1] = null;
      }
    }
    property.connections = [];
  }

  private dropOf(property: PropertyRecord, at: Date): DropRecord {
    const existing = property.drop ? this.drops.get(property.drop) : undefined;
    if (existing) return existing;
    const drop: DropRecord = {
      id: this.options.newId(at),
      kind: 'Drop',
      box: property.box ?? '',
      property: property.id,
      fiber: this.options.newId(at),
      createdAt: at.toISOString(),
    };
    this.drops.set(drop.id, drop);
    this.boxes.get(drop.box)?.cables.push(drop.id);
    property.drop = drop.id;
    return drop;
  }

  private moveDrop(property: PropertyRecord, drop: DropRecord, box: BoxRecord): void {
    if (drop.box !== box.id) {
      const previous = this.boxes.get(drop.box);
      if (previous) previous.cables = previous.cables.filter((c) => c !== drop.id);
      box.cables.push(drop.id);
      drop.box = box.id;
    }
    property.box = box.id;
    property.project = box.project;
  }

  private removeCable(drop: DropRecord): void {
    const box = this.boxes.get(drop.box);
    if (box) box.cables = box.cables.filter((c) => c !== drop.id);
    this.drops.delete(drop.id);
  }

  private newClient(input: NewClient, creator: CreatorData, at: Date): ClientRecord {
    const id = this.options.newId(at);
    const stamp = at.toISOString();
    return {
      _id: id,
      id,
      kind: 'FTTHClient',
      // OZmap's create DTO makes the code optional; the simulator falls back to the id so every client has one [SIM].
      code: input.code ?? id,
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.observation === undefined ? {} : { observation: input.observation }),
      implanted: input.implanted,
      certified: input.certified,
      status: input.status,
      onu: { ...EMPTY_ONU, ...input.onu },
      tags: [...input.tags],
      createdAt: stamp,
      updatedAt: stamp,
      creatorData: creator,
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    };
  }
}
