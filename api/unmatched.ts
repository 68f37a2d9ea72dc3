/**
 * Requests no route takes: an unknown path answers 404, a method its path does not have 405 with `Allow` listing the
 * methods it has (RFC 9110, 15.5.6), both in the API's error shape. Answered in onRequest, before any body is read:
 * a body sent where nothing would take it is never parsed, however large or deep.
 * Which methods a path has is asked of find-my-way, the router fastify routes with, fed every route as fastify
 * registers it: the answer cannot disagree with the routing (percent-decoding, parameter lengths, wildcards).
 */
import FindMyWay from 'find-my-way';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem } from './errors.ts';

const pathOf = (request: FastifyRequest) => request.url.split('?')[0]!;

const notFound = (request: FastifyRequest) =>
  new HttpProblem(404, 'not-found', `No route ${request.method} ${pathOf(request)}`, [
    { field: 'url', message: 'is not a route of this API (see /docs)' },
  ]);

const notAllowed = (request: FastifyRequest, allowed: string[]) =>
  new HttpProblem(
    405,
    'method-not-allowed',
    `${pathOf(request)} does not take ${request.method}; it takes ${allowed.join(', ')}`,
    [{ field: 'method', message: `must be one of ${allowed.join(', ')} for this path` }],
    { allow: allowed.join(', ') },
  );

const send = (reply: FastifyReply, problem: HttpProblem) =>
  reply.code(problem.statusCode).headers(problem.headers).send(problem.body);

/** Registers the hooks and the not-found handler; call it before any route is added. */
export function answerUnmatched(app: FastifyInstance, options: { maxParamLength: number }): void {
  const router = FindMyWay({ maxParamLength: options.maxParamLength });
  const methods = new Set<FindMyWay.HTTPMethod>();
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat() as FindMyWay.HTTPMethod[]) {
      if (!router.hasRoute(method, route.url)) router.on(method, route.url, () => {});
      methods.add(method);
    }
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const allowed = [...methods].filter((m) => router.find(m, request.url)).sort();
    return send(reply, allowed.length > 0 ? notAllowed(request, allowed) : notFound(request));
  });
  // Not reached while the hook above answers first; fastify needs one, and it answers alike.
  app.setNotFoundHandler((request, reply) => send(reply, notFound(request)));
}
