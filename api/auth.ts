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
    return Promise.reject(
      unauthorized(header, token, {
        missing: `is missing: send "Authorization: Bearer <${name}>"`,
        malformed: `must be "Bearer <${name}>"`,
        refused: `carries a key that is not a valid ${name}`,
      }),
    );
  };
}

/** The 401 for a request whose `Authorization` header is missing, not a bearer token, or a token refused. */
export function unauthorized(
  header: string | undefined,
  token: string | undefined,
  says: { missing: string; malformed: string; refused: string },
): HttpProblem {
  const problem = header === undefined ? says.missing : token === undefined ? says.malformed : says.refused;
  // RFC 6750: say which scheme is expected; name the error only when a credential was offered.
  const challenge =
    header === undefined ? 'Bearer realm="ispbox-ozmap"' : 'Bearer realm="ispbox-ozmap", error="invalid_token"';
  return new HttpProblem(
    401,
    'unauthorized',
    `Authorization header ${problem}`,
    [{ field: 'authorization', message: problem }],
    { 'www-authenticate': challenge },
  );
}
