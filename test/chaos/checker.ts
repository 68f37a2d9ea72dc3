/**
 * The rules of docs/architecture.md, "Invariants" 1-4, checked after a run from what is left: the simulator's state
 * (GET /__sim/state) and every
 * workflow's result. Pure: no I/O, so a unit test can feed it bad states and see each kind of violation caught.
 */
import { externalIdFor } from '../../contract/ids.ts';
import { isFinal } from '../../contract/statuses.ts';
import { type ReservationState } from '../../contract/schemas.ts';

/** The parts of the simulator's state the rules are about (a subset of its NetworkState). */
export interface SimState {
  properties: ReadonlyArray<{
    id: string;
    external_id?: string;
    client: string | null;
    connections: ReadonlyArray<{ id: string; port: number }>;
  }>;
  clients: ReadonlyArray<{ id: string; external_id?: string; implanted: boolean }>;
}

export interface WorkflowOutcome {
  viabilityId: string;
  /** Temporal's execution status: COMPLETED, RUNNING, FAILED, TERMINATED, TIMED_OUT, … */
  execution: string;
  /** The result of a completed workflow, or the last state seen of one that is not. */
  state?: Pick<ReservationState, 'status' | 'reservation'>;
  /** Why there is no state (a failed workflow, a query that did not answer). */
  error?: string;
  /** The run terminated it on purpose (an operator's terminate): only the reconciler can release what it held. */
  terminatedOnPurpose?: boolean;
}

export const VIOLATION_KINDS = [
  /** Invariant 1: more than one OZmap property or client carries one viability's marker. */
  'two-clients-one-viability',
  /** Invariant 2: more than one property on one splitter port, or one client on two properties. */
  'two-clients-one-port',
  /** Invariant 3: a reservation finished without INSTALLED, yet its property or client is still in OZmap. */
  'port-held-after-finish',
  /** Invariant 3: a property or client with our marker that no workflow of the run accounts for. */
  'untracked-reservation',
  /** Invariant 4: an INSTALLED reservation whose client is gone, not implanted, or not the one reserved. */
  'installed-client-deleted',
  /** Every workflow must end, completed, in a final status. */
  'not-final',
  /** Clients that were there before the run (someone else's) must be left exactly as they were. */
  'foreign-client-changed',
  /** A workflow terminated by an operator still has its port after the reconciler's final run. */
  'orphan-left',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  kind: ViolationKind;
  viabilityId?: string;
  detail: string;
}

export interface CheckInput {
  /** The simulator's state at the end of the run. */
  after: SimState;
  /** Every workflow the run started. */
  outcomes: readonly WorkflowOutcome[];
  /** The state before the run: its clients must survive untouched. */
  before?: SimState;
}

/** Our marker's prefix: `externalIdFor` of any viability. */
const MARKER_PREFIX = externalIdFor('');

