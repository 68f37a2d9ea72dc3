/**
 * The kinds of value a variable can hold, as zod schemas: each failure says what is wrong and how to fix it,
 * without repeating a secret's value (docs/architecture.md, configuration).
 */
import { z } from 'zod';
import { EncryptionKey, KEY_BYTES, KEY_ID_PATTERN, decodeBase64Strict, keyFingerprint } from '../codec/keys.ts';

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** The raw spellings `bool` reads as true, for rules that look at raw values. */
export const TRUE_WORDS: readonly string[] = ['true', '1', 'yes'];

export const positiveNumber = (what: string) =>
  z.coerce
    .number({ error: `must be a number (${what})` })
    .refine((n) => Number.isFinite(n) && n > 0, `must be a positive number (${what})`);

/** An http(s) URL, without its trailing slashes. */
export const url = (what: string) =>
  z
    .string()
    .trim()
    .refine(
      (s) => URL.canParse(s) && ['http:', 'https:'].includes(new URL(s).protocol),
      `must be an http(s) URL (${what})`,
    )
    .transform((s) => s.replace(/\/+$/, ''));

const GENERATE_KEY = 'generate one with `openssl rand -base64 32`';

/** Base64 of 32 random bytes; the message says what is wrong without repeating the value. */
export const aesKey = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const bytes = decodeBase64Strict(text);
    if (bytes?.length === KEY_BYTES) return bytes;
    ctx.addIssue({
      code: 'custom',
      message: bytes
        ? `must be ${KEY_BYTES} bytes once base64-decoded, not ${bytes.length}: ${GENERATE_KEY}`
        : `must be base64 (of ${KEY_BYTES} random bytes): ${GENERATE_KEY}`,
    });
    return z.NEVER;
  });

export const keyId = z
  .string()
  .trim()
  .regex(KEY_ID_PATTERN, 'must be 1-64 of [A-Za-z0-9._-] (it is stored in every encrypted payload)');

const ENTRY_FORMAT = '(entries are "<id>:<base64 key>", comma-separated)';

/** `id:base64,id:base64` (or bare base64: the id is then the key's fingerprint), for decrypting after a rotation. */
export const previousKeys = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const keys: EncryptionKey[] = [];
    text
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .forEach((entry, i) => {
        const colon = entry.indexOf(':');
        const id = colon < 0 ? undefined : entry.slice(0, colon).trim();
        const bytes = decodeBase64Strict(colon < 0 ? entry : entry.slice(colon + 1));
        if (id !== undefined && !KEY_ID_PATTERN.test(id)) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1}: the key id must be 1-64 of [A-Za-z0-9._-] ${ENTRY_FORMAT}`,
          });
        } else if (bytes?.length !== KEY_BYTES) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1}: the key must be the base64 of ${KEY_BYTES} bytes ${ENTRY_FORMAT}`,
          });
        } else {
          keys.push(new EncryptionKey(id ?? keyFingerprint(bytes), bytes));
        }
      });
    return keys;
  });

/** Origins as browsers send them: scheme, host and port, nothing else; comma-separated. */
export const origins = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const list = text
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    for (const origin of list) {
      if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
        ctx.addIssue({
          code: 'custom',
          message:
            `"${origin}" is not an origin: give scheme, host and port only, e.g. http://127.0.0.1:8233 ` +
            '(no "*": this service decrypts)',
        });
      }
    }
    return list;
  });

const REMINDER_FORMAT = 'whole days before the hold ends, comma-separated, e.g. 3,1';

/** `3,1`: distinct positive whole numbers, returned largest first (the order the reminders come in). */
export const reminderDays = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const entries = text.split(',').map((entry) => entry.trim());
    const days: number[] = [];
    entries.forEach((entry, i) => {
      if (!/^[1-9]\d{0,2}$/.test(entry)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1} ("${entry}") must be a whole number of days from 1 to 999 (${REMINDER_FORMAT})`,
        });
      } else if (days.includes(Number(entry))) {
        ctx.addIssue({ code: 'custom', message: `entry ${i + 1} repeats ${entry} (${REMINDER_FORMAT})` });
      } else days.push(Number(entry));
    });
    return days.sort((a, b) => b - a);
  });

const FRAME_SOURCE = /^(?:'self'|https?:\/\/(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?)$/;

/**
 * A CSP `frame-ancestors` source list: `'none'`, or space-separated `'self'` and http(s) origins (a leading `*.`
 * allowed). Nothing else, so that no value can end the directive and add one of its own.
 */
export const frameAncestors = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const sources = text.split(/\s+/);
    if (text === "'none'") return text;
    const bad = sources.filter((s) => !FRAME_SOURCE.test(s));
    if (bad.length > 0) {
      const what = bad.length === 1 ? 'is not a frame source' : 'are not frame sources';
      ctx.addIssue({
        code: 'custom',
        message:
          `${bad.map((s) => `"${s}"`).join(', ')} ${what}: give 'none', or 'self' and origins separated by ` +
          "spaces, e.g. 'self' https://ispbox.example.com.br",
      });
    }
    return sources.join(' ');
  });

/** How often the reconciler's Schedule runs: off, an interval, or a cron expression (docs/architecture.md). */
export type ReconcileSchedule =
  { kind: 'off' } | { kind: 'interval'; every: string } | { kind: 'cron'; expression: string };

const CRON_FIELD = /^[0-9A-Za-z*,/?-]+$/;
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const SCHEDULE_HELP =
  'must be "off", an interval such as 6h, 30m or 1d (at least 1m), or a cron expression such as "0 3 * * *"';

export const reconcileSchedule = z
  .string()
  .trim()
  .transform((text, ctx): ReconcileSchedule => {
    if (text.toLowerCase() === 'off') return { kind: 'off' };
    const interval = /^(\d+)(m|h|d)$/.exec(text);
    if (interval && Number(interval[1]) > 0) return { kind: 'interval', every: text };
    const fields = text.split(/\s+/);
    if (CRON_MACROS.includes(text) || (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f))))
      return { kind: 'cron', expression: fields.join(' ') };
    ctx.addIssue({ code: 'custom', message: SCHEDULE_HELP });
    return z.NEVER;
  });

/** `on` or `off` (true/false/1/0/yes/no too): a switch worded as the documentation words it. */
export const onOff = z
  .enum(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no'], { error: 'must be "on" or "off"' })
  .transform((v) => ['on', 'true', '1', 'yes'].includes(v));

/** OZmap tag ids, comma-separated (at most 10, each 1-64 characters without spaces), e.g. 5f1e…,5f2a…. */
export const tagList = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const tags = text
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const bad = tags.find((t) => !/^[^\s,]{1,64}$/.test(t));
    if (bad !== undefined || tags.length > 10) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be at most 10 OZmap tag ids, comma-separated, each 1-64 characters',
      });
      return z.NEVER;
    }
    return tags;
  });

/** Whole days from 1 to `max`. */
export const wholeDays = (max: number) =>
  z.coerce
    .number({ error: 'must be a whole number of days' })
    .int('must be a whole number of days')
    .min(1, 'must be at least 1 day')
    .max(max, `must be at most ${max} days`);
