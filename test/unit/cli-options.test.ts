/** The CLI's number options: taken only as people write them, refused otherwise naming the option. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from 'commander';
import { decimal, wholeNumber } from '../../cli/options.ts';

const refused = (parse: (value: string) => number, value: string, pattern: RegExp) =>
  assert.throws(
    () => parse(value),
    (err: unknown) => err instanceof InvalidArgumentError && pattern.test(err.message),
    `"${value}" must be refused`,
  );

describe('CLI number options', () => {
  it('whole numbers: digits only', () => {
    const days = wholeNumber('--days');
    for (const [text, n] of [
      ['15', 15],
      ['0', 0],
      ['007', 7],
      ['9007199254740991', Number.MAX_SAFE_INTEGER],
    ] as const)
      assert.equal(days(text), n);
    for (const text of [
      '0x10',
      '1e1',
      '0b11',
      '0o7',
      '1.5',
      '15.0',
      '-3',
      '+3',
      ' 5',
      '5 ',
      '',
      '1_000',
      'Infinity',
      '9007199254740993',
      '１５',
    ])
      refused(days, text, /^--days must be a whole number written in digits/);
  });

  it('decimals: an optional minus sign, digits, an optional point and digits', () => {
    const lat = decimal('--lat');
    for (const [text, n] of [
      ['-27.5935', -27.5935],
      ['48', 48],
      ['0.5', 0.5],
    ] as const)
      assert.equal(lat(text), n);
    for (const text of ['0x10', '-2.7e1', '1E1', '.5', '5.', '+5', ' -27.5', '-27.5 ', '', 'NaN', '-', '1,5', '−27.5'])
      refused(lat, text, /^--lat must be a decimal number/);
  });
});
