/**
 * Switchable fault injection for /api/v2/*: latency, 503 errors and connection resets, decided per request.
 * Phase 'before' fails the request without touching state; phase 'after' applies the request (a reservation really
 * happens) and then fails the response, which is what exercises a caller's idempotency. A late create is held for
 * longer than its caller waits and applied afterwards: the create that lands after the caller's retry looked it up.
 */
import { z } from 'zod';

export interface FaultConfig {
  /** Added to every /api/v2 request, in milliseconds. */
  latencyMs: number;
  /** Up to this much more, uniformly at random. */
  latencyJitterMs: number;
  /** Share of requests (0..1) answered 503 with a JSON `{message}`. */
  errorRate: number;
  /** Share of requests (0..1) whose connection is reset without an answer. */
  resetRate: number;
  phase: 'before' | 'after';
  /** The HTTP methods errors and resets apply to (latency applies to all); e.g. ['POST'] to lose only creations. */
  methods: HttpMethod[];
  /** How many of the next `POST /properties` are held `lateCreateMs` before being applied (0: none). */
  lateCreates: number;
  lateCreateMs: number;
  /** Which creates are held: reservations (`POST /properties`, the default) or prospects (`POST /prospects`). */
  lateCreateRoute: LateCreateRoute;
}

export const LATE_CREATE_ROUTES = ['properties', 'prospects'] as const;
export type LateCreateRoute = (typeof LATE_CREATE_ROUTES)[number];

const HTTP_METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const NO_FAULTS: Readonly<FaultConfig> = Object.freeze({
  latencyMs: 0,
  latencyJitterMs: 0,
  errorRate: 0,
  resetRate: 0,
  phase: 'before',
  methods: [...HTTP_METHODS],
  lateCreates: 0,
  lateCreateMs: 0,
  lateCreateRoute: 'properties',
});

const rate = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
const millis = z
  .number()
  .int('must be a whole number of milliseconds')
  .min(0, 'must be 0 or more')
  .max(120_000, 'must be at most 120000 ms');

/** A partial update, as PUT /__sim/faults takes it; unknown keys are refused so typos do not pass silently. */
export const FaultPatch = z
  .strictObject({
    latencyMs: millis,
    latencyJitterMs: millis,
    errorRate: rate,
    resetRate: rate,
    phase: z.enum(['before', 'after'], { error: 'must be "before" or "after"' }),
    methods: z
      .array(z.enum(HTTP_METHODS, { error: `must be among ${HTTP_METHODS.join(', ')}` }))
      .min(1, 'must name at least one method'),
    lateCreates: z.number().int('must be a whole number').min(0, 'must be 0 or more').max(1000, 'must be at most 1000'),
    lateCreateMs: millis,
    lateCreateRoute: z.enum(LATE_CREATE_ROUTES, { error: `must be among ${LATE_CREATE_ROUTES.join(', ')}` }),
  })
  .partial();
export type FaultPatch = z.infer<typeof FaultPatch>;

export type FaultKind = 'error' | 'reset';

export interface FaultPlan {
  delayMs: number;
  fault?: FaultKind;
  phase: FaultConfig['phase'];
}

export class FaultInjector {
  private current: FaultConfig;

  constructor(
    initial: Partial<FaultConfig> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.current = { ...NO_FAULTS, ...FaultPatch.parse(initial) };
  }

  get config(): FaultConfig {
    return { ...this.current };
  }

  /** Applies a validated partial update and returns the new configuration. */
  update(patch: FaultPatch): FaultConfig {
    this.current = { ...this.current, ...patch };
    return this.config;
  }

  /** Takes one late create of `route` if any is pending: how long to hold this create before applying it. */
  takeLateCreate(route: string): number | undefined {
    if (this.current.lateCreates <= 0 || route !== this.current.lateCreateRoute) return undefined;
    this.current = { ...this.current, lateCreates: this.current.lateCreates - 1 };
    return this.current.lateCreateMs;
  }

  /** Decides what happens to one request: a reset is drawn first, then an error, independently. */
  plan(method: string): FaultPlan {
    const { latencyMs, latencyJitterMs, errorRate, resetRate, phase, methods } = this.current;
    const delayMs = latencyMs + (latencyJitterMs > 0 ? Math.floor(this.random() * (latencyJitterMs + 1)) : 0);
    if (!(methods as string[]).includes(method)) return { delayMs, phase };
    const fault: FaultKind | undefined =
      resetRate > 0 && this.random() < resetRate
        ? 'reset'
        : errorRate > 0 && this.random() < errorRate
          ? 'error'
          : undefined;
    return fault ? { delayMs, fault, phase } : { delayMs, phase };
  }
}
