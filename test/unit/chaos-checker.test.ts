/**
 * The chaos run's checker catches each kind of violation of docs/architecture.md, "Invariants" 1-4, and passes a state
 * that keeps the rules.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { externalIdFor } from '../../contract/ids.ts';
import {
  VIOLATION_KINDS,
  checkInvariants,
  countByKind,
  type SimState,
  type ViolationKind,
  type WorkflowOutcome,
} from '../chaos/checker.ts';

type Property = SimState['properties'][number];
type Client = SimState['clients'][number];

const reservation = (id: string, splitter: string, port: number) => ({
  boxId: 'box-1',
  boxName: 'CTO-1',
  splitterId: splitter,
  splitterName: 'Splitter 1',
  port,
  clientId: `c-${id}`,
  propertyId: `p-${id}`,
  reservedAt: '2026-11-28T12:00:00Z',
  expiresAt: '2026-11-28T12:00:10Z',
});
const ours = (
  id: string,
  splitter: string,
  port: number,
  implanted: boolean,
): { property: Property; client: Client } => ({
  property: { id: `p-${id}`, external_id: externalIdFor(id), client: `c-${id}`, connections: [{ id: splitter, port }] },
  client: { id: `c-${id}`, external_id: externalIdFor(id), implanted },
});
const done = (
  viabilityId: string,
  status: NonNullable<WorkflowOutcome['state']>['status'],
  res?: ReturnType<typeof reservation>,
): WorkflowOutcome => ({
  viabilityId,
  execution: 'COMPLETED',
  state: { status, ...(res ? { reservation: res } : {}) },
});

/**
 * Someone else's client, there before the run; one of ours installed
 * (V-1), one released (V-2), one without coverage (V-3).
 */
function goodRun(): { before: SimState; after: SimState; outcomes: WorkflowOutcome[] } {
  const foreign: Property = { id: 'p-x', client: 'c-x', connections: [{ id: 's1', port: 1 }] };
  const foreignClient: Client = { id: 'c-x', implanted: true };
  const installed = ours('V-1', 's1', 2, true);
  return {
    before: { properties: [foreign], clients: [foreignClient] },
    after: { properties: [foreign, installed.property], clients: [foreignClient, installed.client] },
    outcomes: [
      done('V-1', 'INSTALLED', reservation('V-1', 's1', 2)),
      done('V-2', 'EXPIRED', reservation('V-2', 's1', 3)),
      done('V-3', 'NO_COVERAGE'),
    ],
  };
}

/** The kinds found, each once per kind, for a precise comparison. */
const kinds = (run: ReturnType<typeof goodRun>): ViolationKind[] =>
  [...new Set(checkInvariants(run).map((v) => v.kind))].sort();

