/**
 * Per-viability rate limits (docs/architecture.md, "Bounds"): each move, extension, survey, confirm or cancel of a
 * reservation is OZmap calls, events in its history, or both, so whoever may ask for it (the API key, a map-page
 * link) may ask only so often for one viability. The workflow caps what a reservation may do in all (moves); these
 * pace the asking. Counted per process, with @fastify/rate-limit's in-memory store (bounded, least recently used).
 */
import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import type { RateLimitOptions } from '@fastify/rate-limit';
import './callers.ts';
import { HttpProblem } from './errors.ts';

export type LimitedAction = 'move' | 'extension' | 'survey' | 'confirm' | 'cancel';

/** Per viability and minute: a salesperson needs one or two of each; a script in a loop is stopped early. */
export const PER_VIABILITY_PER_MINUTE: Record<LimitedAction, number> = {
  move: 6, // a fresh OZmap search and a PATCH each
  extension: 6,
  survey: 12, // cached for a while (client/candidate-survey.ts): at most a couple reach OZmap
  confirm: 12, // a signal each, recorded in history
  cancel: 12,
};

const WHAT: Record<LimitedAction, string> = {
  move: 'moves',
  extension: 'extensions',
  survey: 'candidate surveys',
  confirm: 'confirmations',
  cancel: 'cancellations',
};

/**
 * A route's `config` limiting `action` for the viability `viabilityOf` names. Counted in preHandler: once the caller
 * is authenticated (the API key, or a map-page link, both checked in onRequest) and the request is valid, so a
 * malformed one is answered 400 and counts for nothing.
 */
export function perViability(
  action: LimitedAction,
  viabilityOf: (request: FastifyRequest) => string,
): FastifyContextConfig & { rateLimit: RateLimitOptions } {
  const max = PER_VIABILITY_PER_MINUTE[action];
  return {
    rateLimit: {
      max,
      timeWindow: 60_000,
      hook: 'preHandler',
      // Per tenant too: two tenants' V-1 are two reservations (the map page's requests carry their caller as well).
      keyGenerator: (request) => `${action} ${request.caller?.tenantId ?? ''}/${viabilityOf(request)}`,
      errorResponseBuilder: (request, context) =>
        new HttpProblem(
          429,
          'too-many-requests',
          `Too many ${WHAT[action]} for viability ${viabilityOf(request)}: at most ${max} a minute; ` +
            `retry in ${context.after}`,
          [{ field: 'viabilityId', message: `at most ${max} ${WHAT[action]} a minute` }],
        ),
    },
  };
}
