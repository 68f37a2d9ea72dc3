/**
 * The seeded demo network: CTOs every 50-80 m along the gazetteer's streets, each with one or two drop splitters
 * (1x8 or 1x16) and sometimes a network splitter that must never be offered; about 10 % "Em projeto" (draft), about
 * 10 % full, a few splice boxes (CEO) without drop splitters, blocked ports here and there, and pre-existing
 * clients on the occupied ports; one project (drop limit 300 m), and the poles every box hangs on (physical.ts).
 * The same seed always gives the same network, ids included.
 *
 * Pre-existing clients are created through Store.createProperty, the code path POST /properties uses, so the seeded
 * state obeys exactly the rules the API enforces.
 */
import {
  type Street,
  GAZETTEER,
  findStreet,
  formatAddress,
  locateNumber,
  numberAt,
  streetLengthMeters,
} from './gazetteer.ts';
import { type LatLng, offsetMeters, pointAlong, round7 } from './geo.ts';
import {
  type BoxRecord,
  type CatalogEntry,
  type CreatorData,
  type LngLat,
  type NetworkState,
  type ProjectRecord,
  type SplitterRecord,
  DEFAULT_DROP_MAX_SIZE,
} from './model.ts';
import { type BoxPlacement, PoleLayerBuilder } from './physical.ts';
import { type IdGenerator, type Random, mulberry32, seededObjectIds } from './random.ts';
import { Store } from './store.ts';

export { MAX_POLE_SPACING, RIVER, crossesRiver } from './physical.ts';

export const DEFAULT_SEED = 1042;

/**
 * A box far from every other (over 400 m) with exactly 3 free ports (3, 6 and 8 of its drop splitter "Splitter 2";
 * its "Splitter 1" is a network splitter with free outputs, as a trap). Concurrency tests aim many simultaneous
 * reservations at it: exactly 3 may succeed.
 */
export const ISOLATED_BOX = {
  name: 'CTO-9001',
  street: 'Rua Silva Jardim',
  houseNumber: 450,
  occupiedPorts: [1, 2, 4, 7],
  blockedPorts: [5],
  freePorts: [3, 6, 8],
} as const;

/** East of the demo area (Córrego Grande, which the brief treats as open sea): no box within 1 km. */
export const NO_COVERAGE_POINT: LatLng = { lat: -27.6, lng: -48.5 };

/**
 * On the west bank of the Rio da Bulha (the canal down Avenida Hercílio Luz, `RIVER`), near its south end, in the
 * seed 1042 network (network.test.ts checks every figure):
 * - the nearest usable pole is P_0144, 10.7 m away on this bank;
 * - the nearest box with free ports by straight line, CTO-0067 (Avenida Hercílio Luz, 23), 25.5 m away, stands across
 *   the canal: the only pole path to it crosses the Avenida Rio Branco bridge, a drop of about 1,607 m, far over the
 *   project's 300 m limit (`drop-too-long` in pole mode);
 * - CTO-0063 (Rua Visconde de Ouro Preto, 357), 67.1 m away on this bank, takes a drop of 87.5 m along 3 poles: the
 *   first candidate in pole mode, while radius mode offers CTO-0067 first.
 */
export const RIVER_DEMO_POINT: LatLng = { lat: -27.59875, lng: -48.54719 };

