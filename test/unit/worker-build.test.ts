/**
 * npm start rebuilds the worker only when its sources changed (scripts/worker-build.ts): the hash it decides by
 * covers every .ts file of the worker's folders and the locked packages, and nothing else.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WORKER_SOURCES, workerSourcesHash } from '../../scripts/worker-build.ts';

describe('the worker build stamp', () => {
  it('changes with a source or the lock file, not with anything else', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'worker-sources-'));
    try {
      for (const folder of WORKER_SOURCES) mkdirSync(path.join(root, folder, 'deep'), { recursive: true });
      writeFileSync(path.join(root, 'package-lock.json'), '{}');
      const source = path.join(root, 'workflows', 'deep', 'a.ts');
      writeFileSync(source, 'export const a = 1;');
      const first = await workerSourcesHash(root);
      assert.equal(await workerSourcesHash(root), first, 'the same tree, the same hash');
      writeFileSync(path.join(root, 'workflows', 'deep', 'notes.md'), 'not a source');
      mkdirSync(path.join(root, 'test'));
      writeFileSync(path.join(root, 'test', 'b.ts'), 'export const b = 1;');
      assert.equal(await workerSourcesHash(root), first, 'other files and folders do not count');
      writeFileSync(source, 'export const a = 2;');
      const changed = await workerSourcesHash(root);
      assert.notEqual(changed, first, 'a changed source rebuilds');
      writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion":3}');
      assert.notEqual(await workerSourcesHash(root), changed, 'changed packages rebuild');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
