/**
 * Recorded histories (reservations: one per final status, plus the manual path, moves, extensions, runs continued as
 * new; the reconciler's run over every tenant and each tenant's run) replayed against the current workflow code: a change that makes today's code nondeterministic fails here. Before 1.0 the
 * histories are re-recorded when behaviour changes; from 1.0 on, a change that would break reservations already
 * sleeping in production is guarded with patched() and the 1.0 histories keep replaying (docs/development.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { RECONCILE_TENANTS_WORKFLOW_TYPE } from '../../contract/reconcile.ts';
import { WORKFLOW_TYPE as RESERVATION_WORKFLOW_TYPE } from '../../contract/defaults.ts';
import { FINAL_STATUSES } from '../../contract/statuses.ts';
import { type ReservationState } from '../../contract/schemas.ts';
import { workflowBundle } from '../support/world.ts';

const dir = path.join(import.meta.dirname, 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

type History = ReturnType<typeof historyFromJSON>;
const load = (file: string): History => historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
const workflowTypeOf = (history: History) =>
  history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
/** The reservations' histories: what the final statuses and continuations below are about. */
const reservations = () => files.map(load).filter((history) => workflowTypeOf(history) === RESERVATION_WORKFLOW_TYPE);

/** A run that continued as new has no final status of its own: its successor is recorded beside it. */
const continuedAsNew = (history: History) =>
  history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes != null;

/** Webhook delivery children are named after their parent's id, so a history with them replays under its own id. */
function recordedWorkflowId(history: History, file: string): string {
  const child = history.events?.find((e) => e.startChildWorkflowExecutionInitiatedEventAttributes != null);
  const childId = child?.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
  return childId?.includes('/event/') ? childId.split('/event/')[0]! : `replay-${file}`;
}

function finalStatusOf(history: History): string {
  const completed = history.events?.at(-1)?.workflowExecutionCompletedEventAttributes;
  assert.ok(completed, 'the recorded workflow completed');
  return defaultPayloadConverter.fromPayload<ReservationState>(completed.result!.payloads![0]!).status;
}

describe('replay of recorded histories', () => {
  it('covers every final status of a reservation, and the reconciler', () => {
    assert.ok(files.map(load).some((history) => workflowTypeOf(history) === RECONCILE_TENANTS_WORKFLOW_TYPE));
    const completed = reservations().filter((history) => !continuedAsNew(history));
    const statuses = new Set(completed.map(finalStatusOf));
    assert.deepEqual([...statuses].sort(), [...FINAL_STATUSES].sort());
  });

  it('keeps no stack trace: they name the recording machine paths, and replay never reads them', () => {
    const traced = files.filter((file) => /"stackTrace": "[^"]/.test(readFileSync(path.join(dir, file), 'utf8')));
    assert.deepEqual(traced, [], 'record.ts blanks stackTrace; blank it in these too');
  });

  it('covers a hold and a settle that continued as new, and the runs that resumed them', () => {
    const continued = files.filter(
      (f) => workflowTypeOf(load(f)) === RESERVATION_WORKFLOW_TYPE && continuedAsNew(load(f)),
    );
    assert.ok(
      continued.some((f) => f.includes('hold-')) && continued.some((f) => f.includes('release-')),
      `recorded runs that continued as new: ${continued.join(', ')}`,
    );
    const resumedFrom = reservations().filter(
      (history) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.length === 2,
    );
    assert.ok(resumedFrom.length > 0, 'a recorded run started with a continuation');
  });

  for (const file of files) {
    it(`replays ${file} without a determinism error`, async () => {
      const history = load(file);
      const workflowId = recordedWorkflowId(history, file);
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, workflowId);
    });
  }
});
