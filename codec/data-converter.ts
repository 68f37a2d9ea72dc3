/**
 * The data converter both sides use: the worker (worker/worker.ts) and the client library (client/reservations.ts)
 * must agree, or one side writes payloads the other cannot read.
 */
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, type EncryptionKeys } from './encryption-codec.ts';

/** Undefined when encryption is off (no keys): the SDK's default converter, exactly as before. */
export function dataConverterFor(encryption: EncryptionKeys | undefined): DataConverter | undefined {
  return encryption ? { payloadCodecs: [new EncryptionCodec(encryption)] } : undefined;
}
