/**
 * How problems are reported without secret values (docs/architecture.md, configuration): rules try not to quote
 * secrets, and this is the last line of defence whatever a rule or zod says.
 */
import type { RawEnv } from './rules.ts';

/** Variables whose values must never appear in a message. */
export const SECRET_VARIABLES: readonly string[] = [
  'OZMAP_API_KEY',
  'TEMPORAL_API_KEY',
  'GOOGLE_GEOCODING_API_KEY',
  'ISPBOX_API_KEY',
  'VIABILITY_LINK_SECRET',
  'PAYLOAD_ENCRYPTION_KEY',
  'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS',
  'CODEC_SERVER_TOKEN',
  'METRICS_TOKEN',
  'WEBHOOK_SECRET',
];

/** URLs whose user and password are secret (the rules refuse them, but the message must not repeat them). */
const URL_VARIABLES = ['OZMAP_URL', 'GEOCODER_URL', 'WEBHOOK_URL'];

/** Shorter fragments are not secrets, and masking them would garble the messages. */
const MIN_MASKED_LENGTH = 4;

/** Each problem with every secret value (and every URL's user or password) replaced by `***`. */
export function redactSecrets(problems: string[], raw: RawEnv): string[] {
  const secrets = SECRET_VARIABLES.flatMap((name) => {
    const value = raw[name]?.trim();
    if (!value) return [];
    // Lists of `id:key`: the keys are secret, their ids are not (messages name them).
    const parts =
      name === 'PAYLOAD_ENCRYPTION_PREVIOUS_KEYS'
        ? value.split(',').map((entry) => entry.slice(entry.indexOf(':') + 1).trim())
        : [];
    return [value, ...parts];
  });
  for (const name of URL_VARIABLES) {
    const value = raw[name];
    if (!value || !URL.canParse(value)) continue;
    const { username, password } = new URL(value);
    for (const part of [username, password]) secrets.push(part, safeDecode(part));
  }
  // Longest first, so that a part never leaves the rest of a longer secret behind.
  const masks = [...new Set(secrets.filter((s) => s.length >= MIN_MASKED_LENGTH))].sort((a, b) => b.length - a.length);
  return problems.map((problem) => masks.reduce((text, secret) => text.split(secret).join('***'), problem));
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
