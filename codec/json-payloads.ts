/**
 * The JSON form of payloads that the Temporal Web UI and CLI send to a codec endpoint:
 * `{ payloads: [{ metadata: { key: base64 }, data: base64 }] }` (proto3 JSON of temporal.api.common.v1.Payloads).
 */
import { z } from 'zod';
import type { Payload } from '@temporalio/common';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');

export const JsonPayload = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
export type JsonPayload = z.infer<typeof JsonPayload>;

export const JsonPayloads = z.object({ payloads: z.array(JsonPayload) });
export type JsonPayloads = z.infer<typeof JsonPayloads>;

export function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

export function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  };
}
