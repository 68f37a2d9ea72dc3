/**
 * A history replays with the input it recorded, whatever the boundary's schema says today: validation is the
 * client library's job, the workflow reads its input with the frozen v1 reader (contract/recorded-input.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { ReservationInput } from '../../contract/schemas.ts';
import { workflowBundle } from '../support/world.ts';

const file = path.join(import.meta.dirname, 'histories', 'v1-expired.json');

interface JsonHistory {
  events: Array<{ workflowExecutionStartedEventAttributes?: { input: { payloads: Array<{ data: string }> } } }>;
}

const load = (): JsonHistory => JSON.parse(readFileSync(file, 'utf8')) as JsonHistory;
const startPayload = (history: JsonHistory) =>
  history.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!;
const recordedInput = (history: JsonHistory): Record<string, unknown> =>
  JSON.parse(Buffer.from(startPayload(history).data, 'base64').toString('utf8')) as Record<string, unknown>;

/** The same history, started with `change` applied to its input (the input is not matched on replay). */
function withInput(change: (input: Record<string, unknown>) => Record<string, unknown>): JsonHistory {
  const history = load();
  startPayload(history).data = Buffer.from(JSON.stringify(change(recordedInput(history)))).toString('base64');
  return history;
}

const replay = async (history: JsonHistory, name: string) =>
  Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, historyFromJSON(history), name);

describe('replay with an input the schema would refuse today', () => {
  it('a radius maximum tightened after the start does not break the recorded run', async () => {
    const history = load();
    const recorded = recordedInput(history);
    assert.equal(recorded.radiusMeters, 250);
    // A future rule: at most 200 m. The boundary would refuse this input now...
    const stricter = ReservationInput.refine((i) => (i.radiusMeters ?? 0) <= 200, {
      message: 'must be at most 200 metres',
      path: ['radiusMeters'],
    });
    assert.equal(stricter.safeParse(recorded).success, false);
    // ...and the run it started still replays.
    await replay(history, 'replay-recorded-radius');
  });

  it('an input carrying a value the current schema rejects (radius 6000 m > 5000 m) still replays', async () => {
    const history = withInput((input) => ({ ...input, radiusMeters: 6000 }));
    const issues = ReservationInput.safeParse(recordedInput(history)).error?.issues ?? [];
    assert.ok(
      issues.some((i) => i.path.join('.') === 'radiusMeters'),
      `the current schema refuses it: ${JSON.stringify(issues)}`,
    );
    await replay(history, 'replay-radius-6000');
  });

  it('an input with a field the current schema does not know still replays', async () => {
    const history = withInput((input) => ({ ...input, channel: 'loja' }));
    assert.equal(ReservationInput.safeParse(recordedInput(history)).success, false);
    await replay(history, 'replay-unknown-field');
  });
});
