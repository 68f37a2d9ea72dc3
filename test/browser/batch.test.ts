/**
 * Batch feasibility as people see it, in Chromium (playwright-core), in process: the HTTP API with a real store and a
 * stand-in engine. The batch map opened through the progress answer's signed link (rows drawn, clustered where
 * dense, hostile row text shown as text), and the real `ozres batch` progress bar (the CLI run against a batch
 * that is being worked through, `--progress bar` forcing the bar without a terminal), its frames drawn as a terminal.
 * Screenshots: test-artifacts/batch-map.png and test-artifacts/batch-progress.png.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import type { BatchResult, RowOutcome } from '../../contract/demand.ts';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { launchChromium } from '../support/browser.ts';
import { startBatchApi } from '../support/batches.ts';

const KEY = 'batch-browser-key-0123456789';
const ARTIFACTS = path.join(projectRoot, 'test-artifacts');
const HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">';

/** A repeatable spread of points: a few dense neighbourhoods and some strays, as a lead list looks. */
function* leads(n: number): Generator<{ id: string; lat: number; lng: number }> {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const centres = [
    [-27.5935, -48.5585],
    [-27.5969, -48.5495],
    [-27.5865, -48.5075],
    [-27.6147, -48.4853],
  ];
  for (let i = 0; i < n; i++) {
    const [lat, lng] = centres[i % centres.length]!;
    const spread = i % 9 === 0 ? 0.03 : 0.006;
    yield { id: `L-${i + 1}`, lat: lat! + (random() - 0.5) * spread, lng: lng! + (random() - 0.5) * spread };
  }
}

function resultFor(i: number, lat: number, lng: number): BatchResult {
  const outcome: RowOutcome = i % 7 === 3 ? 'notViable' : i % 23 === 5 ? 'invalid' : 'viable';
  if (outcome === 'invalid')
    return {
      outcome,
      lat: null,
      lng: null,
      boxId: null,
      boxName: null,
      distanceMeters: null,
      freePorts: null,
      reason: 'lat: is empty',
    };
  return {
    outcome,
    lat,
    lng,
    boxId: outcome === 'viable' ? `box-${i % 40}` : null,
    boxName: outcome === 'viable' ? (i === 0 ? HOSTILE : `CTO-${i % 40}`) : null,
    distanceMeters: outcome === 'viable' ? 40 + (i % 200) : null,
    freePorts: outcome === 'viable' ? 1 + (i % 8) : null,
    reason: outcome === 'viable' ? null : 'no box with a free port within 250 m',
  };
}

