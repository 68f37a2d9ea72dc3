/**
 * The drop along the poles (pole mode, DESIGN §2.5, as OZmap's OZloc pole mode): from the customer to the nearest
 * usable pole, along pole adjacencies to the box's pole, then to the box. Pure code: no I/O, no Node built-ins, the
 * same answer for the same input whatever its order (the survey's result is recorded in workflow history).
 *
 * The search is a hand-written Dijkstra on a small binary heap rather than a graph library's: it is some 40 lines,
 * and what it needs is what the libraries looked at (graphology-shortest-path, dijkstrajs, ngraph.path) do not
 * offer: a stop at the longest drop allowed, ties broken by pole id, and no graph object built on every search.
 */
import { MAX_DROP_POLES, type DropRoute } from '../contract/schemas.ts';
import { distanceMeters } from './geo.ts';

/** A pole as the search needs it. */
export interface PoleNode {
  id: string;
  lat: number;
  lng: number;
  /** Pole ids it is linked to; one listed on either pole links both ways; unknown ids and itself are ignored. */
  adjacents: readonly string[];
  /** The pole's type allows viability and the pole is usable: only such a pole can be the drop's first. */
  viabilityAllowed: boolean;
}

/** A box and the pole it hangs on (`null`: none known, so no drop reaches it). */
export interface BoxOnPole {
  boxId: string;
  poleId: string | null;
  lat: number;
  lng: number;
}

/**
 * What a drop to one box comes to. `drop-too-long` gives the length when the search measured it; a box whose pole is
 * connected but farther along the poles than the maximum (where the search stops) is too long without a length.
 */
export type DropAnswer =
  { ok: true; drop: DropRoute } | { ok: false; reason: 'no-pole-path' | 'drop-too-long'; lengthMeters?: number };

export interface DropOptions {
  /** The project's longest drop (`Project.drop.maxSize`), in metres. */
  maxDropMeters: number;
  /** How far from the customer the first pole may be (DEFAULT_POLE_ACCESS_METERS). */
  accessRadiusMeters?: number;
}

/** The first pole is the nearest usable one within this distance of the customer, or there is no drop. */
export const DEFAULT_POLE_ACCESS_METERS = 100;

/**
 * The radius around the customer to fetch poles in so that every pole a valid drop can use is included. A drop runs
 * from the customer through its poles, each span a straight line, so a pole on a drop of length L is at most L from
 * the customer (triangle inequality): a drop of length ≤ maxDropMeters never leaves the circle of that radius. The
 * first pole is looked for within the access radius, so that too, for a project whose drops are shorter (then the
 * answer is `drop-too-long` rather than `no-pole-path`); and a metre more for lengths shown to a tenth and for a
 * server that measures with its own formula. A box connected only through poles outside the circle shows as
 * `no-pole-path`: its drop would be too long anyway.
 */
export const poleSearchRadiusMeters = (maxDropMeters: number, accessRadiusMeters = DEFAULT_POLE_ACCESS_METERS) =>
  Math.max(maxDropMeters, accessRadiusMeters) + 1;

/** Metres to a tenth, as geo.ts's shownDistanceMeters shows distances and as the maximum is held to. */
const tenth = (meters: number) => Math.round(meters * 10) / 10;

/**
 * The shortest drop from `customer` to each box, keyed by box id. Lengths are straight-line metres (geo.ts), summed
 * customer → first pole → … → box's pole → box, and shown to a tenth; a drop is within the maximum when its shown
 * length is. Among drops of equal length, the one through the poles settled first (nearer, then smaller id).
 */
export function dropRoutes(
  customer: { lat: number; lng: number },
  poles: readonly PoleNode[],
  boxes: readonly BoxOnPole[],
  options: DropOptions,
): Map<string, DropAnswer> {
  const graph = buildGraph(poles);
  const first = nearestUsable(customer, graph, options.accessRadiusMeters ?? DEFAULT_POLE_ACCESS_METERS);
  const answers = new Map<string, DropAnswer>();
  if (first === -1) {
    for (const box of boxes) answers.set(box.boxId, { ok: false, reason: 'no-pole-path' });
    return answers;
  }
  const { maxDropMeters } = options;
  const toFirst = distanceMeters(customer, graph.nodes[first]!);
  // Anything farther than this along the poles shows longer than the maximum, even before the last span to the box.
  const { dist, prev } = shortestFrom(graph, first, toFirst, maxDropMeters + 0.05);
  let connected: Uint8Array | undefined;
  for (const box of boxes) {
    const at = box.poleId === null ? undefined : graph.index.get(box.poleId);
    if (at === undefined) {
      answers.set(box.boxId, { ok: false, reason: 'no-pole-path' });
    } else if (dist[at] === Infinity) {
      connected ??= componentOf(graph, first);
      answers.set(box.boxId, { ok: false, reason: connected[at] === 1 ? 'drop-too-long' : 'no-pole-path' });
    } else {
      const path = pathTo(prev, at);
      const lengthMeters = tenth(dist[at]! + distanceMeters(graph.nodes[at]!, box));
      if (lengthMeters > maxDropMeters || path.length > MAX_DROP_POLES) {
        answers.set(box.boxId, { ok: false, reason: 'drop-too-long', lengthMeters });
      } else {
        const onPoles = path.map((i) => graph.nodes[i]!);
        const route = [customer, ...onPoles, box].map(({ lat, lng }) => ({ lat, lng }));
        answers.set(box.boxId, { ok: true, drop: { lengthMeters, poles: onPoles.map((p) => p.id), route } });
      }
    }
  }
  return answers;
}