export function checkInvariants({ after, outcomes, before }: CheckInput): Violation[] {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, detail: string, viabilityId?: string) =>
    violations.push({ kind, detail, ...(viabilityId === undefined ? {} : { viabilityId }) });

  const propertiesByMarker = groupBy(after.properties, (p) => p.external_id);
  const clientsByMarker = groupBy(after.clients, (c) => c.external_id);
  const clientsById = new Map(after.clients.map((c) => [c.id, c]));

  // Invariant 1: one viability, at most one client.
  for (const [marker, properties] of propertiesByMarker) {
    if (!marker.startsWith(MARKER_PREFIX)) continue;
    const clients = clientsByMarker.get(marker) ?? [];
    if (properties.length > 1 || clients.length > 1) {
      add(
        'two-clients-one-viability',
        `${marker}: ${properties.length} properties (${ids(properties)}), ${clients.length} clients (${ids(clients)})`,
        marker.slice(MARKER_PREFIX.length),
      );
    }
  }
  for (const [marker, clients] of clientsByMarker) {
    if (marker.startsWith(MARKER_PREFIX) && clients.length > 1 && !propertiesByMarker.has(marker)) {
      add(
        'two-clients-one-viability',
        `${marker}: ${clients.length} clients (${ids(clients)}) without a property`,
        marker.slice(MARKER_PREFIX.length),
      );
    }
  }

  // Invariant 2: one port, at most one client; one client, one property.
  const byPort = groupBy(
    after.properties.flatMap((p) => p.connections.map((c) => ({ property: p.id, key: `${c.id}#${c.port}` }))),
    (c) => c.key,
  );
  for (const [port, claims] of byPort) {
    if (claims.length > 1)
      add(
        'two-clients-one-port',
        `splitter#port ${port} is claimed by properties ${claims.map((c) => c.property).join(', ')}`,
      );
  }
  for (const [client, properties] of groupBy(after.properties, (p) => p.client ?? undefined)) {
    if (properties.length > 1)
      add('two-clients-one-port', `client ${client} is attached to properties ${ids(properties)}`);
  }

  // Invariants 3 and 4, per workflow.
  const tracked = new Set<string>();
  for (const outcome of outcomes) {
    const marker = externalIdFor(outcome.viabilityId);
    tracked.add(marker);
    const properties = propertiesByMarker.get(marker) ?? [];
    const clients = clientsByMarker.get(marker) ?? [];
    const status = outcome.state?.status;
    if (outcome.execution === 'TERMINATED' && outcome.terminatedOnPurpose) {
      if (properties.length > 0 || clients.length > 0)
        add(
          'orphan-left',
          `terminated, and after the reconciler's final run OZmap still has properties [${ids(properties)}] and clients [${ids(clients)}] marked ${marker}`,
          outcome.viabilityId,
        );
      continue;
    }
    if (outcome.execution !== 'COMPLETED' || status === undefined || !isFinal(status)) {
      add(
        'not-final',
        `workflow ${outcome.execution}, status ${status ?? 'unknown'}${outcome.error ? `: ${outcome.error}` : ''}`,
        outcome.viabilityId,
      );
      continue; // what it holds is not yet settled; the status is the violation
    }
    if (status !== 'INSTALLED') {
      if (properties.length > 0 || clients.length > 0) {
        add(
          'port-held-after-finish',
          `${status}, yet OZmap still has properties [${ids(properties)}] and clients [${ids(clients)}] marked ${marker}`,
          outcome.viabilityId,
        );
      }
      continue;
    }
    const reservation = outcome.state?.reservation;
    const property = reservation ? after.properties.find((p) => p.id === reservation.propertyId) : undefined;
    const client = reservation ? clientsById.get(reservation.clientId) : undefined;
    const problems = [
      !reservation && 'the result has no reservation',
      reservation && !property && `property ${reservation.propertyId} is gone`,
      reservation && !client && `client ${reservation.clientId} is gone`,
      client && !client.implanted && `client ${client.id} is not implanted`,
      property &&
        reservation &&
        property.client !== reservation.clientId &&
        `property ${property.id} holds client ${property.client ?? 'none'}, not ${reservation.clientId}`,
      property &&
        reservation &&
        !property.connections.some((c) => c.id === reservation.splitterId && c.port === reservation.port) &&
        `property ${property.id} is no longer on port ${reservation.port} of splitter ${reservation.splitterId}`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length > 0)
      add('installed-client-deleted', `INSTALLED, but ${problems.join('; ')}`, outcome.viabilityId);
  }

  // Invariant 3: nothing orphaned: every marked record belongs to a workflow of the run.
  for (const marker of new Set([...propertiesByMarker.keys(), ...clientsByMarker.keys()])) {
    if (!marker.startsWith(MARKER_PREFIX) || tracked.has(marker)) continue;
    add(
      'untracked-reservation',
      `${marker}: properties [${ids(propertiesByMarker.get(marker) ?? [])}], clients [${ids(clientsByMarker.get(marker) ?? [])}] belong to no workflow of the run`,
      marker.slice(MARKER_PREFIX.length),
    );
  }

  // Someone else's clients are never touched: no release may delete or move what it did not create.
  if (before) {
    const now = new Map(after.properties.map((p) => [p.id, p]));
    for (const old of before.properties) {
      if (old.external_id?.startsWith(MARKER_PREFIX)) continue;
      const current = now.get(old.id);
      if (!current)
        add(
          'foreign-client-changed',
          `property ${old.id} (client ${old.client ?? 'none'}), there before the run, was deleted`,
        );
      else if (current.client !== old.client || portsOf(current) !== portsOf(old)) {
        add(
          'foreign-client-changed',
          `property ${old.id} changed: client ${old.client ?? 'none'} → ${current.client ?? 'none'}, ports ${portsOf(old)} → ${portsOf(current)}`,
        );
      }
    }
  }
  return violations;
}

/** Violations by kind, every kind present (zero included), for the report. */
export function countByKind(violations: readonly Violation[]): Record<ViolationKind, number> {
  const counts = Object.fromEntries(VIOLATION_KINDS.map((k) => [k, 0])) as Record<ViolationKind, number>;
  for (const v of violations) counts[v.kind]++;
  return counts;
}

function groupBy<T>(items: Iterable<T>, key: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

const ids = (records: ReadonlyArray<{ id: string }>) => records.map((r) => r.id).join(', ');
const portsOf = (p: SimState['properties'][number]) =>
  p.connections
    .map((c) => `${c.id}#${c.port}`)
    .sort()
    .join(',');
