/** The scanner the e2e secret scan relies on: shown able to find a key in every form it can take. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { scanForSecrets, secretForms } from '../support/secret-scan.ts';

const KEY = { name: 'OZMAP_API_KEY', value: 'ozk-Scan7q-4f1d9e2b' };

describe('secret scanner', () => {
  it('finds a key in plain text', () => {
    const hits = scanForSecrets({ 'worker stdout': `{"level":50,"msg":"GET failed","authorization":"${KEY.value}"}` }, [
      KEY,
    ]);
    assert.deepEqual(
      hits.map((h) => [h.source, h.form]),
      [['worker stdout', 'plain']],
    );
    assert.ok(!hits[0]!.context.includes(KEY.value), 'the report masks the key');
  });

  it('finds a key base64-encoded at every alignment, inside larger blobs, in both alphabets', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', '{"apiKey":"']) {
      for (const suffix of ['', 'x', 'xy', '"}']) {
        const blob = Buffer.from(`${prefix}${KEY.value}${suffix}`);
        for (const [alphabet, encoded] of [
          ['base64', blob.toString('base64')],
          ['base64url', blob.toString('base64url')],
        ] as const) {
          const hits = scanForSecrets({ blob: `"data": "${encoded}"` }, [KEY]);
          assert.ok(
            hits.length > 0,
            `missed with prefix ${JSON.stringify(prefix)}, suffix ${JSON.stringify(suffix)}, ${alphabet}`,
          );
        }
      }
    }
  });

  it('finds a key inside a payload of a history exported as JSON (what the e2e scan reads)', () => {
    const payload = defaultPayloadConverter.toPayload({ note: `key is ${KEY.value}` });
    const json = historyToJSON({
      events: [
        { eventId: 1, eventType: 1, workflowExecutionStartedEventAttributes: { input: { payloads: [payload] } } },
      ],
    } as unknown as Parameters<typeof historyToJSON>[0]);
    assert.ok(!json.includes(KEY.value), 'the key is only there in base64');
    assert.ok(scanForSecrets({ history: json }, [KEY]).some((h) => h.form.startsWith('base64')));
  });

  it('stays quiet on text without the key, and on a near miss', () => {
    // (Base64 needles leave out the edge bits a neighbouring byte shares, so the miss is in the middle.)
    const text = `ozk-Scan8q-4f1d9e2b ${Buffer.from('ozk-Scan8q-4f1d9e2b').toString('base64')} OZMAP_API_KEY=***`;
    assert.deepEqual(scanForSecrets({ text }, [KEY]), []);
    assert.equal(secretForms(KEY.value).length >= 4, true);
  });
});
