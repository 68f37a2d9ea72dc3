/**
 * The batch CSV reader on odd files: BOM, `;`, CRLF, quotes holding separators, quotes and line breaks, accents split
 * across chunks; header problems refuse the file naming the column; a bad line becomes a row with `problem`; bounds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readBatchCsv, BatchCsvError } from '../../api/batch-csv.ts';
import type { BatchInputRow } from '../../contract/demand.ts';

/** The file as one chunk, or one byte at a time (a UTF-8 character split across chunks). */
const source = (text: string, byteByByte = false) => {
  const bytes = Buffer.from(text, 'utf8');
  return Readable.from(byteByByte ? [...bytes].map((b) => Buffer.from([b])) : [bytes]);
};

async function rowsOf(text: string, options: Parameters<typeof readBatchCsv>[1] & { byteByByte?: boolean } = {}) {
  const csv = await readBatchCsv(source(text, options.byteByByte), options);
  const rows: BatchInputRow[] = [];
  for await (const row of csv.rows) rows.push(row);
  return { csv, rows };
}

async function refused(text: string, status: number, field: string, message: RegExp, options = {}) {
  await assert.rejects(rowsOf(text, options), (err: unknown) => {
    assert.ok(err instanceof BatchCsvError, String(err));
    assert.equal(err.statusCode, status);
    assert.equal(err.details[0]?.field, field);
    assert.match(err.message, message);
    return true;
  });
}

describe('batch CSV reader', () => {
  it('reads a spreadsheet export: BOM, ";", CRLF, quotes with ";", "" and a line break, accents', async () => {
    const text =
      '\uFEFFid;Endereço;ADDRESS;Name;code\r\n' +
      'L-1;x;"Rua Bocaiúva; 2125\r\nCentro, Florianópolis - SC";"João ""Joca"" Araújo";C-1\r\n' +
      'L-2;;Servidão Ação, 12;Conceição;\r\n';
    for (const byteByByte of [false, true]) {
      const { csv, rows } = await rowsOf(text, { byteByByte });
      assert.equal(csv.separator, ';');
      assert.deepEqual(csv.ignored, ['Endereço']);
      assert.deepEqual(rows, [
        {
          id: 'L-1',
          address: 'Rua Bocaiúva; 2125 Centro, Florianópolis - SC',
          name: 'João "Joca" Araújo',
          code: 'C-1',
        },
        { id: 'L-2', address: 'Servidão Ação, 12', name: 'Conceição' },
      ]);
    }
  });

  it('reads "," files with coordinates, LF, no trailing newline, blank lines skipped', async () => {
    const { csv, rows } = await rowsOf('lng,lat,id\n-48.5585,-27.5935,a\n\n-48.55,-27.59,b');
    assert.equal(csv.separator, ',');
    assert.deepEqual(rows, [
      { id: 'a', lat: '-27.5935', lng: '-48.5585' },
      { id: 'b', lat: '-27.59', lng: '-48.55' },
    ]);
  });

  it('keeps going past bad lines: each becomes a row with its problem, naming the column and the fix', async () => {
    const text = [
      'id,address,lat,lng',
      'ok,"Rua A, 10",,',
      'short,Rua B',
      ',Rua C,,',
      `long,${'x'.repeat(501)},,`,
      'comma,,"-27,59",-48.5',
      `${'i'.repeat(101)},Rua D,,`,
    ].join('\n');
    const { rows } = await rowsOf(text);
    assert.equal(rows.length, 6);
    assert.equal(rows[0]!.problem, undefined);
    const problems = Object.fromEntries(rows.map((r) => [r.id, r.problem]));
    assert.match(problems.short!, /row 2 has 2 fields, the header 4: quote a field/);
    assert.match(problems['row 3']!, /id: is empty/);
    assert.match(problems.long!, /address: is longer than 500 characters/);
    // What a value means is the worker's to judge: a decimal comma is read as a point there.
    assert.deepEqual(rows[4], { id: 'comma', lat: '-27,59', lng: '-48.5' });
    assert.match(problems['row 6']!, /id: is longer than 100/);
  });

  it('refuses a file whose header cannot make a batch, naming the column and the fix', async () => {
    await refused('', 400, '(header)', /empty/);
    await refused('\uFEFF\r\n', 400, '(header)', /empty or starts with a blank line/);
    await refused('code,address\nC-1,Rua A\n', 400, 'id', /no "id" column/);
    await refused('id,name,phone\n1,Ana,99\n', 400, 'address', /no "address" column.*ignored columns: phone/);
    await refused('id,lat\n1,-27\n', 400, 'lng', /no "lng" column: lat and lng go together/);
    await refused('id,address,ID\n1,a,2\n', 400, 'id', /appears twice/);
    await refused('id,address\n', 400, '(body)', /header but no rows/);
    await refused('id,address\n1,"Rua A\n2,Rua B\n', 400, '(body)', /quoted field is never closed/);
    await refused(`${'x'.repeat(17 * 1024)}`, 400, '(header)', /first line is over 16 KiB/);
  });

  it('refuses more rows or bytes than a batch may hold (413)', async () => {
    const rows = Array.from({ length: 11 }, (_, i) => `${i},Rua ${i}`).join('\n');
    await refused(`id,address\n${rows}\n`, 413, '(body)', /more than 10 rows/, { maxRows: 10 });
    await refused(`id,address\n${rows}\n`, 413, '(body)', /MiB/, { maxBytes: 64 });
  });
});
