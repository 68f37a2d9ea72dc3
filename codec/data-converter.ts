/**
 * The data converter both sides use: the worker (worker/worker.ts) and the client library (client/reservations.ts)
 * must agree, or one side writes payloads the other cannot read.
 */
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config/env.ts';
import { EncryptionCodec } from './encryption-codec.ts';

/** Undefined when encryption is off: the SDK's default converter, exactly as before. */
export function dataConverterFor(encryption: Config['payloadEncryption']): DataConverter | undefined {
  return encryption ? { payloadCodecs: [new EncryptionCodec(encryption)] } : undefined;
}
