/**
 * What `ozres doctor` reports: one check per line, each with its finding and, when it does not pass, the fix.
 * A check is data (no I/O here), so the CLI, the HTTP route and tests read the same thing.
 */
import { UpstreamHttpError } from '../activities/http.ts';
import type { Check, CheckStatus } from '../contract/doctor.ts';

export type { Check, CheckStatus } from '../contract/doctor.ts';

export const SYMBOLS: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!' };

export interface DoctorReport {
  /** The tenant checked (`ozres doctor --tenant`); absent, the environment's setup as before tenants. */
  tenant?: string;
  /** True when no check failed: everything needed for a sale holds. */
  ok: boolean;
  checks: Check[];
  summary: { pass: number; fail: number; warn: number };
}

export const pass = (id: string, title: string, finding: string, reference?: string): Check => ({
  id,
  title,
  status: 'pass',
  finding,
  ...(reference ? { reference } : {}),
});

export const fail = (id: string, title: string, finding: string, fix: string, reference?: string): Check => ({
  id,
  title,
  status: 'fail',
  finding,
  fix,
  ...(reference ? { reference } : {}),
});

export const warn = (id: string, title: string, finding: string, fix?: string, reference?: string): Check => ({
  id,
  title,
  status: 'warn',
  finding,
  ...(fix ? { fix } : {}),
  ...(reference ? { reference } : {}),
});

export function reportOf(checks: Check[], secrets: readonly (string | undefined)[] = []): DoctorReport {
  const masked = checks.map((c) => maskCheck(c, secrets));
  const count = (status: CheckStatus) => masked.filter((c) => c.status === status).length;
  const summary = { pass: count('pass'), fail: count('fail'), warn: count('warn') };
  return { ok: summary.fail === 0, checks: masked, summary };
}

/**
 * Last line of defence: whatever a check wrote, no secret's value leaves
 * the doctor (docs/architecture.md, "Invariants" 5).
 */
export function mask(text: string, secrets: readonly (string | undefined)[]): string {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4))];
  values.sort((a, b) => b.length - a.length);
  return values.reduce((out, secret) => out.split(secret).join('***'), text);
}

/** One check with every secret's value masked. */
export function maskCheck(check: Check, secrets: readonly (string | undefined)[]): Check {
  const out: Check = { ...check, title: mask(check.title, secrets), finding: mask(check.finding, secrets) };
  if (check.fix !== undefined) out.fix = mask(check.fix, secrets);
  return out;
}

/** A value seen in a response, short enough for one line, quoted as data. */
export function shown(value: unknown, max = 160): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  // Control characters from a server never reach the terminal as such.
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** An error as one line: HTTP errors are already worded without secrets or query strings (activities/http.ts). */
export function describeError(err: unknown): string {
  if (err instanceof UpstreamHttpError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}

/**
 * Runs one check's body; an unexpected exception becomes that check's ✗ instead of ending the run, so that every
 * other line is still reported.
 */
export async function guarded(
  id: string,
  title: string,
  body: () => Promise<Check | Check[]>,
  fix = 'report this line with the finding (docs/operations.md, "Before the first sale")',
): Promise<Check[]> {
  try {
    const result = await body();
    return Array.isArray(result) ? result : [result];
  } catch (err) {
    return [fail(id, title, `the check itself failed: ${describeError(err)}`, fix)];
  }
}
