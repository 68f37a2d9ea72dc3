/**
 * Payload encryption end to end, through `npm start` (dev server with its Web UI, simulator, worker, codec endpoint)
 * with PAYLOAD_ENCRYPTION_KEY set: the history holds no customer name, address or code outside the search
 * attributes, the client library still reads the state, and the codec endpoint decodes what the Web UI would send.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ReservationsClient } from '../../client/reservations.ts';
import type { JsonPayload } from '../../codec/json-payloads.ts';
import { loadConfig } from '../../config/env.ts';
import { findFreePort } from '../../scripts/dev-server.ts';
import { workflowIdFor } from '../../contract/ids.ts';
import { type ReservationInput } from '../../contract/schemas.ts';
import { describeHits, scanForSecrets, type Secret } from '../support/secret-scan.ts';
import { SIM_API_KEY } from '../support/world.ts';
import { startNpmStart, stopNpmStart } from '../support/npm-start.ts';

const fromBase64 = (text: string | null | undefined) => Buffer.from(text ?? '', 'base64').toString('utf8');

/** The history as JSON with the search attributes left out: payload codecs do not cover them (docs/security.md, "What encryption does not cover"). */
function withoutSearchAttributes(json: string): string {
  return JSON.stringify(JSON.parse(json), (key, value: unknown) => (key === 'searchAttributes' ? undefined : value));
}

/**
 * Patch markers (`patched('…')`) are written by the SDK's core, outside the data converter: their payload is the
 * patch id in clear. Set aside, after checking that the patch id is all they hold.
 */
type JsonHistory = {
  events: Array<{
    markerRecordedEventAttributes?: { markerName?: string; details?: Record<string, { payloads?: JsonPayload[] }> };
  }>;
};

function withoutMarkerBookkeeping(history: JsonHistory) {
  const events = history.events.flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === 'core_local_activity') return [withoutLocalActivityMetadata(event, marker)];
    if (marker?.markerName !== 'core_patch') return [event];
    for (const p of Object.values(marker.details ?? {}).flatMap((d) => d.payloads ?? [])) {
      const data = JSON.parse(fromBase64(p.data)) as unknown;
      assert.ok(
        typeof data === 'object' && data !== null && Object.keys(data).every((k) => k === 'id' || k === 'deprecated'),
        `a patch marker holds only the patch id: ${JSON.stringify(data)}`,
      );
    }
    return [];
  });
  return { ...history, events };
}

type Marker = NonNullable<JsonHistory['events'][number]['markerRecordedEventAttributes']>;

/**
 * A local activity's marker: its result goes through the codec like any payload; its `data` is the SDK's own
 * bookkeeping (seq, attempt, activity type, times), written without the codec, and must hold nothing else.
 */
function withoutLocalActivityMetadata(event: JsonHistory['events'][number], marker: Marker) {
  const { data, ...rest } = marker.details ?? {};
  for (const p of data?.payloads ?? []) {
    const fields = Object.keys(JSON.parse(fromBase64(p.data)) as object);
    const bookkeeping = ['seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff'];
    assert.ok(
      fields.every((k) => bookkeeping.includes(k) || k === 'original_schedule_time'),
      `a local activity marker's data holds only the SDK's bookkeeping: ${fields.join(', ')}`,
    );
  }
  return { ...event, markerRecordedEventAttributes: { ...marker, details: rest } };
}

/**
 * Every payload in a JSON history, found by shape (input, result, activity inputs and results, update and signal args).
 */
function payloadsIn(value: unknown, found: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(value)) value.forEach((v) => payloadsIn(v, found));
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && 'encoding' in o.metadata) found.push(o);
    else Object.values(o).forEach((v) => payloadsIn(v, found));
  }
  return found;
}

