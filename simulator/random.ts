/**
 * Deterministic randomness for the seeded network, and MongoDB-style ObjectIds.
 * mulberry32 is tiny, fast and gives the same sequence on every platform, so one seed always yields one network.
 */
import { randomBytes, randomInt } from 'node:crypto';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Uniform real in [min, max). */
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `digits` lowercase hex characters. */
  hex(digits: number): string;
}

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    between: (min, max) => min + next() * (max - min),
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick() needs at least one item');
      return items[int(0, items.length - 1)] as T;
    },
    hex: (digits) => Array.from({ length: digits }, () => int(0, 15).toString(16)).join(''),
  };
}

/** Makes ids for records created at a given instant. */
export type IdGenerator = (at: Date) => string;

/**
 * ObjectIds laid out as MongoDB does (4-byte seconds, 5-byte per-process value, 3-byte counter), so they sort by
 * creation time and look exactly like OZmap's.
 */
function objectIdGenerator(processUnique: string, counterStart: number): IdGenerator {
  let counter = counterStart;
  return (at) => {
    counter = (counter + 1) % 0x1000000;
    const seconds = Math.max(0, Math.floor(at.getTime() / 1000)) % 0x100000000;
    return seconds.toString(16).padStart(8, '0') + processUnique + counter.toString(16).padStart(6, '0');
  };
}

/** Reproducible ids for the seeded network. */
export const seededObjectIds = (random: Random): IdGenerator =>
  objectIdGenerator(random.hex(10), random.int(0, 0xfffffe));

/** Ids for records created through the API at run time. */
export const runtimeObjectIds = (): IdGenerator =>
  objectIdGenerator(randomBytes(5).toString('hex'), randomInt(0, 0xffffff));

export const OBJECT_ID = /^[0-9a-f]{24}$/i;
