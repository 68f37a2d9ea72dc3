/**
 * Finds secrets in collected text (histories as JSON, process output): in plain form and in every base64 form a
 * secret can take inside a larger base64 blob (payload data is base64 in history JSON, at any byte alignment).
 */

export interface Secret {
  /** How a hit is reported; the value itself is never printed. */
  name: string;
  value: string;
}

export interface Hit {
  secret: string;
  /** Which collected text it was found in. */
  source: string;
  form: string;
  /** A few characters around the hit, with the secret masked. */
  context: string;
}

/**
 * The needles that betray `value`: itself, and for each of the three byte alignments the base64 characters that
 * depend on its bytes only (standard and url-safe alphabets). A secret shorter than a few bytes has no stable form.
 */
export function secretForms(value: string): Array<{ form: string; needle: string }> {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [{ form: 'plain', needle: value }];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes])
      .toString('base64')
      .replace(/=+$/, '');
    // Characters mixing padding bytes with the secret's are not fixed: skip them at the start…
    const start = Math.ceil((offset * 8) / 6);
    // …and at the end, unless the secret ends on a 3-byte boundary.
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const needle = encoded.slice(start, end);
    if (needle.length < 8) continue;
    forms.push({ form: `base64@${offset}`, needle });
    const urlSafe = needle.replace(/\+/g, '-').replace(/\//g, '_');
    if (urlSafe !== needle) forms.push({ form: `base64url@${offset}`, needle: urlSafe });
  }
  return forms;
}

export function scanForSecrets(sources: Record<string, string>, secrets: Secret[]): Hit[] {
  const hits: Hit[] = [];
  for (const secret of secrets) {
    for (const { form, needle } of secretForms(secret.value)) {
      for (const [source, text] of Object.entries(sources)) {
        const at = text.indexOf(needle);
        if (at < 0) continue;
        const context = text
          .slice(Math.max(0, at - 40), at + needle.length + 40)
          .split(needle)
          .join(`<${secret.name}>`);
        hits.push({ secret: secret.name, source, form, context });
      }
    }
  }
  return hits;
}

export function describeHits(hits: Hit[]): string {
  return hits.map((h) => `${h.secret} (${h.form}) in ${h.source}: …${h.context}…`).join('\n');
}
