/** Writes a recorded history for the replay test (test/replay/histories), as record.ts and record-reconcile.ts do. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORIES_DIR = path.join(import.meta.dirname, 'histories');

export function saveHistory(name: string, history: Parameters<typeof historyToJSON>[0]): void {
  writeFileSync(
    path.join(HISTORIES_DIR, `${name}.json`),
    // Stack traces name the recording machine's paths, and replay never reads them.
    JSON.stringify(JSON.parse(historyToJSON(history)), (k, v: unknown) => (k === 'stackTrace' ? '' : v), 1) + '\n',
  );
}
