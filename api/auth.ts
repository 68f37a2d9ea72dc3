/**
 * `Authorization: Bearer <secret>` on the routes that need it: ISPBOX_API_KEY on the API's, METRICS_TOKEN on
 * /metrics. Compared in constant time (net/bearer.ts).
 */
import type { FastifyRequest } from 'fastify';
import { bearerMatcher, bearerToken } from '../net/bearer.ts';
import { HttpProblem } from './errors.ts';

/** Refuses a request without `Authorization: Bearer <secret>` (401); `name` is the secret's variable, for messages. */
export function bearerAuth(secret: string, name = 'ISPBOX_API_KEY'): (request: FastifyRequest) => Promise<void> {
  const matches = bearerMatcher(secret);
  return (request) => {
    const header = request.headers.authorization;
    const token = bearerToken(header);
    if (matches(token)) return Promise.resolve();
    const problem =
      header === undefined
        ? `is missing: send "Authorization: Bearer <${name}>"`
        : token === undefined
          ? `must be "Bearer <${name}>"`
          : `carries a key that is not a valid ${name}`;
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
