/**
 * `ozres batch <file.csv>`: batch feasibility for the expansion team (docs/demand.md), through the HTTP API with the
 * tenant's key (ISPBOX_API_KEY; the API at API_URL, default this configuration's HTTP_HOST:HTTP_PORT), so that the
 * CLI needs neither Temporal nor the store. The file is uploaded as it is read; then a progress bar with the time
 * left (stderr, on a terminal; a plain line every 10 s otherwise); then results.csv to --out or stdout, the counts
 * and the map's link.
 *
 * Ctrl-C while waiting: on a terminal, asks whether to cancel the batch on the server (y cancels it; anything else
 * leaves it running); without a terminal to ask on, leaves it running. Either way it says how to come back to it
 * (`--resume <batchId>`) and exits 130. Nothing the server holds is ever cancelled without being asked.
 * Exit codes: 0 the batch completed (whatever its rows' answers); 1 it failed or was cancelled, or the API is
 * unreachable or failing; 2 refused (a bad file or option, a bad key); 4 no such batch; 130 interrupted.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import { request } from 'undici';
import { loadConfig } from '../config/env.ts';
import { BATCH_ID_PATTERN, type BatchProgress } from '../contract/demand.ts';
import { dialableHost, hostPort } from '../net/hosts.ts';
import { EXIT } from './exit-codes.ts';
import { wholeNumber } from './options.ts';

/** How often progress is asked for: each second on a terminal, every 10 s in a log. */
const POLL_MS = { bar: 1000, lines: 10_000 } as const;
export const EXIT_INTERRUPTED = 130;

export type ProgressMode = 'bar' | 'lines' | 'none';
type Progress = BatchProgress & { links: { map: string; resultsCsv: string } };

interface BatchFlags {
  out?: string;
  prospects?: boolean;
  radius?: number;
  json?: boolean;
  resume?: string;
  cancel?: string;
  apiUrl?: string;
  progress?: ProgressMode;
}

class CliUsageError extends Error {}
/** An answer of the API that is not a success: the message, its details, and the exit code it means. */
class ApiAnswerError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Where the API answers and the key to call it with. */
function target(flags: BatchFlags): { url: string; key: string } {
  const given = flags.apiUrl ?? process.env.API_URL;
  // The key as every command finds it (ISPBOX_API_KEY; the demo key under npm start), the API's address alike.
  const needsConfig = !process.env.ISPBOX_API_KEY || !given;
  const http = needsConfig ? loadConfig(process.env, 'client').http : undefined;
  const key = process.env.ISPBOX_API_KEY || http?.ispboxApiKey;
  if (!key) throw new CliUsageError("ISPBOX_API_KEY: is required for ozres batch (the tenant's API key)");
  if (given) return { url: given.replace(/\/$/, ''), key };
  return { url: `http://${hostPort(dialableHost(http!.host), http!.port)}`, key };
}

