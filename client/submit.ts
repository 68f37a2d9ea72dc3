/**
 * `submit`: a reservation request that must tell a new reservation from a repeated one, and must not wait for
 * ever (the HTTP API). The terms of a request are compared with those the viability's run was started with.
 */
import type { Client } from '@temporalio/client';
import type { ReservationInput, ReservationState } from '../contract/schemas.ts';
import { ReservationStatus } from '../contract/schemas.ts';
import { isSettled } from '../contract/statuses.ts';
import { ConflictError, ReservationNotFoundError, type FieldProblem } from './errors.ts';
import type { StartedRun } from './inspection.ts';
import type { ReservationDefaults } from './prepare.ts';

/** What `submit` did: whether this call started the reservation, and whether the state is one `reserve` answers. */
export interface Submission {
  created: boolean;
  /** RESERVED, AWAITING_SELECTION or final; false when the wait was cut short (the workflow carries on). */
  settled: boolean;
  state: ReservationState;
}

/** What `submit` asks of the client library (ReservationsClient is one). */
interface Reservations {
  readonly client: Pick<Client, 'withDeadline'>;
  readonly defaults: ReservationDefaults;
  prepare(raw: unknown): ReservationInput;
  reserve(input: ReservationInput): Promise<ReservationState>;
  get(viabilityId: string): Promise<ReservationState>;
  within<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T>;
  startedWith(viabilityId: string): Promise<StartedRun | undefined>;
}

/**
 * Update-with-start does not say whether it started the run, so this looks first: an existing run with other terms
 * is refused (ConflictError) before anything is sent; with the same terms (compared after `prepare` fills the
 * defaults) it answers that run's state. When nothing existed, it checks afterwards that the run it landed on has
 * its terms: a concurrent request with other terms may have started it first. When `signal` aborts the wait, it
 * answers the state as it stands (`settled: false`); the workflow carries on.
 */
export async function submit(
  reservations: Reservations,
  raw: unknown,
  options: { signal?: AbortSignal } = {},
): Promise<Submission> {
  const input = reservations.prepare(raw);
  const before = await reservations.startedWith(input.viabilityId);
  if (before) assertSameTerms(input, before);
  let state: ReservationState | undefined;
  let waitError: unknown;
  try {
    const reserve = () => reservations.reserve(input);
    state = options.signal ? await reservations.within(options.signal, reserve) : await reserve();
  } catch (err) {
    if (!options.signal?.aborted) throw err;
    waitError = err;
  }
  // After an aborted wait Temporal may be what is slow: these look-ups get a few seconds of their own.
  const lookUp = <T>(fn: () => Promise<T>) =>
    waitError ? reservations.client.withDeadline(Date.now() + 5000, fn) : fn();
  const run = before ?? (await lookUp(() => reservations.startedWith(input.viabilityId)));
  // No run: the start never reached Temporal.
  if (!run) throw waitError instanceof Error ? waitError : new ReservationNotFoundError(input.viabilityId);
  if (!before) assertSameTerms(input, run);
  state ??= await lookUp(() => reservations.get(input.viabilityId)).catch(() =>
    pendingState(input, run, reservations.defaults),
  );
  return { created: !before, settled: isSettled(state.status), state };
}

/** Refuses other terms for a viability that already has a reservation, naming each field that differs. */
function assertSameTerms(input: ReservationInput, run: StartedRun): void {
  const problems: FieldProblem[] = [];
  const compare = (ours: unknown, theirs: unknown, path: string[]) => {
    if (isPlainObject(ours) && isPlainObject(theirs)) {
      for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)]))
        compare(ours[key], theirs[key], [...path, key]);
    } else if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
      problems.push({
        field: path.join('.') || '(body)',
        message: 'differs from the reservation already started for this viability',
      });
    }
  };
  compare(input, run.input, []);
  if (problems.length > 0) throw new ConflictError(input.viabilityId, problems);
}

/** What can be said without a worker: the run's status search attribute and the terms it was started with. */
function pendingState(input: ReservationInput, run: StartedRun, defaults: ReservationDefaults): ReservationState {
  const status = ReservationStatus.safeParse(run.reservationStatus);
  return {
    viabilityId: input.viabilityId,
    status: status.success ? status.data : input.coordinates ? 'SEARCHING' : 'GEOCODING',
    selection: input.selection ?? 'auto',
    radiusMeters: input.radiusMeters ?? defaults.radiusMeters,
    holdDays: input.holdDays ?? defaults.holdDays,
    candidates: [],
  };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