describe('payload encryption, through npm start', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-encryption-'));
  let current: ChildProcess | undefined;
  after(async () => {
    if (current && current.exitCode === null) await stopNpmStart(current);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'keeps customer data out of history; the client library and the codec endpoint still read it',
    { timeout: 240_000 },
    async () => {
      const [temporalPort, simPort, codecPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
        TEMPORAL_TASK_QUEUE: 'encryption-test',
        OZMAP_URL: `http://127.0.0.1:${simPort}`,
        OZMAP_API_KEY: SIM_API_KEY,
        ISPBOX_OZMAP_DATA_DIR: dataDir,
        PAYLOAD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        PAYLOAD_ENCRYPTION_KEY_ID: 'e2e-2026',
        CODEC_SERVER_PORT: String(codecPort),
        GEOCODER_MIN_INTERVAL_MS: '0',
        LOG_LEVEL: 'info',
      };
      const started = await startNpmStart(env);
      current = started.child;
      const uiUrl = /Temporal Web UI\s+(http:\/\/\S+)/.exec(started.output)?.[1];
      assert.ok(uiUrl, `npm start printed the Web UI's address:\n${started.output}`);
      const codecUrl = `http://127.0.0.1:${codecPort}`;
      assert.match(started.output, new RegExp(`Payloads\\s+encrypted \\(key e2e-2026\\); codec endpoint ${codecUrl}`));

      // The Web UI was told where to decode (temporal server start-dev --ui-codec-endpoint).
      const settings = (await (await fetch(`${uiUrl}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
      assert.equal(settings.Codec.Endpoint, codecUrl);

      const config = loadConfig(env);
      const reservations = await ReservationsClient.connect(config);
      const plainClient = new Client({ connection: reservations.client.connection }); // no codec: sees what the server stores
      try {
        const viabilityId = `ENC-${randomUUID().slice(0, 8)}`;
        const customer = { code: 'C-CIFRA-7731', name: 'Marta Cifrada Zimmermann' };
        const address = 'Rua Bocaiúva, 2125, Florianópolis - SC';
        const raw = { viabilityId, customer, address };
        const reserved = await reservations.reserve(raw);
        assert.equal(reserved.status, 'RESERVED', JSON.stringify(reserved));
        await reservations.confirm(viabilityId, { note: 'instalado pela Marta Cifrada' });
        const final = await reservations.result(viabilityId);
        assert.equal(final.status, 'INSTALLED');
        assert.deepEqual(
          (await reservations.get(viabilityId)).reservation,
          reserved.reservation,
          'the client library reads the state',
        );

        // Without the codec the result cannot be read: it really is encrypted.
        await assert.rejects(
          plainClient.workflow.getHandle(workflowIdFor(viabilityId)).result(),
          /binary\/encrypted|encoding/i,
        );

        const history = historyToJSON(await plainClient.workflow.getHandle(workflowIdFor(viabilityId)).fetchHistory());
        const payloads = payloadsIn(
          withoutMarkerBookkeeping(JSON.parse(withoutSearchAttributes(history)) as JsonHistory),
        );
        assert.ok(
          payloads.length >= 8,
          `input, activity inputs and results, update, signal, result: ${payloads.length}`,
        );
        for (const p of payloads) {
          assert.equal(fromBase64(p.metadata?.encoding), 'binary/encrypted', JSON.stringify(p));
          assert.equal(fromBase64(p.metadata?.['encryption-key-id']), 'e2e-2026');
        }
        const customerData: Secret[] = [
          { name: 'customer name', value: customer.name },
          { name: 'customer code', value: customer.code },
          { name: 'address', value: address },
          { name: 'street', value: 'Bocaiúva' },
          { name: 'signal note', value: 'Marta Cifrada' },
        ];
        const hits = scanForSecrets({ history: withoutSearchAttributes(history) }, customerData);
        assert.deepEqual(hits, [], describeHits(hits));
        // The same scan does see the code where payload codecs do not reach: the CustomerCode search attribute.
        assert.deepEqual(
          [...new Set(scanForSecrets({ history }, customerData).map((h) => h.secret))],
          ['customer code'],
        );

        // The Web UI's request to the codec endpoint: a preflight from its origin, then POST /decode with the payloads
        // of the start event, exactly as they are in history.
        const origin = new URL(uiUrl).origin;
        const preflight = await fetch(`${codecUrl}/decode`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type,x-namespace',
          },
        });
        assert.equal(preflight.status, 204);
        assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
        const started0 = (
          JSON.parse(history) as {
            events: Array<{ workflowExecutionStartedEventAttributes?: { input: { payloads: JsonPayload[] } } }>;
          }
        ).events[0]!;
        const input = started0.workflowExecutionStartedEventAttributes!.input;
        for (const uiOrigin of [origin, origin.replace('127.0.0.1', 'localhost')]) {
          const res = await fetch(`${codecUrl}/decode`, {
            method: 'POST',
            headers: { origin: uiOrigin, 'content-type': 'application/json', 'x-namespace': 'default' },
            body: JSON.stringify(input),
          });
          assert.equal(res.status, 200, uiOrigin);
          assert.equal(res.headers.get('access-control-allow-origin'), uiOrigin);
          const decoded = (await res.json()) as { payloads: JsonPayload[] };
          assert.equal(fromBase64(decoded.payloads[0]!.metadata?.encoding), 'json/plain');
          const expected: ReservationInput = reservations.prepare(raw);
          assert.deepEqual(JSON.parse(fromBase64(decoded.payloads[0]!.data)), expected);
        }
      } finally {
        await reservations.close();
      }
    },
  );
});
