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
  type ClientRecord,
  type CreatorData,
  type DropRecord,
  type LngLat,
  type NetworkState,
  type Onu,
  type PropertyConnection,
  type PropertyRecord,
  type PropertyView,
  type SplitterRecord,
  freePortsOf,
  isPortFree,
} from './model.ts';
import type { IdGenerator } from './random.ts';

export type Collection = 'boxes' | 'splitters' | 'properties' | 'ftth-clients';
export const COLLECTIONS: readonly Collection[] = ['boxes', 'splitters', 'properties', 'ftth-clients'];

const MODEL_NAMES: Record<Collection, string> = {
  boxes: 'Box',
  splitters: 'Splitter',
  properties: 'Property',
  'ftth-clients': 'FTTH client',
};

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
}

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

export class Store {
  private meta!: Omit<NetworkState, 'boxes' | 'splitters' | 'properties' | 'clients' | 'drops'>;
  private readonly boxes = new Map<string, BoxRecord>();
  private readonly splitters = new Map<string, SplitterRecord>();
  private readonly properties = new Map<string, PropertyRecord>();
  private readonly clients = new Map<string, ClientRecord>();
  private readonly drops = new Map<string, DropRecord>();
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
    const { boxes, splitters, properties, clients, drops, ...meta } = state;
    this.meta = meta;
    for (const map of [
      this.boxes,
      this.splitters,
      this.properties,
      this.clients,
      this.drops,
      this.splittersByBox,
      this.propertyByClient,
    ]) {
      map.clear();
    }
    for (const box of boxes) this.insertBox(box);
    for (const splitter of splitters) this.insertSplitter(splitter);
    for (const client of clients) this.clients.set(client.id, client);
    for (const drop of drops) this.drops.set(drop.id, drop);
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
      boxes: [...this.boxes.values()],
      splitters: [...this.splitters.values()],
      properties: [...this.properties.values()],
      clients: [...this.clients.values()],
      drops: [...this.drops.values()],
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

  // ---- internals -----------------------------------------------------------------------------------------------

  private present(property: PropertyRecord): PropertyView {
    return { ...property, client: property.client ? (this.clients.get(property.client) ?? null) : null };
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
