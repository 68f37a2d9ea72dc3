/**
 * Connections to Temporal for the client library: an eager one for short-lived callers (the CLI, scripts) and a
 * lazy one for servers that must start while Temporal is down. Both carry the worker's data converter, so with
 * payload encryption on, both sides encrypt and decrypt.
 */
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { dataConverterFor } from '../codec/data-converter.ts';
import type { Config } from '../config/env.ts';
import { temporalConnectionOptions } from '../config/temporal.ts';

export type ConnectionConfig = Pick<Config, 'temporal'> & Partial<Pick<Config, 'payloadEncryption'>>;

const clientOn = (connection: Connection, config: ConnectionConfig) =>
  new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config.payloadEncryption),
  });

export async function connectClient(config: ConnectionConfig): Promise<Client> {
  return clientOn(await Connection.connect(temporalConnectionOptions(config.temporal)), config);
}

/**
 * Connects on first use and reconnects by itself. `grpcAttempts` bounds the SDK's retries of an unavailable server
 * (its default is 10 attempts, several seconds), so callers learn quickly that Temporal is down.
 */
export function lazyClient(config: ConnectionConfig, options: { grpcAttempts?: number } = {}): Client {
  const connection = Connection.lazy({
    ...temporalConnectionOptions(config.temporal),
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: options.grpcAttempts ?? 3 }))],
  });
  return clientOn(connection, config);
}
