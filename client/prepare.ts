/**
 * Input preparation: raw input validated with the contract's schemas and completed with the configured defaults,
 * so that a workflow's history records the exact terms (and two requests can be compared on them).
 */
import type { z } from 'zod';
import type { HoldLimits } from '../contract/limits.ts';
import { ReservationInput, reservationInputFor } from '../contract/schemas.ts';
import { InvalidInputError } from './errors.ts';

export interface ReservationDefaults {
  radiusMeters: number;
  holdDays: number;
  selectionTimeoutHours: number;
  /** The tenant's selection mode when the request names none; `auto` when absent. */
  selection?: 'auto' | 'manual';
  /** The longest hold and whether fractions of a day are allowed (Config.limits); the contract's when absent. */
  limits?: HoldLimits;
}

/** The input schema a client with these defaults validates with (and the HTTP API documents). */
export const inputSchemaFor = (defaults: ReservationDefaults) =>
  defaults.limits ? reservationInputFor(defaults.limits) : ReservationInput;

/** `raw` parsed with `schema`, or an InvalidInputError naming each field (under `prefix`, when given). */
export function parseInput<T extends z.ZodType>(schema: T, raw: unknown, prefix?: string): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw InvalidInputError.fromZod(parsed.error, prefix);
  return parsed.data;
}

export function prepareInput(
  raw: unknown,
  defaults: ReservationDefaults,
  schema: typeof ReservationInput = inputSchemaFor(defaults),
): ReservationInput {
  const input = parseInput(schema, raw);
  return {
    ...input,
    radiusMeters: input.radiusMeters ?? defaults.radiusMeters,
    selection: input.selection ?? defaults.selection ?? 'auto',
    holdDays: input.holdDays ?? defaults.holdDays,
    selectionTimeoutHours: input.selectionTimeoutHours ?? defaults.selectionTimeoutHours,
  };
}
