/**
 * What a reservation may grow to (docs/architecture.md, "Bounds"): the longest hold, the moves it may make, how much
 * of its story the state keeps. The worker's configuration sets them; a run reads them once (a local activity) and
 * its history keeps the answer, so a later change of configuration never changes a reservation already running.
 * No zod: the workflow bundle imports this.
 */
import type { WebhookSettings } from './webhooks.ts';

/** The longest hold, counted from reservedAt, unless RESERVATION_MAX_HOLD_DAYS says otherwise. */
export const DEFAULT_MAX_HOLD_DAYS = 90;
/** Moves (changeBox) a reservation may make, unless RESERVATION_MAX_MOVES says otherwise. */
export const DEFAULT_MAX_MOVES = 10;
/**
 * changeBox calls that reach OZmap (each a fresh search) per move allowed: a move refused because its target was
 * taken meanwhile costs an attempt, not a move, and a caller cannot repeat refused moves for ever.
 */
export const MOVE_ATTEMPTS_PER_MOVE = 3;
/** Moves and extensions the state lists, the most recent last; history and the webhook events keep every one. */
export const CHANGES_KEPT = 10;
/**
 * Boxes an auto-mode state keeps, and a manual one once its port is chosen (the chosen box among them): the full
 * list matters only to a person choosing, and every state is recorded in history (DESIGN §2, "candidates").
 */
export const CANDIDATES_KEPT = 2;
/** Whole days an extendHold may add at once (the contract's 1-90). */
export const MAX_EXTENSION_DAYS = 90;

export interface HoldLimits {
  /** RESERVATION_MAX_HOLD_DAYS: a hold ends at most this many days after it was reserved, extensions included. */
  maxHoldDays: number;
  /** RESERVATION_FRACTIONAL_HOLD_DAYS, for tests and demos only: holds of a fraction of a day (seconds, say). */
  fractionalHoldDays?: boolean;
}

export interface ReservationLimits extends HoldLimits {
  /** RESERVATION_MAX_MOVES: successful changeBox calls per reservation. */
  maxMoves: number;
  /**
   * Hourly rounds of a confirm or release that keeps failing before the run continues as new (about 11 events a
   * round). Not configuration: tests lower it to watch many runs go by in little simulated time.
   */
  settleRoundsPerRun: number;
}

/**
 * Pole mode: the longest drop, in metres, for a box whose OZmap project sets no maximum (POLE_MAX_DROP_METERS). A
 * common limit for a drop cable hung on poles; each project's own Project.drop.maxSize wins (docs/poles.md).
 */
export const DEFAULT_POLE_MAX_DROP_METERS = 300;

/** Rounds of a failing settle per run unless a test says otherwise: about 1,100 events. */
export const SETTLE_ROUNDS_PER_RUN = 100;

/** The worker's configuration as a run reads it once: its limits, and whether and when to send webhooks. */
export interface ReservationSettings extends ReservationLimits {
  webhooks: WebhookSettings;
  /**
   * Pole mode (docs/poles.md): a box counts only if a drop along the poles reaches it, no longer than its project's
   * maximum drop or, for a project that sets none, `fallbackMaxDropMeters` (POLE_MAX_DROP_METERS). Absent: radius.
   */
  poles?: { fallbackMaxDropMeters: number };
  /**
   * The tenant's prospects, when on (docs/demand.md, "Prospects"): a NO_COVERAGE makes an OZmap prospect with these
   * tags, kept on the waitlist for `forDays`. Absent: off (and in every run recorded before prospects existed).
   */
  prospects?: { tags: string[]; forDays: number };
}

export const DEFAULT_LIMITS: ReservationLimits = {
  maxHoldDays: DEFAULT_MAX_HOLD_DAYS,
  maxMoves: DEFAULT_MAX_MOVES,
  fractionalHoldDays: false,
  settleRoundsPerRun: SETTLE_ROUNDS_PER_RUN,
};

/** Why `holdDays` cannot be a reservation's hold under `limits`, or undefined: one rule for every boundary. */
export function holdDaysProblem(holdDays: number, limits: HoldLimits): string | undefined {
  if (!Number.isFinite(holdDays) || holdDays <= 0) return 'must be a number of days more than 0';
  if (!limits.fractionalHoldDays && !Number.isInteger(holdDays)) return 'must be a whole number of days';
  if (holdDays > limits.maxHoldDays) return `must be at most ${limits.maxHoldDays} days (RESERVATION_MAX_HOLD_DAYS)`;
  return undefined;
}