describe('batch feasibility in Chromium', () => {
  let api: Awaited<ReturnType<typeof startBatchApi>>;
  let browser: Browser;
  const work = mkdtempSync(path.join(tmpdir(), 'ispbox-ozmap-batch-browser-'));

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [api, browser] = await Promise.all([startBatchApi(KEY), launchChromium()]);
  });
  after(async () => {
    await browser?.close();
    await api?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const post = async (csv: string) => {
    const res = await fetch(`${api.url}/v1/feasibility/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/csv' },
      body: csv,
    });
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as { batchId: string }).batchId;
  };

  it('shows every row of a batch on its map, clustered where dense, row text as text', async () => {
    const rows = [...leads(400)];
    const batchId = await post(`id,lat,lng\n${rows.map((r) => `${r.id},${r.lat},${r.lng}`).join('\n')}\n`);
    await api.store.saveResults(
      batchId,
      rows.map((r, i) => ({ idx: i, result: resultFor(i, r.lat, r.lng) })),
    );
    await api.store.finish('default', batchId, 'COMPLETED', new Date().toISOString());
    const progress = (await (
      await fetch(`${api.url}/v1/feasibility/batches/${batchId}`, { headers: { authorization: `Bearer ${KEY}` } })
    ).json()) as { links: { map: string }; viable: number };

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'pt-BR' });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${api.url}${progress.links.map}`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    assert.equal(await page.textContent('#c-viable'), String(progress.viable));
    assert.equal(await page.textContent('#c-total'), '400');
    assert.ok((await page.locator('.cluster').count()) > 3, 'dense rows are clustered');
    await page.screenshot({ path: path.join(ARTIFACTS, 'batch-map.png') });
    assert.ok(statSync(path.join(ARTIFACTS, 'batch-map.png')).size > 10_000);

    // A row's box name is markup-looking text: shown as text (a popup), never run.
    await page.locator('.cluster').first().click();
    assert.equal(await page.evaluate('document.body.dataset.pwned'), undefined);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("draws the CLI's real progress bar, run against a batch being worked through", async () => {
    const rows = [...leads(120)];
    const file = path.join(work, 'leads.csv');
    writeFileSync(file, `id;lat;lng\n${rows.map((r) => `${r.id};${r.lat};${r.lng}`).join('\n')}\n`);
    const out = path.join(work, 'results.csv');
    // Run from the folder the file is in, as a person would; the runner's loader (tsx) is found from there too.
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(work, 'node_modules'));
    const started = api.temporal.starts.length;
    let exited = false;
    const cli = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(projectRoot, 'cli/main.ts'),
        'batch',
        'leads.csv',
        '--out',
        'results.csv',
        '--progress',
        'bar',
      ],
      {
        cwd: work,
        env: { ...process.env, ISPBOX_API_KEY: KEY, API_URL: api.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let stdout = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    // The stand-in engine: once the batch exists, ten rows every 400 ms, then COMPLETED.
    const engine = (async () => {
      while (api.temporal.starts.length === started) {
        if (exited) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      const batchId = (api.temporal.starts.at(-1)!.options.args as [{ batchId: string }])[0].batchId;
      for (let i = 0; i < rows.length; i += 10) {
        await new Promise((r) => setTimeout(r, 400));
        await api.store.saveResults(
          batchId,
          rows.slice(i, i + 10).map((r, j) => ({ idx: i + j, result: resultFor(i + j, r.lat, r.lng) })),
        );
      }
      await api.store.finish('default', batchId, 'COMPLETED', new Date().toISOString());
    })();
    const code = await new Promise<number | null>((resolve) => cli.on('exit', resolve)).finally(() => (exited = true));
    await engine;
    assert.equal(code, 0, stderr);
    assert.equal(readFileSync(out, 'utf8').trimEnd().split('\r\n').length, 121);
    // Frames: what the terminal showed at each redraw (\r, then "erase line").
    const clean = (s: string) => s.replaceAll('\x1b[2K', '');
    const [head, ...frames] = stderr.split('\r').map(clean);
    const running = frames.filter((f) => /ETA/.test(f));
    assert.ok(running.length >= 3, `frames: ${JSON.stringify(frames).slice(0, 500)}`);
    assert.match(running.at(-1)!, /^\s*\d+% \[█*░*\] \d+\/120 {2}✔ \d+ viable/);
    assert.match(stdout, /Map \(7 days\): http:\/\/127\.0\.0\.1:\d+\/batch-map\?batch=fb_/);

    const terminal = (lines: string[]) => lines.filter((l) => l !== '').join('\n');
    const screens = [
      [
        'a meio caminho',
        terminal([
          '$ ozres batch leads.csv --out results.csv',
          ...head!.split('\n'),
          running[Math.floor(running.length / 2)]!,
        ]),
      ],
      [
        'ao terminar',
        terminal([
          '$ ozres batch leads.csv --out results.csv',
          ...head!.split('\n'),
          frames.at(-1)!.trimEnd(),
          ...stdout.split('\n'),
        ]),
      ],
    ];
    const page = await browser.newPage({ viewport: { width: 1100, height: 560 } });
    await page.setContent(
      '<!doctype html><meta charset="utf-8"><style>body{margin:0;padding:16px;background:#e8edf2;font-family:system-ui}' +
        'h2{font-size:14px;color:#445;margin:8px 0 4px}pre{margin:0 0 12px;padding:14px 16px;border-radius:8px;' +
        'background:#1d2530;color:#e6edf3;font:13px/1.45 "DejaVu Sans Mono",monospace;white-space:pre}</style><body></body>',
    );
    // The CLI's output is text: set as textContent, in the page's own script.
    await page.evaluate(
      `for (const [title, text] of ${JSON.stringify(screens)}) {
        const h = document.createElement('h2'); h.textContent = title;
        const pre = document.createElement('pre'); pre.textContent = text;
        document.body.append(h, pre);
      }`,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'batch-progress.png'), fullPage: true });
    assert.ok(statSync(path.join(ARTIFACTS, 'batch-progress.png')).size > 10_000);
    await page.close();
  });
});
