/**
 * The JSON body parser: fastify's own says only "not valid JSON" for every fault, a prototype key included.
 * This one says where: the parse error's position, or the path of a key that could alter prototypes
 * (`__proto__` anywhere, `constructor.prototype`), which is refused like fastify refuses it. It also bounds how
 * deep a body may nest, before parsing it, so that nothing after (JSON.parse, the walk, zod) meets a pathological
 * shape: a 16 KiB body 8,000 deep used to overflow the stack, and cost quadratic time before it did.
 */
import { HttpProblem } from './errors.ts';

/**
 * How deep arrays and objects may nest in a body. The deepest body the API takes is three levels (a reservation's
 * structured address), so 64 refuses no honest client, while a 64 KiB body could otherwise nest 32,000 deep.
 */
export const MAX_BODY_DEPTH = 64;

const bodyProblem = (field: string, message: string) =>
  new HttpProblem(400, 'invalid-input', message, [{ field, message }]);

type Container = Record<string, unknown>;
const isContainer = (value: unknown): value is Container => typeof value === 'object' && value !== null;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]); // [ {
const CLOSERS = new Set([0x5d, 0x7d]); // ] }

/** Whether a JSON text nests arrays or objects deeper than `max`, read in one pass before parsing (strings skipped). */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) if (text.charCodeAt(i) === BACKSLASH) i++;
    } else if (OPENERS.has(c)) {
      if (++depth > max) return true;
    } else if (CLOSERS.has(c)) depth--;
  }
  return false;
}

/** A container met on the walk, and how it was reached (the path is spelled only when needed). */
interface Step {
  value: Container;
  parent?: Step;
  key?: string;
}

const pathOf = (step: Step, ...keys: string[]): string => {
  const path = keys;
  for (let s: Step | undefined = step; s?.key !== undefined; s = s.parent) path.unshift(s.key);
  return path.join('.');
};

/**
 * The path of the first key (depth first, in document order) that could alter a prototype, or undefined. Iterative,
 * each container visited once: linear in the body, whatever its depth.
 */
function prototypeKeyPath(body: unknown): string | undefined {
  const pending: Step[] = isContainer(body) ? [{ value: body }] : [];
  for (let step = pending.pop(); step; step = pending.pop()) {
    const children: Step[] = [];
    for (const [key, child] of Object.entries(step.value)) {
      const prototypeKey =
        key === '__proto__'
          ? pathOf(step, key)
          : key === 'constructor' && isContainer(child) && Object.hasOwn(child, 'prototype')
            ? pathOf(step, key, 'prototype')
            : undefined;
      if (prototypeKey) return prototypeKey;
      if (isContainer(child)) children.push({ value: child, parent: step, key });
    }
    // Last pushed, first walked: reversed, the first child is walked first, as a recursive walk would.
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]!);
  }
  return undefined;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw bodyProblem('(body)', 'Body is empty but content-type is application/json; send a JSON object');
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) {
    throw bodyProblem(
      '(body)',
      `Body nests arrays or objects more than ${MAX_BODY_DEPTH} levels deep; ` +
        `the maximum nesting depth is ${MAX_BODY_DEPTH}: send the documented JSON object`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bodyProblem('(body)', `Body is not valid JSON (${(err as Error).message}); send a JSON object`);
  }
  const key = prototypeKeyPath(value);
  if (key)
    throw bodyProblem(key, `${key} is refused: keys named __proto__ or constructor.prototype are never accepted`);
  return value;
}
