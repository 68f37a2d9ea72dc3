/**
 * The batch feasibility CSV (docs/demand.md, "The CSV format"), read as it streams in: UTF-8 with or without a BOM,
 * `,` or `;` (whichever the header line has more of, outside quotes), RFC 4180 quoting (separators, quotes and line
 * breaks inside quoted fields), CRLF or LF. The header names the columns: `id`, then `address` or `lat` + `lng`,
 * optionally `name` and `code`, in any order and any letter case; other columns are ignored and reported back
 * (a CRM export carries phone and e-mail columns the batch has no use for).
 *
 * What is wrong with the file as a whole (no header, a missing or repeated column, a quote never closed, more rows or
 * bytes than a batch may hold) refuses it: a BatchCsvError with the status to answer, naming the column or line and
 * the fix. What is wrong with one line as a line (a wrong number of fields, an empty id, an over-long field) becomes
 * that row's `problem`: the worker reports the row `invalid` with that reason and the batch goes on. What its values
 * mean (a coordinate that is empty, not a number or out of range; neither coordinates nor an address) is the
 * worker's to judge, once, for every row (activities/batch.ts).
 */
import type { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { MAX_BATCH_ROWS, type BatchInputRow } from '../contract/demand.ts';
import { HttpProblem } from './errors.ts';

/** The most bytes a batch file may have: 50,000 rows of a long address and a name each fit well within. */
export const MAX_BATCH_BYTES = 32 * 1024 * 1024;
/** The longest line the header may be: a header is a few column names. */
const MAX_HEADER_BYTES = 16 * 1024;
/** The longest field, per column; a longer one makes its row invalid (the rest of the file goes on). */
export const MAX_FIELD_CHARS: Record<BatchColumn, number> = {
  id: 100,
  address: 500,
  lat: 40,
  lng: 40,
  name: 200,
  code: 100,
};
/** The longest record (all its fields): past this a quote was surely never closed, and the file is refused. */
const MAX_RECORD_CHARS = 64 * 1024;

export const BATCH_COLUMNS = ['id', 'address', 'lat', 'lng', 'name', 'code'] as const;
export type BatchColumn = (typeof BATCH_COLUMNS)[number];

/** The file cannot be taken as a batch: the status to answer with, and what to fix. */
export class BatchCsvError extends HttpProblem {
  constructor(statusCode: 400 | 413, field: string, message: string) {
    super(statusCode, statusCode === 413 ? 'payload-too-large' : 'invalid-csv', message, [{ field, message }]);
    this.name = 'BatchCsvError';
  }
}

export interface BatchCsv {
  separator: ',' | ';';
  /** Where each known column is, by its header position. */
  columns: Partial<Record<BatchColumn, number>>;
  /** Header names the batch does not use (ignored), as the file spelt them. */
  ignored: string[];
  /** The rows, in file order; a refusal of the whole file (BatchCsvError) is thrown from here too. */
  rows: AsyncGenerator<BatchInputRow>;
}

/** Reads the header (refusing the file when it cannot be a batch), then hands out the rows as they arrive. */
export async function readBatchCsv(
  source: Readable,
  limits: { maxRows?: number; maxBytes?: number } = {},
): Promise<BatchCsv> {
  const maxRows = limits.maxRows ?? MAX_BATCH_ROWS;
  const maxBytes = limits.maxBytes ?? MAX_BATCH_BYTES;
  const input: AsyncIterator<Buffer | string> = source[Symbol.asyncIterator]();
  let bytes = 0;
  const next = async (): Promise<Buffer | undefined> => {
    const read = await input.next();
    if (read.done) return undefined;
    const chunk = typeof read.value === 'string' ? Buffer.from(read.value) : read.value;
    bytes += chunk.length;
    if (bytes > maxBytes) throw tooLarge(`more than ${maxBytes / 1024 / 1024} MiB`);
    return chunk;
  };

  // The header line, read whole before anything else: it says the separator and where each column is.
  let head = Buffer.alloc(0);
  let newline = -1;
  for (let chunk = await next(); chunk; chunk = newline >= 0 ? undefined : await next()) {
    head = Buffer.concat([head, chunk]);
    newline = head.indexOf(0x0a);
    if (newline < 0 && head.length > MAX_HEADER_BYTES)
      throw headerProblem('(header)', `the first line is over ${MAX_HEADER_BYTES / 1024} KiB: it must be the header`);
    if (newline >= 0) break;
  }
  const headerText = (newline >= 0 ? head.subarray(0, newline) : head)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .replace(/\r$/, '');
  if (headerText.trim() === '')
    throw headerProblem('(header)', 'the file is empty or starts with a blank line: the first line must be the header');
  const separator = separatorOf(headerText);
  const names = splitHeader(headerText, separator);
  const { columns, ignored } = columnsOf(names);

  const parser = parse({
    delimiter: separator,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
  });
  // Feeds the parser from the source (what was read for the header first), counting bytes; a refusal stops it.
  const feed = async () => {
    try {
      const write = async (chunk: Buffer) => {
        if (!parser.destroyed && !parser.write(chunk) && !parser.destroyed) await drained(parser);
      };
      await write(head);
      for (let chunk = await next(); chunk && !parser.destroyed; chunk = await next()) await write(chunk);
      if (!parser.destroyed) parser.end();
    } catch (err) {
      parser.destroy(err as Error);
    }
  };

  async function* rows(): AsyncGenerator<BatchInputRow> {
    const feeding = feed();
    let count = 0;
    let first = true;
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        if (first) {
          first = false;
          continue; // the header, read above
        }
        if (record.length === 1 && record[0]!.trim() === '') continue; // a line of blanks
        if (++count > maxRows) throw tooLarge(`more than ${maxRows} rows`);
        yield rowOf(record, count, names.length, columns);
      }
    } catch (err) {
      throw isCsvError(err) ? fileProblem(err) : err;
    } finally {
      // Stopped early (a refusal, or the store failing): the feeder must not wait for a reader that is gone.
      parser.destroy();
      await feeding;
    }
    if (count === 0) throw headerProblem('(body)', 'the file has a header but no rows: add one row per address');
  }
  return { separator, columns, ignored, rows: rows() };
}

