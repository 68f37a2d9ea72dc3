/**
 * Validation for conformance lines: the activities' own zod schemas (activities/ozmap/schemas.ts), with a failure
 * worded for a bug report: which response, which field, what was expected, and the value seen there.
 */
import type { z } from 'zod';
import { shown } from './checks.ts';

export type Validated<T> = { ok: true; value: T } | { ok: false; problem: string };

export function validate<T extends z.ZodType>(schema: T, body: unknown, what: string): Validated<z.infer<T>> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  if (!issue) return { ok: false, problem: `${what} did not match` };
  const path = issue.path.map(String);
  return {
    ok: false,
    problem: `${what}: field ${path.join('.') || '(root)'} ${issue.message} (seen: ${shown(valueAt(body, path))})`,
  };
}

export function valueAt(body: unknown, path: readonly string[]): unknown {
  let value: unknown = body;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
