/**
 * The viability map page in a real browser (Debian's Chromium through playwright-core), against the real stack:
 * dev server, simulator, worker process, and the HTTP server on a random loopback port. The salesperson opens the
 * signed link, sees the boxes, picks one, confirms, and reads back box, splitter and port; OZmap (the simulator)
 * must show the client on that very port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { loadConfig } from '../../config/env.ts';
import { buildHttpServer } from '../../api/server.ts';
import { viabilityPageUrl, type ViabilityLinkInput } from '../../client/viability-link.ts';
import { ReservationNotFoundError } from '../../client/errors.ts';
import { projectRoot } from '../../scripts/temporal-tools.ts';
import { externalIdFor } from '../../contract/ids.ts';
import { type Candidate, type ReservationState } from '../../contract/schemas.ts';
import { spawnWorker, startStack, type Stack } from '../support/stack.ts';
import { ReservationsClient } from '../../client/reservations.ts';
import { RIVER_DEMO_POINT } from '../../simulator/network.ts';
import { propertiesOf, setFaults, simGet } from '../support/world.ts';
import { launchChromium } from '../support/browser.ts';
import { findStreet } from '../../simulator/gazetteer.ts';

const KEY = 'browser-test-ispbox-key-0123456789';
const DEMO_ADDRESS = 'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC';
const ARTIFACTS = path.join(projectRoot, 'test-artifacts');
const TIME_ZONE = 'America/Sao_Paulo';
const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 800 },
  locale: 'pt-BR',
  timezoneId: TIME_ZONE,
};
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'pt-BR',
  timezoneId: TIME_ZONE,
};

const newId = () => `B-${randomUUID().slice(0, 8)}`;
const byDistance = (candidates: Candidate[]) => [...candidates].sort((a, b) => a.distanceMeters - b.distanceMeters);

describe('viability map page in Chromium', () => {
  let stack: Stack;
  let app: FastifyInstance;
  let baseUrl: string;
  let browser: Browser;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [stack, browser] = await Promise.all([startStack(), launchChromium()]);
    const config = loadConfig({ ...stack.env, ISPBOX_API_KEY: KEY, LOG_LEVEL: 'silent' });
    app = await buildHttpServer({ reservations: stack.reservations, config, logger: false });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await stack?.stop();
  });

  const link = (
    input: Partial<ViabilityLinkInput> & { viabilityId: string },
    options: { apiKey?: string; now?: Date } = {},
  ) =>
    viabilityPageUrl({
      baseUrl,
      apiKey: options.apiKey ?? KEY,
      ttlSeconds: 900,
      now: options.now,
      input: { customer: { code: 'C-77', name: 'Maria Souza' }, address: DEMO_ADDRESS, ...input },
    });

  const scriptErrors = new Map<Page, string[]>();
  async function open(url: string, context: BrowserContextOptions = DESKTOP): Promise<Page> {
    const page = await (await browser.newContext(context)).newPage();
    const errors: string[] = [];
    scriptErrors.set(page, errors);
    page.on('pageerror', (err) => errors.push(String(err)));
    // The browser logs refused requests (4xx) as errors: those are the page's expected answers, not script errors.
    page.on(
      'console',
      (msg) => void (msg.type() === 'error' && !/status of 4\d\d/.test(msg.text()) && errors.push(msg.text())),
    );
    await page.goto(url);
    return page;
  }
  async function close(page: Page) {
    await page.context().close();
    assert.deepEqual(scriptErrors.get(page), [], 'no script errors on the page');
  }

  /** Waits for the page to show a status; a timeout says what the page shows instead. */
  const status = async (page: Page, value: string) => {
    try {
      await page.waitForSelector(`body[data-status="${value}"]`, { state: 'attached', timeout: 30_000 });
    } catch (err) {
      const shown = `${await page.getAttribute('body', 'data-status')}: ${await page.textContent('#status')}`;
      throw new Error(
        `the page did not reach ${value}; it shows ${shown}; script errors: ${JSON.stringify(scriptErrors.get(page))}`,
        { cause: err },
      );
    }
  };
  const text = async (page: Page, selector: string) => ((await page.textContent(selector)) ?? '').trim();
  /** Something read from every element a selector matches, in document order. */
  const each = async <T>(page: Page, selector: string, read: (element: Locator) => Promise<T>): Promise<T[]> => {
    const all = page.locator(selector);
    const out: T[] = [];
    for (let i = 0, n = await all.count(); i < n; i++) out.push(await read(all.nth(i)));
    return out;
  };

  /** Box, splitter and port on the page match the workflow's reservation, and OZmap has the client on that port. */
  async function assertReservedEverywhere(
    page: Page,
    viabilityId: string,
    expected: { boxId: string; splitterId?: string; port?: number },
    customer = { code: 'C-77', name: 'Maria Souza' },
  ) {
    const state = await stack.reservations.get(viabilityId);
    assert.equal(state.status, 'RESERVED');
    const r = state.reservation!;
    assert.equal(r.boxId, expected.boxId);
    if (expected.splitterId) assert.equal(r.splitterId, expected.splitterId);
    if (expected.port) assert.equal(r.port, expected.port);

    assert.equal(await text(page, '#r-box'), r.boxName);
    assert.equal(await text(page, '#r-splitter'), r.splitterName);
    assert.equal(await text(page, '#r-port'), String(r.port));
    const until = new Intl.DateTimeFormat('pt-BR', {
      dateStyle: 'short',
      timeStyle: 'short',
      timeZone: TIME_ZONE,
    }).format(new Date(r.expiresAt));
    assert.equal(await text(page, '#r-expires'), `Reservado até ${until}`);
    assert.match(await text(page, '#status'), new RegExp(`Porta reservada: caixa ${r.boxName}, porta ${r.port}`));

    const properties = await propertiesOf(stack.world, externalIdFor(viabilityId));
    assert.equal(properties.length, 1, 'exactly one OZmap property for the viability');
    const [p] = properties;
    assert.equal(p!.box, r.boxId);
    assert.deepEqual(
      p!.connections.map((c) => [c.id, c.port]),
      [[r.splitterId, r.port]],
      'the simulator shows the client on that port',
    );
    assert.deepEqual(
      { code: p!.client?.code, name: p!.client?.name, implanted: p!.client?.implanted },
      { ...customer, implanted: false },
    );
    return state;
  }

  it('desktop: shows the boxes on the map and in the list, reserves the chosen box, splitter and port', async () => {
    const viabilityId = newId();
    const page = await open(link({ viabilityId }));
    await status(page, 'AWAITING_SELECTION');
    const state = await stack.reservations.get(viabilityId);
    assert.equal(state.selection, 'manual', 'the page starts the reservation in manual mode');
    assert.ok(
      state.candidates.length >= 2,
      `the demo address has several boxes with free ports (got ${state.candidates.length})`,
    );

    // The list mirrors the state, nearest first, with distance and free ports; the map has one marker per box.
    const expected = byDistance(state.candidates);
    const rows = await each(page, '.candidate', async (b) => ({
      id: await b.getAttribute('data-box-id'),
      text: (await b.textContent()) ?? '',
    }));
    assert.deepEqual(
      rows.map((r) => r.id),
      expected.map((c) => c.boxId),
    );
    for (const [i, c] of expected.entries()) {
      assert.ok(
        rows[i]!.text.includes(c.boxName) && rows[i]!.text.includes(`${Math.round(c.distanceMeters)} m`),
        rows[i]!.text,
      );
      assert.ok(
        rows[i]!.text.includes(c.freePorts === 1 ? '1 porta livre' : `${c.freePorts} portas livres`),
        rows[i]!.text,
      );
    }
    const markers = await each(
      page,
      '.box-marker',
      async (e) => [await e.getAttribute('data-box-id'), await e.textContent()] as const,
    );
    assert.deepEqual(
      new Map(markers),
      new Map(state.candidates.filter((c) => c.coordinates).map((c) => [c.boxId, String(c.freePorts)])),
    );
    assert.equal(
      await page.locator('.unavailable-box').count(),
      (state.unavailableBoxes ?? []).filter((b) => b.coordinates).length,
      'greyed boxes: full or "Em projeto"',
    );
    assert.ok((state.unavailableBoxes ?? []).length > 0, 'the demo address has full or "Em projeto" boxes nearby');
    assert.equal(await page.locator('.customer-pin').count(), 1);
    assert.equal(await page.locator('path.radius-circle').count(), 1);
    assert.match(await text(page, '.leaflet-control-scale'), /\d+ (m|km)/);
    assert.match(
      await text(page, '#status'),
      new RegExp(`Escolha a caixa: ${state.candidates.length} com porta livre em 250 m`),
    );
    assert.equal(
      await page.getByRole('button', { name: 'Confirmar reserva' }).isDisabled(),
      true,
      'nothing to confirm before a box is chosen',
    );

    // Pick the second-nearest box on the map (not what auto mode would take), its last splitter's last free port.
    const box = expected[1]!;
    await page.locator(`.box-marker[data-box-id="${box.boxId}"]`).click();
    assert.equal(
      await page.locator(`.candidate[data-box-id="${box.boxId}"]`).getAttribute('aria-pressed'),
      'true',
      'the list follows the map',
    );
    const splitter = box.splitters.filter((s) => s.freePorts.length > 0).at(-1)!;
    const port = splitter.freePorts.at(-1)!;
    await page.getByLabel('Splitter', { exact: true }).selectOption(splitter.splitterId);
    await page.getByLabel('Porta', { exact: true }).selectOption(String(port));
    await page.screenshot({ path: path.join(ARTIFACTS, 'map-page-choosing.png') });
    await page.getByRole('button', { name: 'Confirmar reserva' }).click();
    await status(page, 'RESERVED');
    await assertReservedEverywhere(page, viabilityId, { boxId: box.boxId, splitterId: splitter.splitterId, port });
    assert.equal(await page.locator('.box-marker').count(), 1, 'the map keeps the reserved box');
    await page.screenshot({ path: path.join(ARTIFACTS, 'map-page.png') });
    assert.ok(statSync(path.join(ARTIFACTS, 'map-page.png')).size > 10_000);

    // Opening the link again shows the reservation directly, and reserves nothing more.
    const again = await open(link({ viabilityId }));
    await status(again, 'RESERVED');
    await assertReservedEverywhere(again, viabilityId, { boxId: box.boxId, splitterId: splitter.splitterId, port });
    assert.equal(await again.locator('#choose').isHidden(), true);
    await close(again);
    await close(page);
    await stack.reservations.cancel(viabilityId);
  });

  it('pole mode: the boxes by drop, the route along the poles to the chosen box with its length', async () => {
    // A worker of its own in pole mode (VIABILITY_MODE=poles) on its own task queue, and an API in front of it.
    const taskQueue = 'e2e-poles';
    const worker = spawnWorker({ ...stack.env, TEMPORAL_TASK_QUEUE: taskQueue, VIABILITY_MODE: 'poles' });
    const reservations = new ReservationsClient(stack.client, taskQueue, {
      radiusMeters: 250,
      holdDays: 30,
      selectionTimeoutHours: 24,
    });
    const config = loadConfig({ ...stack.env, ISPBOX_API_KEY: KEY, LOG_LEVEL: 'silent' });
    const poleApp = await buildHttpServer({ reservations, config, logger: false });
    const poleUrl = await poleApp.listen({ host: '127.0.0.1', port: 0 });
    try {
      await worker.ready;
      const viabilityId = newId();
      // The simulator's river demo: the nearest box by straight line is across the canal.
      const url = viabilityPageUrl({
        baseUrl: poleUrl,
        apiKey: KEY,
        ttlSeconds: 900,
        input: {
          viabilityId,
          customer: { code: 'C-78', name: 'João dos Postes' },
          address: 'Rua Visconde de Ouro Preto, 350 - Centro, Florianópolis - SC',
          coordinates: RIVER_DEMO_POINT,
        },
      });
      const page = await open(url);
      await status(page, 'AWAITING_SELECTION');
      const state = await reservations.get(viabilityId);
      assert.equal(state.viabilityMode, 'poles');
      const across = (state.unavailableBoxes ?? []).find((b) => b.boxName === 'CTO-0067');
      // Its only route crosses the bridge, over 1.5 km of poles: beyond the poles a drop could use, so no path.
      assert.equal(across?.reason, 'no-pole-path', 'the box across the canal');
      const first = state.candidates[0]!;
      assert.equal(first.boxName, 'CTO-0063', 'the shortest drop first');
      const rows = await each(page, '.candidate', async (b) => (await b.textContent()) ?? '');
      assert.match(rows[0]!, new RegExp(`CTO-0063.*drop de ${Math.round(first.drop!.lengthMeters)} m pelos postes`));
      assert.match(await text(page, '#unavailable-list'), /CTO-0067: sem caminho de postes até a caixa/);

      await page.locator(`.box-marker[data-box-id="${first.boxId}"]`).click();
      assert.equal(await page.locator('path.drop-route').count(), 1, 'the route is drawn');
      assert.equal(await page.locator('path.drop-pole').count(), first.drop!.poles.length, 'a dot per pole');
      assert.equal(
        await text(page, '.drop-length'),
        `Drop: ${Math.round(first.drop!.lengthMeters)} m por ${first.drop!.poles.length} poste(s)`,
      );
      await page.screenshot({ path: path.join(ARTIFACTS, 'map-page-poles.png') });
      assert.ok(statSync(path.join(ARTIFACTS, 'map-page-poles.png')).size > 10_000);

      await page.getByRole('button', { name: 'Confirmar reserva' }).click();
      await status(page, 'RESERVED');
      const reserved = await reservations.get(viabilityId);
      assert.deepEqual(reserved.reservation?.drop?.poles, first.drop!.poles);
      assert.equal(await page.locator('path.drop-route').count(), 1, 'the reserved drop stays drawn');
      await close(page);
      await reservations.cancel(viabilityId);
    } finally {
      await poleApp.close();
      await worker.kill('SIGTERM');
    }
  });

  it('"Trocar caixa": once reserved, fresh boxes are offered, the move goes through, and OZmap agrees', async () => {
    const viabilityId = newId();
    const page = await open(link({ viabilityId }));
    await status(page, 'AWAITING_SELECTION');
    const first = await stack.reservations.get(viabilityId);
    const nearest = byDistance(first.candidates)[0]!;
    await page.locator(`.candidate[data-box-id="${nearest.boxId}"]`).click();
    await page.getByRole('button', { name: 'Confirmar reserva' }).click();
    await status(page, 'RESERVED');
    const before = (await stack.reservations.get(viabilityId)).reservation!;
    assert.equal(await page.locator('#r-moved').isHidden(), true, 'nothing moved yet');

    await page.getByRole('button', { name: 'Trocar caixa' }).click();
    await page.waitForSelector('body[data-mode="move"]', { state: 'attached', timeout: 30_000 });
    assert.equal(await text(page, '#choose-title'), 'Trocar caixa');
    // Fresh, not the first search's: the reserved box now counts one free port less (or is gone if that was its last).
    const fresh = await each(page, '.candidate', async (b) => ({
      id: (await b.getAttribute('data-box-id'))!,
      text: (await b.textContent()) ?? '',
    }));
    const here = fresh.find((c) => c.id === nearest.boxId);
    if (nearest.freePorts === 1) assert.equal(here, undefined);
    else assert.ok(here?.text.includes(`${nearest.freePorts - 1} porta`), here?.text);
    if (here) assert.ok(here.text.includes('Caixa atual'), here.text);
    const target = fresh.find((c) => c.id !== nearest.boxId);
    assert.ok(target, 'another box with a free port to move to');
    assert.ok((await page.locator('.box-marker').count()) > 1, 'the map offers the boxes again');

    // The choice by the map marker, with a splitter, a port and a reason.
    await page.locator(`.box-marker[data-box-id="${target.id}"]`).click();
    const splitterOptions = await each(page, '#splitter option', async (o) => (await o.getAttribute('value')) ?? '');
    const splitterId = splitterOptions.filter(Boolean).at(-1)!;
    await page.getByLabel('Splitter', { exact: true }).selectOption(splitterId);
    const portOptions = await each(page, '#port option', async (o) => (await o.getAttribute('value')) ?? '');
    const port = Number(portOptions.filter(Boolean).at(-1));
    await page.getByLabel('Porta', { exact: true }).selectOption(String(port));
    await page.getByLabel('Motivo da troca (opcional)').fill('cliente mora do outro lado da rua');
    await page.screenshot({ path: path.join(ARTIFACTS, 'map-page-moving.png') });
    await page.getByRole('button', { name: 'Confirmar troca' }).click();
    await page.waitForSelector('body[data-status="RESERVED"]:not([data-mode])', { state: 'attached', timeout: 30_000 });

    const after = await assertReservedEverywhere(page, viabilityId, { boxId: target.id, splitterId, port });
    const r = after.reservation!;
    for (const kept of ['clientId', 'propertyId', 'reservedAt', 'expiresAt'] as const)
      assert.equal(r[kept], before[kept], kept);
    assert.equal(after.changes?.[0]?.reason, 'cliente mora do outro lado da rua');
    assert.match(
      await text(page, '#r-moved'),
      new RegExp(`antes ${before.boxName}, ${before.splitterName}, porta ${before.port}`),
    );
    const old = await simGet<{ connectables: { output: Array<string | null> } }>(
      stack.world,
      `/api/v2/splitters/${before.splitterId}`,
    );
    assert.equal(old.connectables.output[before.port - 1], null, 'the simulator shows the old port free');
    assert.equal(await page.locator('.box-marker').count(), 1, 'the map keeps the reserved box only');
    assert.equal(await page.getByRole('button', { name: 'Trocar caixa' }).isVisible(), true, 'it can move again');
    await close(page);
    await stack.reservations.cancel(viabilityId);
  });

  it('phone (390×844): the same choice by touch, in a single column without sideways scrolling', async () => {
    const viabilityId = newId();
    const customer = { code: 'C-78', name: 'João da Silva' };
    const page = await open(
      link({ viabilityId, customer, address: 'Rua Felipe Schmidt, 300 - Centro, Florianópolis - SC' }),
      PHONE,
    );
    await status(page, 'AWAITING_SELECTION');
    const state = await stack.reservations.get(viabilityId);
    const nearest = byDistance(state.candidates)[0]!;
    assert.equal(await page.evaluate('document.documentElement.scrollWidth'), 390, 'no horizontal scroll');
    const mapBox = (await page.locator('#map').boundingBox())!;
    const listBox = (await page.locator('#candidates').boundingBox())!;
    assert.ok(mapBox.width >= 380 && listBox.y >= mapBox.y + mapBox.height, 'map full width, list below it');

    await page.locator(`.candidate[data-box-id="${nearest.boxId}"]`).tap();
    const confirm = page.getByRole('button', { name: 'Confirmar reserva' });
    const button = (await confirm.boundingBox())!;
    assert.ok(button.height >= 44, 'a thumb-sized button');
    assert.ok(
      button.y >= 0 && button.y + button.height <= 844,
      `choosing a box brings the confirm button into view (y=${button.y})`,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'map-page-phone-choosing.png') });
    await confirm.tap();
    await status(page, 'RESERVED');
    await assertReservedEverywhere(page, viabilityId, { boxId: nearest.boxId }, customer);
    await page.screenshot({ path: path.join(ARTIFACTS, 'map-page-phone.png'), fullPage: true });
    await close(page);
    await stack.reservations.cancel(viabilityId);
  });

  it('a port sold meanwhile: the page says so, shows fresh boxes, and the next choice goes through', async () => {
    const viabilityId = newId();
    const page = await open(link({ viabilityId, address: 'Rua Conselheiro Mafra, 300 - Centro, Florianópolis - SC' }));
    await status(page, 'AWAITING_SELECTION');
    const state = await stack.reservations.get(viabilityId);
    const box = byDistance(state.candidates)[0]!;
    const splitter = box.splitters.find((s) => s.freePorts.length > 0)!;
    const port = splitter.freePorts[0]!;
    await page.locator(`.candidate[data-box-id="${box.boxId}"]`).click();
    await page.getByLabel('Splitter', { exact: true }).selectOption(splitter.splitterId);
    await page.getByLabel('Porta', { exact: true }).selectOption(String(port));

    // Another salesperson sells that very port in OZmap while this one hesitates.
    const other = await stack.world.ozmap.createProperty({
      project: box.projectId,
      box: box.boxId,
      connector: splitter.splitterId,
      port,
      auto_connect: false,
      force: false,
      coords: [box.coordinates!.lng, box.coordinates!.lat],
      address: 'outra venda',
      observation: '',
      external_id: `other-${viabilityId}`,
      client: { code: 'X', name: 'Outro', implanted: false, observation: '', external_id: `other-${viabilityId}` },
    });
    assert.equal(other.outcome, 'created');

    await page.getByRole('button', { name: 'Confirmar reserva' }).click();
    await page.waitForSelector('#notice:not([hidden])');
    assert.equal(await page.getAttribute('body', 'data-status'), 'AWAITING_SELECTION');
    assert.match(await text(page, '#notice'), /A porta escolhida foi ocupada por outra venda.*escolha de novo/);
    const fresh: ReservationState = await stack.reservations.get(viabilityId);
    assert.match(fresh.notice ?? '', /no longer free/);
    assert.deepEqual(
      await each(page, '.candidate', (b) => b.getAttribute('data-box-id')),
      byDistance(fresh.candidates).map((c) => c.boxId),
      'the list shows the fresh candidates',
    );
    assert.equal(
      await page.getByRole('button', { name: 'Confirmar reserva' }).isDisabled(),
      true,
      'the stale choice is cleared',
    );
    assert.deepEqual(
      await propertiesOf(stack.world, externalIdFor(viabilityId)),
      [],
      'nothing reserved for this viability',
    );

    const next = byDistance(fresh.candidates)[0]!;
    await page.locator(`.candidate[data-box-id="${next.boxId}"]`).click();
    await page.getByRole('button', { name: 'Confirmar reserva' }).click();
    await status(page, 'RESERVED');
    const reserved = await assertReservedEverywhere(page, viabilityId, { boxId: next.boxId });
    assert.ok(
      !(reserved.reservation!.splitterId === splitter.splitterId && reserved.reservation!.port === port),
      'never the port sold to the other',
    );
    assert.equal(await page.locator('#notice').isHidden(), true);
    await close(page);
    await stack.reservations.cancel(viabilityId);
  });

  it('a slow OZmap: the page shows the search under way, then the boxes, without holding a request open', async () => {
    // A second server that waits at most 1 s for the workflow; OZmap answers each call after 2.5 s.
    const impatient = await buildHttpServer({
      reservations: stack.reservations,
      config: loadConfig({ ...stack.env, ISPBOX_API_KEY: KEY, HTTP_WAIT_SECONDS: '1' }),
      logger: false,
    });
    const url = await impatient.listen({ host: '127.0.0.1', port: 0 });
    await setFaults(stack.world, { latencyMs: 2500 });
    try {
      const viabilityId = newId();
      const page = await open(
        viabilityPageUrl({
          baseUrl: url,
          apiKey: KEY,
          input: {
            viabilityId,
            customer: { code: 'C-79', name: 'Ana' },
            coordinates: { lat: -27.5935, lng: -48.5515 },
          },
        }),
      );
      await status(page, 'SEARCHING');
      assert.equal(await text(page, '#status'), 'Buscando caixas próximas…');
      await status(page, 'AWAITING_SELECTION');
      assert.ok((await page.locator('.candidate').count()) > 0);
      await close(page);
    } finally {
      await setFaults(stack.world, { latencyMs: 0 });
      await impatient.close();
    }
  });

  it('NO_COVERAGE is shown as such, with the radius', async () => {
    const viabilityId = newId();
    const page = await open(link({ viabilityId, address: undefined, coordinates: { lat: -27.6, lng: -48.5 } }));
    await status(page, 'NO_COVERAGE');
    assert.equal(await text(page, '#status'), 'Sem viabilidade: nenhuma caixa com porta livre em 250 m.');
    assert.equal(await page.locator('.customer-pin').count(), 1);
    await close(page);
  });

  it('a tampered, foreign-key or expired link is refused on the page and by the API, and starts nothing', async () => {
    const viabilityId = newId();
    const good = new URL(link({ viabilityId }));
    const tampered = new URL(good);
    tampered.searchParams.set('name', 'Outra Pessoa');

    const page = await open(tampered.toString());
    await status(page, 'ERROR');
    assert.equal(await page.getAttribute('body', 'data-error'), 'bad-signature');
    assert.match(await text(page, '#status'), /^Link inválido: os dados do link foram alterados/);
    assert.equal(await page.locator('#choose').isHidden(), true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'map-page-refused.png') });
    await close(page);

    const expired = await open(link({ viabilityId }, { now: new Date(Date.now() - 3600_000) }));
    await status(expired, 'ERROR');
    assert.match(await text(expired, '#status'), /^Link expirado/);
    await close(expired);

    const unsigned = await open(`${baseUrl}/viability?viabilityId=${viabilityId}&code=C-1&name=X&address=Rua`);
    await status(unsigned, 'ERROR');
    assert.match(await text(unsigned, '#status'), /^Link sem assinatura/);
    await close(unsigned);

    // The API under the page answers in JSON.
    const post = (url: URL, name: string, body?: unknown) =>
      fetch(new URL(`/viability/api/${name}${url.search}`, baseUrl), {
        method: 'POST',
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
    const refused = await post(tampered, 'start');
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: string }).error, 'bad-signature');
    const foreign = await post(new URL(link({ viabilityId }, { apiKey: 'some-other-key-0123456789' })), 'start');
    assert.equal(foreign.status, 403);
    const noSig = await fetch(new URL(`/viability/api/state?viabilityId=${viabilityId}`, baseUrl));
    assert.equal(noSig.status, 401);
    await assert.rejects(stack.reservations.get(viabilityId), ReservationNotFoundError, 'nothing was started');

    // Signed but wrong: 400 naming the field, never a 5xx.
    const badSelection = await post(good, 'select', { boxId: 'x', port: 'three' });
    assert.equal(badSelection.status, 400);
    assert.deepEqual(
      ((await badSelection.json()) as { details: Array<{ field: string }> }).details.map((d) => d.field),
      ['port'],
    );
    const otherViability = await post(good, 'select', { boxId: 'x', viabilityId: 'V-other' });
    assert.equal(otherViability.status, 400, 'the body cannot name another viability');
  });

  it('hostile box names and geocoder text are shown as text: no redirect, no hidden panel, no injected element', async () => {
    // OZmap box names and the geocoder's display name are data typed by others: each carries a meta refresh to
    // another page, a <style> hiding the panel, an <img onerror> and a <script>.
    const hostile = (tag: string) =>
      `${tag}<meta http-equiv="refresh" content="0;url=${baseUrl}/healthz?hijacked">` +
      '<style>.side,#choose,#candidates{display:none !important}</style>' +
      `<img src="x" onerror="document.body.dataset.pwned='img'">` +
      `<script>document.body.dataset.pwned='script'</script>`;
    const street = findStreet('Rua Lauro Linhares')! as { neighbourhood: string };
    const address = 'Rua Lauro Linhares, 900 - Trindade, Florianópolis - SC';
    const point = (await stack.world.clients.geocoder.geocode(address))!;
    const nearby = stack.world.store.boxesNear(point, 250);
    const withFree = nearby.filter((n) => !n.box.draft && n.splitters.some((s) => s.freePorts.length > 0));
    assert.ok(withFree.length >= 2, `boxes with free ports near ${address}: ${withFree.length}`);
    const restore = nearby.map(({ box }) => ({ box, name: box.name, draft: box.draft }));
    const oldNeighbourhood = street.neighbourhood;
    for (const [i, { box }] of nearby.entries()) box.name = hostile(`CTO-H${i}`);
    withFree.at(-1)!.box.draft = true; // one greyed "Em projeto" box with a hostile name too
    street.neighbourhood = hostile('Trindade');
    try {
      const viabilityId = newId();
      const page = await open(link({ viabilityId, address }));
      const navigations: string[] = [];
      page.on('framenavigated', (frame) => void (frame === page.mainFrame() && navigations.push(frame.url())));
      await status(page, 'AWAITING_SELECTION');
      const state = await stack.reservations.get(viabilityId);
      assert.ok(
        state.candidates.some((c) => c.boxName.startsWith('CTO-H')),
        'the hostile boxes are candidates',
      );
      assert.ok((state.unavailableBoxes ?? []).some((b) => b.boxName.startsWith('CTO-H')));
      assert.match(state.coordinates?.displayName ?? '', /<meta http-equiv/);

      const candidate = state.candidates.find((c) => c.coordinates)!;
      const unavailable = (state.unavailableBoxes ?? []).find((b) => b.coordinates)!; // drawn first
      const tooltips: string[] = [];
      for (const target of [
        page.locator(`.box-marker[data-box-id="${candidate.boxId}"]`),
        page.locator(`path.unavailable-box`).first(),
        page.locator('.customer-pin'),
      ]) {
        await target.hover({ force: true });
        await page.waitForSelector('.leaflet-tooltip', { state: 'attached', timeout: 5000 });
        tooltips.push(await page.locator('.leaflet-tooltip').last().innerText());
        await page.mouse.move(1, 1);
      }
      await page.waitForTimeout(1500); // a meta refresh of 0 s would have navigated by now

      assert.deepEqual(navigations, [], 'the page did not navigate');
      assert.equal(new URL(page.url()).pathname, '/viability');
      assert.equal(await page.getAttribute('body', 'data-pwned'), null, 'no injected script or handler ran');
      assert.equal(await page.locator('#choose').isVisible(), true, 'the reservation panel is still visible');
      assert.equal(await page.locator('#candidates').isVisible(), true);
      const injected = await page.evaluate(
        'document.querySelectorAll(\'meta[http-equiv], style, img[src="x"], script:not([src])\').length',
      );
      assert.equal(injected, 0, 'no element of the hostile text entered the DOM');
      assert.equal(tooltips[0], candidate.boxName, 'the box name is shown literally');
      assert.ok(tooltips[1]!.startsWith(`${unavailable.boxName}: `), tooltips[1]);
      assert.equal(tooltips[2], state.coordinates!.displayName, 'the geocoder text is shown literally');
      assert.equal(await text(page, `.candidate[data-box-id="${candidate.boxId}"] .candidate-name`), candidate.boxName);

      const res = await fetch(`${baseUrl}/viability`);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.match(csp, /frame-ancestors 'none'/);
      await close(page);
      await stack.reservations.cancel(viabilityId);
    } finally {
      for (const r of restore) Object.assign(r.box, { name: r.name, draft: r.draft });
      street.neighbourhood = oldNeighbourhood;
    }
  });

  it('/docs (swagger UI) renders the API under its own strict Content-Security-Policy', async () => {
    const res = await fetch(`${baseUrl}/docs/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const page = await open(`${baseUrl}/docs/`);
    const violations: string[] = [];
    page.on('console', (msg) => void (/Content Security Policy/i.test(msg.text()) && violations.push(msg.text())));
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
    assert.match(await text(page, '.swagger-ui .info .title'), /Ispbox 2 ⇄ OZmap port reservations/);
    await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
    assert.ok((await page.locator('.opblock').count()) >= 5, 'the operations are listed');
    assert.deepEqual(violations, []);
    await close(page);
  });
});
