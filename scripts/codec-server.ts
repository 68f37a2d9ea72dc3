/**
 * `npm run codec-server`: the codec endpoint alone, for a Web UI started elsewhere
 * (`temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888`) or the CLI
 * (`temporal workflow show --codec-endpoint …`). Configuration from the environment
 * (docs/security.md, "The codec endpoint").
 */
import { EncryptionCodec } from '../codec/encryption-codec.ts';
import { startCodecServer } from '../codec/server.ts';
import { ConfigError, loadConfig } from '../config/env.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.payloadEncryption) {
    throw new ConfigError([
      'PAYLOAD_ENCRYPTION_KEY: is required by the codec endpoint: set the key the worker uses (see docs/security.md)',
    ]);
  }
  const { allowedOrigins, token } = config.codecServer;
  const server = await startCodecServer({
    codec: new EncryptionCodec(config.payloadEncryption),
    ...config.codecServer,
  });
  console.log(
    `Codec endpoint at ${server.url} (for origins ` +
      `${allowedOrigins.join(', ')}${token ? '; bearer token required' : ''})`,
  );
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