describe('chaos checker', () => {
  it('finds nothing wrong in a run that keeps the rules', () => {
    assert.deepEqual(checkInvariants(goodRun()), []);
  });

  it('catches two clients for one viability', () => {
    const run = goodRun();
    const twin = ours('V-1', 's1', 4, false);
    run.after.properties = [...run.after.properties, { ...twin.property, id: 'p-V-1-bis', client: 'c-V-1-bis' }];
    run.after.clients = [...run.after.clients, { ...twin.client, id: 'c-V-1-bis' }];
    assert.deepEqual(kinds(run), ['two-clients-one-viability']);
    const [violation] = checkInvariants(run);
    assert.equal(violation?.viabilityId, 'V-1');
  });

  it('catches two clients on one port, and one client on two properties', () => {
    const run = goodRun();
    const intruder = ours('V-4', 's1', 2, false); // the port V-1 holds
    run.after.properties = [...run.after.properties, intruder.property];
    run.after.clients = [...run.after.clients, intruder.client];
    run.outcomes.push({
      viabilityId: 'V-4',
      execution: 'RUNNING',
      state: { status: 'RESERVED', reservation: reservation('V-4', 's1', 2) },
    });
    assert.deepEqual(kinds(run), ['not-final', 'two-clients-one-port']);

    const shared = goodRun();
    shared.after.properties = [
      ...shared.after.properties,
      { id: 'p-y', client: 'c-x', connections: [{ id: 's2', port: 1 }] },
    ];
    assert.deepEqual(kinds(shared), ['two-clients-one-port']);
  });

  it("catches an operator-terminated reservation whose port outlived the reconciler's final run", () => {
    const run = goodRun();
    const orphan = ours('V-5', 's1', 5, false);
    run.outcomes.push({ viabilityId: 'V-5', execution: 'TERMINATED', terminatedOnPurpose: true });
    assert.deepEqual(kinds(run), [], 'released by the reconciler: nothing to report');
    run.after.properties = [...run.after.properties, orphan.property];
    run.after.clients = [...run.after.clients, orphan.client];
    assert.deepEqual(kinds(run), ['orphan-left']);
    // A termination the run did not plan is still a workflow that did not finish.
    run.outcomes[run.outcomes.length - 1] = { viabilityId: 'V-5', execution: 'TERMINATED' };
    assert.deepEqual(kinds(run), ['not-final']);
  });

  it('catches a port still held by a reservation that expired, was cancelled or found no coverage', () => {
    for (const status of ['EXPIRED', 'CANCELLED', 'NO_COVERAGE'] as const) {
      const run = goodRun();
      const held = ours('V-2', 's1', 3, false);
      run.after.properties = [...run.after.properties, held.property];
      run.after.clients = [...run.after.clients, held.client];
      run.outcomes[1] = done('V-2', status, reservation('V-2', 's1', 3));
      assert.deepEqual(kinds(run), ['port-held-after-finish'], status);
    }
    const clientOnly = goodRun();
    clientOnly.after.clients = [...clientOnly.after.clients, ours('V-2', 's1', 3, false).client];
    assert.deepEqual(kinds(clientOnly), ['port-held-after-finish'], 'a client left behind without its property');
  });

  it('catches a marked client that no workflow of the run accounts for', () => {
    const run = goodRun();
    const stray = ours('V-9', 's3', 1, false);
    run.after.properties = [...run.after.properties, stray.property];
    run.after.clients = [...run.after.clients, stray.client];
    assert.deepEqual(kinds(run), ['untracked-reservation']);
  });

  it('catches an INSTALLED client that was deleted, un-implanted, replaced or moved', () => {
    const deleted = goodRun();
    deleted.after.properties = deleted.after.properties.filter((p) => p.id !== 'p-V-1');
    deleted.after.clients = deleted.after.clients.filter((c) => c.id !== 'c-V-1');
    assert.deepEqual(kinds(deleted), ['installed-client-deleted']);

    const notImplanted = goodRun();
    notImplanted.after.clients = notImplanted.after.clients.map((c) =>
      c.id === 'c-V-1' ? { ...c, implanted: false } : c,
    );
    assert.deepEqual(kinds(notImplanted), ['installed-client-deleted']);

    const clientGone = goodRun(); // OZmap deleted the client but kept the property on the port
    clientGone.after.clients = clientGone.after.clients.filter((c) => c.id !== 'c-V-1');
    clientGone.after.properties = clientGone.after.properties.map((p) =>
      p.id === 'p-V-1' ? { ...p, client: null } : p,
    );
    assert.deepEqual(kinds(clientGone), ['installed-client-deleted']);

    const moved = goodRun();
    moved.after.properties = moved.after.properties.map((p) =>
      p.id === 'p-V-1' ? { ...p, connections: [{ id: 's1', port: 7 }] } : p,
    );
    assert.deepEqual(kinds(moved), ['installed-client-deleted']);
  });

  it('catches a workflow that is still running, failed, or completed in a status that is not final', () => {
    for (const outcome of [
      { viabilityId: 'V-3', execution: 'RUNNING', state: { status: 'RELEASING' as const } },
      { viabilityId: 'V-3', execution: 'FAILED', error: 'boom' },
      { viabilityId: 'V-3', execution: 'COMPLETED', state: { status: 'RESERVED' as const } },
    ]) {
      const run = goodRun();
      run.outcomes[2] = outcome;
      assert.deepEqual(kinds(run), ['not-final'], outcome.execution);
    }
  });

  it("catches someone else's client deleted or moved", () => {
    const deleted = goodRun();
    deleted.after.properties = deleted.after.properties.filter((p) => p.id !== 'p-x');
    assert.deepEqual(kinds(deleted), ['foreign-client-changed']);
    const moved = goodRun();
    moved.after.properties = moved.after.properties.map((p) =>
      p.id === 'p-x' ? { ...p, connections: [{ id: 's1', port: 5 }] } : p,
    );
    assert.deepEqual(kinds(moved), ['foreign-client-changed']);
  });

  it('counts every kind, zeros included', () => {
    const counts = countByKind([
      { kind: 'not-final', detail: '' },
      { kind: 'not-final', detail: '' },
    ]);
    assert.equal(Object.keys(counts).length, VIOLATION_KINDS.length);
    assert.equal(counts['not-final'], 2);
    assert.equal(counts['two-clients-one-port'], 0);
  });
});