interface Graph {
  nodes: PoleNode[];
  index: Map<string, number>;
  /** Neighbours by index, both ways; a link listed on both poles appears twice, which costs nothing but a look. */
  links: number[][];
}

function buildGraph(poles: readonly PoleNode[]): Graph {
  const nodes: PoleNode[] = [];
  const index = new Map<string, number>();
  for (const pole of poles) {
    // A duplicate id keeps its first pole; a pole without a place cannot be measured, so it is not there.
    if (index.has(pole.id) || !Number.isFinite(pole.lat) || !Number.isFinite(pole.lng)) continue;
    index.set(pole.id, nodes.length);
    nodes.push(pole);
  }
  const links: number[][] = nodes.map(() => []);
  nodes.forEach((pole, i) => {
    for (const id of pole.adjacents) {
      const j = index.get(id);
      if (j === undefined || j === i) continue;
      links[i]!.push(j);
      links[j]!.push(i);
    }
  });
  return { nodes, index, links };
}

/** The nearest usable pole (ties: the smaller id), if it is within `radius`; -1 if not. That pole only. */
function nearestUsable(customer: { lat: number; lng: number }, graph: Graph, radius: number): number {
  let best = -1;
  let bestMeters = Infinity;
  graph.nodes.forEach((pole, i) => {
    if (!pole.viabilityAllowed) return;
    const meters = distanceMeters(customer, pole);
    if (meters < bestMeters || (meters === bestMeters && pole.id < graph.nodes[best]!.id)) {
      best = i;
      bestMeters = meters;
    }
  });
  return best !== -1 && tenth(bestMeters) <= radius ? best : -1;
}

/**
 * Dijkstra from `start` (already `startMeters` along), never past `limit`: poles beyond it keep Infinity. Poles are
 * settled in order of (distance, id), so a pole reached equally from two keeps the one settled first (the nearer, or
 * the smaller id): the answer does not depend on the order of the input.
 */
function shortestFrom(graph: Graph, start: number, startMeters: number, limit: number) {
  const { nodes, links } = graph;
  const dist = new Float64Array(nodes.length).fill(Infinity);
  const prev = new Int32Array(nodes.length).fill(-1);
  const done = new Uint8Array(nodes.length);
  const heap = new PoleHeap((a, b) => nodes[a]!.id < nodes[b]!.id);
  dist[start] = startMeters;
  heap.push(start, startMeters);
  for (let u = heap.pop(); u !== undefined; u = heap.pop()) {
    if (done[u] === 1) continue;
    done[u] = 1;
    for (const v of links[u]!) {
      if (done[v] === 1) continue;
      const meters = dist[u]! + distanceMeters(nodes[u]!, nodes[v]!);
      if (meters > limit) continue;
      if (meters < dist[v]!) {
        dist[v] = meters;
        prev[v] = u;
        heap.push(v, meters);
      }
    }
  }
  return { dist, prev };
}

/**
 * A binary min-heap of pole indices by distance, then by `tieBefore`. A pole is pushed again when its distance
 * shrinks; the entry already in stays and is skipped when popped (its pole is done by then): simpler than a
 * decrease-key, and a pole has only a few links.
 */
class PoleHeap {
  private readonly items: number[] = [];
  private readonly keys: number[] = [];
  constructor(private readonly tieBefore: (a: number, b: number) => boolean) {}

  private before(i: number, j: number): boolean {
    const { keys, items } = this;
    return keys[i]! < keys[j]! || (keys[i] === keys[j] && this.tieBefore(items[i]!, items[j]!));
  }

  private swap(i: number, j: number): void {
    const { keys, items } = this;
    [items[i], items[j]] = [items[j]!, items[i]!];
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }

  push(item: number, key: number): void {
    let i = this.items.push(item) - 1;
    this.keys.push(key);
    while (i > 0 && this.before(i, (i - 1) >> 1)) {
      this.swap(i, (i - 1) >> 1);
      i = (i - 1) >> 1;
    }
  }

  pop(): number | undefined {
    const { items, keys } = this;
    if (items.length === 0) return undefined;
    const top = items[0];
    this.swap(0, items.length - 1);
    items.pop();
    keys.pop();
    for (let i = 0; ;) {
      let child = 2 * i + 1;
      if (child >= items.length) break;
      if (child + 1 < items.length && this.before(child + 1, child)) child++;
      if (!this.before(child, i)) break;
      this.swap(i, child);
      i = child;
    }
    return top;
  }
}

/** The poles from the first to `at`, following predecessors back. */
function pathTo(prev: Int32Array, at: number): number[] {
  const path: number[] = [];
  for (let i = at; i !== -1; i = prev[i]!) path.push(i);
  return path.reverse();
}

/** Which poles are connected to `start` at all, whatever the length: tells too long from no path. */
function componentOf(graph: Graph, start: number): Uint8Array {
  const seen = new Uint8Array(graph.nodes.length);
  const stack = [start];
  seen[start] = 1;
  for (let u = stack.pop(); u !== undefined; u = stack.pop()) {
    for (const v of graph.links[u]!) {
      if (seen[v] === 0) {
        seen[v] = 1;
        stack.push(v);
      }
    }
  }
  return seen;
}