async function call(
  api: { url: string; key: string },
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: { stream: Readable; type: string },
) {
  const response = await request(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.key}`, ...(body ? { 'content-type': body.type } : {}) },
    ...(body ? { body: body.stream } : {}),
  }).catch((err: unknown) => {
    throw new ApiAnswerError(
      `The API at ${api.url} did not answer (${err instanceof Error ? err.message : String(err)}): is it running ` +
        'there? (API_URL or --api-url names where it is)',
      EXIT.failure,
    );
  });
  if (response.statusCode < 400) return response;
  const text = await response.body.text();
  let problem: { message?: string; details?: Array<{ field: string; message: string }> } = {};
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    problem = { message: text.slice(0, 200) };
  }
  const details = (problem.details ?? [])
    .filter((d) => d.message !== problem.message)
    .map((d) => `\n  - ${d.field}: ${d.message}`)
    .join('');
  const status = response.statusCode;
  throw new ApiAnswerError(
    `${problem.message ?? `The API answered ${status}`}${details}` +
      (status === 408 ? '\n  (a big file: raise HTTP_REQUEST_TIMEOUT_SECONDS on the API, or split the file)' : ''),
    status === 404 ? EXIT.notFound : status >= 500 || status === 408 ? EXIT.failure : EXIT.invalid,
  );
}

const json = async <T>(response: Awaited<ReturnType<typeof call>>) => (await response.body.json()) as T;

// ---- the progress bar ------------------------------------------------------------------------------------------

const duration = (seconds: number) => {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};

/** One frame of the bar, `width` columns at most: what the terminal shows while the batch runs. */
export function progressBar(p: BatchProgress, width: number): string {
  const share = p.total === 0 ? 1 : p.done / p.total;
  const percent = `${Math.floor(share * 100)}%`.padStart(4);
  const eta =
    p.status !== 'RUNNING' ? p.status.toLowerCase() : p.etaSeconds === null ? 'ETA …' : `ETA ${duration(p.etaSeconds)}`;
  const counts =
    `${p.done}/${p.total}  ✔ ${p.viable} viable  ✘ ${p.notViable} not viable  ? ${p.addressNotFound} not found` +
    `  ! ${p.invalid} invalid  ${eta}`;
  const barWidth = Math.max(10, Math.min(40, width - counts.length - percent.length - 4));
  const filled = Math.round(share * barWidth);
  const line = `${percent} [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${counts}`;
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

/** A plain line for logs: one every 10 s. */
export function progressLine(p: BatchProgress): string {
  const eta = p.etaSeconds === null ? '' : `, about ${duration(p.etaSeconds)} left`;
  return (
    `batch ${p.batchId}: ${p.done} of ${p.total} done (${p.viable} viable, ${p.notViable} not viable, ` +
    `${p.addressNotFound} address not found, ${p.invalid} invalid)${p.status === 'RUNNING' ? eta : `, ${p.status}`}`
  );
}

function summary(p: Progress, mapUrl: string, out: string | undefined): string {
  return [
    `Batch ${p.batchId} ${p.status}: ${p.total} rows`,
    `  viable            ${p.viable}`,
    `  not viable        ${p.notViable}`,
    `  address not found ${p.addressNotFound}`,
    `  invalid           ${p.invalid}`,
    ...(out ? [`Results: ${out}`] : []),
    `Map (7 days): ${mapUrl}`,
  ].join('\n');
}

// ---- the command -----------------------------------------------------------------------------------------------

/** Waits until the batch ends, showing progress; resolves with the last progress, or 'interrupted' on Ctrl-C. */
async function watch(
  api: { url: string; key: string },
  batchId: string,
  mode: ProgressMode,
): Promise<Progress | 'interrupted'> {
  const stderr = process.stderr;
  let interrupted = false;
  let wake: () => void = () => undefined;
  const onSigint = () => {
    interrupted = true;
    wake();
  };
  process.on('SIGINT', onSigint);
  let lastLine = 0;
  try {
    for (;;) {
      const progress = await json<Progress>(await call(api, 'GET', `/v1/feasibility/batches/${batchId}`));
      if (mode === 'bar') stderr.write(`\r\x1b[2K${progressBar(progress, stderr.columns || 100)}`);
      else if (mode === 'lines' && (Date.now() - lastLine >= POLL_MS.lines || progress.status !== 'RUNNING')) {
        stderr.write(`${progressLine(progress)}\n`);
        lastLine = Date.now();
      }
      if (progress.status !== 'RUNNING') {
        if (mode === 'bar') stderr.write('\n');
        return progress;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS.bar);
      });
      if (interrupted) {
        if (mode === 'bar') stderr.write('\n');
        return 'interrupted';
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Ctrl-C: on a terminal, ask; else leave the batch running. Either way, say how to come back. */
async function onInterrupt(api: { url: string; key: string }, batchId: string): Promise<number> {
  let cancel = false;
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    // A second Ctrl-C at the question: leave it running.
    rl.on('SIGINT', () => rl.close());
    const answer = await rl.question(`Cancel batch ${batchId} on the server? [y/N] `).catch(() => '');
    rl.close();
    cancel = /^y(es)?$|^s(im)?$/i.test(answer.trim());
  }
  if (cancel) {
    await call(api, 'DELETE', `/v1/feasibility/batches/${batchId}`);
    process.stderr.write(`Batch ${batchId} cancelled: rows already checked keep their results.\n`);
  } else {
    process.stderr.write(
      `Batch ${batchId} keeps running on the server. Come back for its results with:\n` +
        `  ozres batch --resume ${batchId} --out results.csv\n` +
        `or cancel it with: ozres batch --cancel ${batchId}\n`,
    );
  }
  return EXIT_INTERRUPTED;
}

async function run(file: string | undefined, flags: BatchFlags): Promise<number> {
  const given = [file !== undefined, flags.resume !== undefined, flags.cancel !== undefined].filter(Boolean).length;
  if (given !== 1) throw new CliUsageError('<file.csv>: give a CSV file, or --resume <batchId>, or --cancel <batchId>');
  if (flags.json && !flags.out)
    throw new CliUsageError('--out: is required with --json (stdout carries the JSON summary, not the results)');
  const api = target(flags);
  const mode: ProgressMode = flags.progress ?? (process.stderr.isTTY ? 'bar' : 'lines');

  if (flags.cancel !== undefined) {
    const cancelled = await json<Progress>(await call(api, 'DELETE', `/v1/feasibility/batches/${flags.cancel}`));
    console.log(flags.json ? JSON.stringify(cancelled, null, 2) : `Batch ${cancelled.batchId} cancelled.`);
    return EXIT.ok;
  }

  let batchId = flags.resume;
  if (file !== undefined) {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      throw new CliUsageError(`<file.csv> "${file}": cannot be read (does it exist?)`);
    }
    const query = new URLSearchParams({
      ...(flags.radius !== undefined ? { radiusMeters: String(flags.radius) } : {}),
      ...(flags.prospects ? { prospects: 'true' } : {}),
    }).toString();
    if (mode !== 'none') process.stderr.write(`Uploading ${file} (${Math.ceil(size / 1024)} KiB)…\n`);
    const accepted = await json<{ batchId: string; total: number; ignoredColumns: string[] }>(
      await call(api, 'POST', `/v1/feasibility/batches${query ? `?${query}` : ''}`, {
        stream: createReadStream(file),
        type: 'text/csv; charset=utf-8',
      }),
    );
    batchId = accepted.batchId;
    if (mode !== 'none') {
      const ignored =
        accepted.ignoredColumns.length > 0 ? ` (ignored columns: ${accepted.ignoredColumns.join(', ')})` : '';
      process.stderr.write(`Batch ${batchId}: ${accepted.total} rows${ignored}\n`);
    }
  }

  const ended = await watch(api, batchId!, mode);
  if (ended === 'interrupted') return onInterrupt(api, batchId!);
  const results = await call(api, 'GET', ended.links.resultsCsv);
  if (flags.out) await pipeline(results.body, createWriteStream(flags.out));
  else await pipeline(results.body, process.stdout, { end: false });
  const mapUrl = new URL(ended.links.map, `${api.url}/`).toString();
  if (flags.json) console.log(JSON.stringify({ ...ended, links: { ...ended.links, map: mapUrl } }, null, 2));
  else (flags.out ? console.log : console.error)(summary(ended, mapUrl, flags.out));
  return ended.status === 'COMPLETED' ? EXIT.ok : EXIT.failure;
}

const batchIdArg = (flag: string) => (value: string) => {
  if (!BATCH_ID_PATTERN.test(value))
    throw new InvalidArgumentError(`${flag} must be a batch id such as fb_abcdefghij234567abcd (not "${value}")`);
  return value;
};
const progressArg = (value: string): ProgressMode => {
  if (value !== 'bar' && value !== 'lines' && value !== 'none')
    throw new InvalidArgumentError(`--progress must be bar, lines or none (not "${value}")`);
  return value;
};

export function registerBatch(program: Command): void {
  program
    .command('batch')
    .description('check a CSV of addresses or points for coverage (no reservation), with a progress bar')
    .argument('[file.csv]', 'the file: a header with id, then address or lat and lng, optionally name and code')
    .option('--out <file>', 'write results.csv there (default: standard output)')
    .option('--prospects', 'every row without coverage becomes an OZmap prospect, on the waitlist')
    .option('--radius <metres>', "search radius per row (default: the tenant's)", wholeNumber('--radius'))
    .option('--json', 'print the final progress as JSON (needs --out)')
    .option('--resume <batchId>', 'wait for a batch already sent and write its results', batchIdArg('--resume'))
    .option('--cancel <batchId>', 'cancel a running batch', batchIdArg('--cancel'))
    .option('--api-url <url>', 'where the HTTP API answers (default: API_URL, else http://HTTP_HOST:HTTP_PORT)')
    .option('--progress <mode>', 'bar, lines or none (default: bar on a terminal, else lines)', progressArg)
    .addHelpText(
      'after',
      `
Examples:
  $ ozres batch leads.csv --out results.csv
  $ ozres batch leads.csv --out results.csv --prospects --radius 300
  $ ozres batch --resume fb_abcdefghij234567abcd --out results.csv
  $ ozres batch --cancel fb_abcdefghij234567abcd

The CSV: UTF-8, "," or ";", a header row with id, then address or lat and lng, optionally name and code
(docs/demand.md, "The CSV format"). Up to 50,000 rows. The key is ISPBOX_API_KEY (the tenant's).
Ctrl-C while waiting asks whether to cancel the batch (on a terminal); otherwise it keeps running on the server.
Exit codes: 0 completed, 1 failed, cancelled or the API unreachable, 2 refused (bad file or option),
            4 no such batch, 130 interrupted.`,
    )
    .action(async (file: string | undefined, flags: BatchFlags) => {
      try {
        process.exitCode = await run(file, flags);
      } catch (err) {
        if (err instanceof CliUsageError) {
          console.error(`Invalid input:\n  - ${err.message}`);
          process.exitCode = EXIT.invalid;
        } else if (err instanceof ApiAnswerError) {
          console.error(err.message);
          process.exitCode = err.exitCode;
        } else throw err;
      }
    });
}
