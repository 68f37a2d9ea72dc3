/** Option parsers shared by the CLI's commands (commander calls them with the raw text of an option). */
import { InvalidArgumentError } from 'commander';

/** A finite number, or commander's usage error naming the option. */
export const number = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a number`);
  return n;
};
