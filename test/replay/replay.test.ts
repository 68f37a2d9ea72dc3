/**
 * Recorded histories (one per final status, plus the manual path) replayed against the current workflow code.
 * A change that would break reservations already sleeping in production fails here: guard it with patched().
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { FINAL_STATUSES } from '../../contract/statuses.ts';
import { type ReservationState } from '../../contract/schemas.ts';
import { workflowBundle } from '../support/world.ts';

const dir = path.join(import.meta.dirname, 'histories');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

function finalStatusOf(history: ReturnType<typeof historyFromJSON>): string {
  const completed = history.events?.at(-1)?.workflowExecutionCompletedEventAttributes;
  assert.ok(completed, 'the recorded workflow completed');
  return defaultPayloadConverter.fromPayload<ReservationState>(completed.result!.payloads![0]!).status;
}

describe('replay of recorded histories', () => {
  it('covers every final status', () => {
    const statuses = new Set(
      files.map((f) => finalStatusOf(historyFromJSON(JSON.parse(readFileSync(path.join(dir, f), 'utf8'))))),
    );
    assert.deepEqual([...statuses].sort(), [...FINAL_STATUSES].sort());
  });

  for (const file of files) {
    it(`replays ${file} without a determinism error`, async () => {
      const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`);
    });
  }
});
