/**
 * The JSON body parser: fastify's own says only "not valid JSON" for every fault, a prototype key included.
 * This one says where: the parse error's position, or the path of a key that could alter prototypes
 * (`__proto__` anywhere, `constructor.prototype`), which is refused like fastify refuses it.
 */
import { HttpProblem } from './errors.ts';

const bodyProblem = (field: string, message: string) =>
  new HttpProblem(400, 'invalid-input', message, [{ field, message }]);

/** The path of the first key that could alter a prototype, or undefined. */
function prototypeKeyPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const here = [...path, key];
    if (key === '__proto__') return here.join('.');
    if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype'))
      return [...here, 'prototype'].join('.');
    const found = prototypeKeyPath(child, here);
    if (found) return found;
  }
  return undefined;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw bodyProblem('(body)', 'Body is empty but content-type is application/json; send a JSON object');
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