const isCsvError = (err: unknown): err is CsvError =>
  err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('CSV_');

/** Resolves once the parser takes more input, or has stopped (destroyed: the reader is gone). */
const drained = (stream: NodeJS.WritableStream) =>
  new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
    stream.once('error', done);
  });

const tooLarge = (what: string) =>
  new BatchCsvError(413, '(body)', `The file has ${what}, more than one batch may hold: split it into smaller files`);

const headerProblem = (field: string, message: string) => new BatchCsvError(400, field, `Bad CSV header: ${message}`);

/** `;` when the header line has more of them than `,` outside quotes (Excel in Brazil writes `;`), else `,`. */
function separatorOf(line: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === ',') commas++;
    else if (!quoted && c === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** The header's names: a header is plain names, quoted or not. */
function splitHeader(line: string, separator: string): string[] {
  const names: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        current += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === separator && !quoted) {
      names.push(current.trim());
      current = '';
    } else current += c;
  }
  names.push(current.trim());
  return names;
}

function columnsOf(names: string[]): Pick<BatchCsv, 'columns' | 'ignored'> {
  const columns: Partial<Record<BatchColumn, number>> = {};
  const ignored: string[] = [];
  names.forEach((raw, at) => {
    const name = raw.toLowerCase();
    if (!(BATCH_COLUMNS as readonly string[]).includes(name)) {
      if (raw !== '') ignored.push(raw);
      return;
    }
    const column = name as BatchColumn;
    if (columns[column] !== undefined)
      throw headerProblem(
        column,
        `the column "${column}" appears twice (columns ${columns[column] + 1} and ${at + 1}): keep one`,
      );
    columns[column] = at;
  });
  const unused = ignored.length > 0 ? ` (ignored columns: ${ignored.slice(0, 10).join(', ')})` : '';
  const found = `the header is "${names.join(',').slice(0, 200)}"`;
  if (columns.id === undefined)
    throw headerProblem('id', `there is no "id" column: name the column with each row's id "id"; ${found}${unused}`);
  if ((columns.lat === undefined) !== (columns.lng === undefined)) {
    const missing = columns.lat === undefined ? 'lat' : 'lng';
    throw headerProblem(missing, `there is no "${missing}" column: lat and lng go together; ${found}`);
  }
  if (columns.address === undefined && columns.lat === undefined)
    throw headerProblem(
      'address',
      `there is no "address" column, nor "lat" and "lng": give one or the other (or both); ${found}${unused}`,
    );
  return { columns, ignored };
}

/** One line of the file as a row; what is wrong with it goes in `problem`, naming the column and the fix. */
function rowOf(
  record: string[],
  /** The row's number, 1 for the first after the header. */
  at: number,
  width: number,
  columns: Partial<Record<BatchColumn, number>>,
): BatchInputRow {
  const field = (column: BatchColumn) => {
    const index = columns[column];
    // Whitespace inside (a line break in a quoted address) is one space: the geocoder reads it so anyway.
    const value = index === undefined ? undefined : record[index]?.replace(/\s+/g, ' ').trim();
    return value === '' ? undefined : value;
  };
  const rawId = field('id');
  const id = rawId !== undefined && rawId.length <= MAX_FIELD_CHARS.id ? rawId : `row ${at}`;
  const problems: string[] = [];
  if (record.length !== width)
    problems.push(
      `row ${at} has ${record.length} fields, the header ${width}: quote a field that holds the separator ` +
        'or a line break ("Rua A, 10")',
    );
  if (rawId === undefined) problems.push('id: is empty: give each row an id');
  const row: BatchInputRow = { id };
  for (const column of ['address', 'lat', 'lng', 'name', 'code'] as const) {
    const value = field(column);
    if (value === undefined) continue;
    if (value.length > MAX_FIELD_CHARS[column]) {
      problems.push(`${column}: is longer than ${MAX_FIELD_CHARS[column]} characters: shorten it`);
      continue;
    }
    row[column] = value;
  }
  if (rawId !== undefined && rawId.length > MAX_FIELD_CHARS.id)
    problems.push(`id: is longer than ${MAX_FIELD_CHARS.id} characters: shorten it`);
  return problems.length > 0 ? { ...row, problem: problems.join('; ') } : row;
}

/** The parser's refusals of the file as a whole (a quote never closed, a record past any sane size). */
function fileProblem(err: CsvError): BatchCsvError {
  const line = (err as CsvError & { lines?: number }).lines;
  const where = line ? ` (line ${line})` : '';
  if (err.code === 'CSV_QUOTE_NOT_CLOSED' || err.code === 'CSV_MAX_RECORD_SIZE')
    return new BatchCsvError(
      400,
      '(body)',
      `A quoted field is never closed${where}: a field that starts with " must end with ", and a " inside it is ` +
        'written twice ("")',
    );
  return new BatchCsvError(400, '(body)', `The file is not valid CSV${where}: ${err.message}`);
}
