/**
 * `Authorization: Bearer <ISPBOX_API_KEY>` on the API routes. The key is compared in constant time: both sides are
 * hashed first, so the comparison has equal lengths and leaks neither the key's length nor a matching prefix.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpProblem } from './errors.ts';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function bearerAuth(apiKey: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(apiKey);
  return (request) => {
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1] : undefined;
    if (token !== undefined && timingSafeEqual(digest(token), expected)) return Promise.resolve();
    const problem =
      header === undefined
        ? 'is missing: send "Authorization: Bearer <ISPBOX_API_KEY>"'
        : token === undefined
          ? 'must be "Bearer <ISPBOX_API_KEY>"'
          : 'carries a key that is not valid';
    // RFC 6750: say which scheme is expected; name the error only when a credential was offered.
    const challenge =
      header === undefined ? 'Bearer realm="ispbox-ozmap"' : 'Bearer realm="ispbox-ozmap", error="invalid_token"';
    return Promise.reject(
      new HttpProblem(
        401,
        'unauthorized',
        `Authorization header ${problem}`,
        [{ field: 'authorization', message: problem }],
        { 'www-authenticate': challenge },
      ),
    );
  };
}