/** Seeded records are dated from here on, so their ObjectIds and timestamps are reproducible too. */
const BASE_TIME = Date.UTC(2024, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;

const FIRST_NAMES = [
  'Maria',
  'João',
  'Ana',
  'José',
  'Francisca',
  'Antônio',
  'Adriana',
  'Carlos',
  'Juliana',
  'Paulo',
  'Márcia',
  'Pedro',
  'Aline',
  'Lucas',
  'Fernanda',
  'Rafael',
  'Camila',
  'Gabriel',
  'Patrícia',
  'Marcos',
  'Luana',
  'Bruno',
  'Larissa',
  'Diego',
];
const SURNAMES = [
  'Silva',
  'Santos',
  'Oliveira',
  'Souza',
  'Rodrigues',
  'Ferreira',
  'Alves',
  'Pereira',
  'Lima',
  'Gomes',
  'Costa',
  'Ribeiro',
  'Martins',
  'Carvalho',
  'Rocha',
  'Schmitt',
  'Koerich',
  'Vieira',
  'Machado',
  'Goulart',
  'Cardoso',
  'Medeiros',
  'da Luz',
  'Amorim',
];

/** Typical insertion loss per output, in dB. */
const SPLITTER_KINDS = {
  drop8: { code: 'A-01/08', outputs: 8, loss: 10.5, isDrop: true },
  drop16: { code: 'A-01/16', outputs: 16, loss: 13.7, isDrop: true },
  net2: { code: 'R-01/02', outputs: 2, loss: 3.7, isDrop: false },
  net4: { code: 'R-01/04', outputs: 4, loss: 7.3, isDrop: false },
  net8: { code: 'R-01/08', outputs: 8, loss: 10.5, isDrop: false },
} as const;
type SplitterKind = keyof typeof SPLITTER_KINDS;

type Profile = 'regular' | 'draft' | 'full' | 'splice';

/** The seeded project's name; its `drop.maxSize` is DEFAULT_DROP_MAX_SIZE (300 m). */
const PROJECT_NAME = 'Florianópolis - Rede FTTH';

/** The project's area: every street of the gazetteer, with 500 m to spare. */
function projectArea(): { centre: LatLng; ring: LngLat[] } {
  const points = GAZETTEER.flatMap((s) => s.path);
  const south = Math.min(...points.map((p) => p.lat));
  const north = Math.max(...points.map((p) => p.lat));
  const west = Math.min(...points.map((p) => p.lng));
  const east = Math.max(...points.map((p) => p.lng));
  const sw = offsetMeters({ lat: south, lng: west }, -500, -500);
  const ne = offsetMeters({ lat: north, lng: east }, 500, 500);
  const [s, w, n, e] = [sw.lat, sw.lng, ne.lat, ne.lng].map(round7) as [number, number, number, number];
  return {
    centre: { lat: round7((s + n) / 2), lng: round7((w + e) / 2) },
    ring: [
      [w, s],
      [e, s],
      [e, n],
      [w, n],
      [w, s],
    ],
  };
}

class NetworkBuilder {
  private readonly rng: Random;
  private now = BASE_TIME;
  private readonly newId: IdGenerator;
  private readonly store: Store;
  private readonly designer: CreatorData;
  private readonly projectId: string;
  private readonly boxTypeIds: { CTO: string; CEO: string };
  private readonly splitterTypeIds: Record<SplitterKind, string>;
  private ctoCount = 0;
  private ceoCount = 0;
  private contract = 10_000;
  private readonly poleLayer: PoleLayerBuilder;
  private readonly placements: BoxPlacement[] = [];

  constructor(seed: number) {
    this.rng = mulberry32(seed);
    this.newId = seededObjectIds(this.rng);
    const at = this.at();
    this.designer = { id: this.newId(at), name: 'Equipe de Projetos', username: 'projetos' };
    const api: CreatorData = { id: this.newId(at), name: 'Integração Ispbox 2', username: 'integracao.api' };
    this.projectId = this.newId(at);
    const boxTypes: CatalogEntry[] = [
      { id: this.newId(at), code: 'CTO', description: 'Caixa de terminação óptica' },
      { id: this.newId(at), code: 'CEO', description: 'Caixa de emenda óptica' },
    ];
    this.boxTypeIds = { CTO: boxTypes[0]?.id ?? '', CEO: boxTypes[1]?.id ?? '' };
    const splitterTypes: CatalogEntry[] = [];
    const ids: Partial<Record<SplitterKind, string>> = {};
    for (const kind of Object.keys(SPLITTER_KINDS) as SplitterKind[]) {
      const spec = SPLITTER_KINDS[kind];
      ids[kind] = this.newId(at);
      splitterTypes.push({
        id: ids[kind],
        code: spec.code,
        description: `${spec.isDrop ? 'Atendimento' : 'Rede'} 1x${spec.outputs}`,
      });
    }
    this.splitterTypeIds = ids as Record<SplitterKind, string>;
    this.poleLayer = new PoleLayerBuilder(seed, BASE_TIME, this.designer, this.projectId);
    const area = projectArea();
    const project: ProjectRecord = {
      _id: this.projectId,
      id: this.projectId,
      name: PROJECT_NAME,
      parents: [],
      lat: area.centre.lat,
      lng: area.centre.lng,
      defaultPonPotency: 3,
      hasLogo: false,
      drop: { type: { cableType: this.poleLayer.cableTypeId }, maxSize: DEFAULT_DROP_MAX_SIZE },
      area: { type: 'Polygon', coordinates: [area.ring] },
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      creatorData: this.designer,
    };
    this.store = new Store(
      {
        seed,
        users: { designer: this.designer, api },
        boxTypes,
        splitterTypes,
        projects: [project],
        poleTypes: [],
        poles: [],
        boxes: [],
        splitters: [],
        properties: [],
        clients: [],
        drops: [],
        prospects: [],
      },
      { newId: this.newId, clock: () => this.at() },
    );
  }

  build(): NetworkState {
    for (const street of GAZETTEER) {
      if (street.coverage === 'dense') this.lineStreet(street);
    }
    this.isolatedBox();
    this.poleLayer.build(this.store, this.placements);
    return this.store.snapshot();
  }

  private at(): Date {
    return new Date(this.now);
  }

  private advance(hours: number): void {
    this.now += Math.round(hours * HOUR);
  }

  /** Boxes every 50-80 m, alternating sides of the street (poles stand on both sidewalks). */
  private lineStreet(street: Street): void {
    const length = streetLengthMeters(street);
    let side = this.rng.chance(0.5) ? 1 : -1;
    for (let along = this.rng.between(15, 45); along < length; along += this.rng.between(50, 80)) {
      const { point, direction } = pointAlong(street.path, along);
      const aside = side * this.rng.between(5, 9);
      const position = offsetMeters(point, direction.east * aside, -direction.north * aside);
      const r = this.rng.next();
      const profile: Profile = r < 0.1 ? 'draft' : r < 0.2 ? 'full' : r < 0.24 ? 'splice' : 'regular';
      const box = this.boxWithClients(street, numberAt(street, along), position, profile);
      this.placements.push({ box, street, along, side: side > 0 ? 1 : -1 });
      side = -side;
    }
  }

  private boxWithClients(street: Street, houseNumber: number, position: LatLng, profile: Profile): BoxRecord {
    this.advance(this.rng.between(2, 30));
    const splice = profile === 'splice';
    const draft = profile === 'draft';
    const implanted = !draft && this.rng.chance(0.93);
    const box = this.box({
      name: splice
        ? `CEO-${String(++this.ceoCount).padStart(3, '0')}`
        : `CTO-${String(++this.ctoCount).padStart(4, '0')}`,
      type: splice ? 'CEO' : 'CTO',
      position,
      address: formatAddress(street, houseNumber),
      draft,
      implanted,
      certified: implanted && this.rng.chance(0.35),
      ...(draft ? { observation: 'Em projeto: aguardando aprovação da obra' } : {}),
    });
    if (splice) {
      this.splitter(box, 0, this.rng.chance(0.5) ? 'net4' : 'net8', 0.5);
      return box;
    }
    let index = 0;
    if (this.rng.chance(0.2)) this.splitter(box, index++, this.rng.chance(0.5) ? 'net2' : 'net4', 0.5);
    const dropCount = this.rng.chance(0.25) ? 2 : 1;
    for (let i = 0; i < dropCount; i++) {
      const splitter = this.splitter(box, index++, this.rng.chance(0.65) ? 'drop8' : 'drop16');
      if (draft) continue;
      const occupancy = profile === 'full' ? 1 : this.rng.between(0.1, 0.85);
      for (let port = 1; port <= splitter.ports.length; port++) {
        if (profile !== 'full' && this.rng.chance(0.04)) this.block(splitter, port);
        else if (this.rng.chance(occupancy)) this.client(box, splitter, port, street, houseNumber);
      }
    }
    return box;
  }

  private isolatedBox(): void {
    const street = findStreet(ISOLATED_BOX.street);
    if (!street) throw new Error(`gazetteer lacks ${ISOLATED_BOX.street}`);
    this.advance(24);
    const box = this.box({
      name: ISOLATED_BOX.name,
      type: 'CTO',
      position: offsetMeters(locateNumber(street, ISOLATED_BOX.houseNumber), 6, 0),
      address: formatAddress(street, ISOLATED_BOX.houseNumber),
      draft: false,
      implanted: true,
      certified: false,
      observation: 'Caixa isolada: exatamente 3 portas livres (testes de concorrência)',
    });
    // 6 m north of Rua Silva Jardim at its house number: its pole joins that street's pole line there.
    const { from, to } = street.numbers;
    const along = ((ISOLATED_BOX.houseNumber - from) / (to - from)) * streetLengthMeters(street);
    this.placements.push({ box, street, along, side: 1 });
    this.splitter(box, 0, 'net2', 0);
    const splitter = this.splitter(box, 1, 'drop8');
    for (const port of ISOLATED_BOX.blockedPorts) this.block(splitter, port);
    for (const port of ISOLATED_BOX.occupiedPorts) this.client(box, splitter, port, street, ISOLATED_BOX.houseNumber);
  }

  private box(spec: {
    name: string;
    type: 'CTO' | 'CEO';
    position: LatLng;
    address: string;
    draft: boolean;
    implanted: boolean;
    certified: boolean;
    observation?: string;
  }): BoxRecord {
    const at = this.at();
    const id = this.newId(at);
    const lat = round7(spec.position.lat);
    const lng = round7(spec.position.lng);
    const box: BoxRecord = {
      _id: id,
      id,
      kind: 'Box',
      name: spec.name,
      project: this.projectId,
      // The id of the pole the box hangs on (physical.ts puts that pole under it); drawn here, as it always was.
      pole: this.newId(at),
      boxType: this.boxTypeIds[spec.type],
      hierarchyLevel: spec.type === 'CTO' ? 3 : 2,
      coords: [lng, lat],
      lat,
      lng,
      address: spec.address,
      ...(spec.observation === undefined ? {} : { observation: spec.observation }),
      tags: [],
      cables: [],
      implanted: spec.implanted,
      draft: spec.draft,
      certified: spec.certified,
      shared: false,
      default_reserve: 0,
      underground: false,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      creatorData: this.designer,
    };
    this.store.insertBox(box);
    return box;
  }

  /** A splitter; a network splitter gets `usedShare` of its outputs connected onwards (fibers to other boxes). */
  private splitter(box: BoxRecord, index: number, kind: SplitterKind, usedShare = 0): SplitterRecord {
    const spec = SPLITTER_KINDS[kind];
    const at = this.at();
    const id = this.newId(at);
    const splitter: SplitterRecord = {
      _id: id,
      id,
      kind: 'Splitter',
      name: `Splitter ${index + 1}`,
      label: '',
      parent: box.id,
      project: box.project,
      splitterType: this.splitterTypeIds[kind],
      isDrop: spec.isDrop,
      implanted: !box.draft,
      index,
      connectables: {
        input: [box.draft ? null : this.newId(at)],
        output: Array.from({ length: spec.outputs }, () => (this.rng.chance(usedShare) ? this.newId(at) : null)),
      },
      ports: Array.from({ length: spec.outputs }, (_, i) => ({
        id: this.newId(at),
        index: i,
        blocked: false,
        tags: [],
      })),
      ratio: { input: 1, output: spec.outputs },
      attenuation: Array.from({ length: spec.outputs }, () => spec.loss),
      isBalanced: true,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      creatorData: this.designer,
    };
    this.store.insertSplitter(splitter);
    return splitter;
  }

  private block(splitter: SplitterRecord, port: number): void {
    const entry = splitter.ports[port - 1];
    if (entry) {
      entry.blocked = true;
      entry.observation = 'Porta com defeito';
    }
  }

  /** A pre-existing customer: mostly installed, a few still reserved ("Não implantado") by other salespeople. */
  private client(box: BoxRecord, splitter: SplitterRecord, port: number, street: Street, boxNumber: number): void {
    this.advance(this.rng.between(0.1, 4));
    const houseNumber = Math.max(1, boxNumber + this.rng.int(-40, 40));
    const home = offsetMeters({ lat: box.lat, lng: box.lng }, this.rng.between(-40, 40), this.rng.between(-40, 40));
    this.contract += this.rng.int(1, 7);
    const implanted = this.rng.chance(0.94);
    this.store.createProperty(
      {
        box: box.id,
        connector: splitter.id,
        port,
        autoConnect: false,
        coords: [round7(home.lng), round7(home.lat)],
        address: formatAddress(street, houseNumber),
        observation: '',
        tags: [],
        client: {
          code: String(this.contract),
          name: `${this.rng.pick(FIRST_NAMES)} ${this.rng.pick(SURNAMES)}`,
          implanted,
          certified: implanted && this.rng.chance(0.2),
          status: 0,
          tags: [],
        },
      },
      this.designer,
    );
  }
}

/** The network for a seed; pure and deterministic (same seed, deep-equal result). */
export const generateNetwork = (seed: number = DEFAULT_SEED): NetworkState => new NetworkBuilder(seed).build();

/** A state as a state file may hold it: one written before the physical layer has `project` and no poles. */
export type SavedState = Omit<NetworkState, 'projects' | 'poleTypes' | 'poles' | 'prospects'> &
  Partial<Pick<NetworkState, 'projects' | 'poleTypes' | 'poles' | 'prospects'>> & {
    project?: { id: string; name: string };
  };

/**
 * A saved state with every collection: what a state file written before the physical layer lacks (projects, pole
 * types, poles) is regenerated from its seed. Its boxes are that seed's (no route created boxes then), and each keeps
 * the pole id it always had, so every box finds its pole; the saved project keeps its id and name. A file written
 * before prospects has none.
 */
export function withPhysicalLayer(saved: SavedState): NetworkState {
  const { project, projects, poleTypes, poles, prospects = [], ...rest } = saved;
  if (projects && poleTypes && poles) return { ...rest, projects, poleTypes, poles, prospects };
  const seeded = pristineNetwork(saved.seed);
  const seededProject = seeded.projects[0] as ProjectRecord;
  const kept = project ? { ...seededProject, _id: project.id, id: project.id, name: project.name } : seededProject;
  return {
    ...rest,
    prospects,
    projects: projects ?? [kept],
    poleTypes: poleTypes ?? seeded.poleTypes,
    poles: poles ?? seeded.poles.map((pole) => ({ ...pole, project: kept.id })),
  };
}

let pristine: { seed: number; json: string } | undefined;

/**
 * A fresh copy of a seed's network. Resets are frequent (tests, demos) and generation is the slow part, so the last
 * seed's network is kept as JSON and parsed again, which also guarantees the copy shares nothing with the last one.
 */
export function pristineNetwork(seed: number = DEFAULT_SEED): NetworkState {
  if (pristine?.seed !== seed) pristine = { seed, json: JSON.stringify(generateNetwork(seed)) };
  return JSON.parse(pristine.json) as NetworkState;
}
