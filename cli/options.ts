/**
 * Option parsers shared by the CLI's commands (commander calls them with the raw text of an option). Numbers are
 * taken only as people write them: `Number()` alone would also read `0x10`, `1e1`, `0b11` or ` 5 `, so a typo could
 * pass for another value.
 */
import { InvalidArgumentError } from 'commander';

const WHOLE = /^[0-9]+$/;
const DECIMAL = /^-?[0-9]+(\.[0-9]+)?$/;

/** A whole number written in digits (counts, ports, days, metres, seconds), or a usage error naming the option. */
export const wholeNumber = (what: string) => (value: string) => {
  const n = Number(value);
  if (!WHOLE.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`${what} must be a whole number written in digits, e.g. 15 (not "${value}")`);
  return n;
};

/** A decimal number (coordinates, fractional days): digits, an optional minus sign and decimal point. */
export const decimal = (what: string) => (value: string) => {
  if (!DECIMAL.test(value))
    throw new InvalidArgumentError(`${what} must be a decimal number such as -27.5935 (not "${value}")`);
  return Number(value);
};
