/**
 * The installer's sketch (api/sketch/): what the SVG and the PDF say, read back with tools nobody here wrote
 * (Python's XML parser for the SVG, poppler's pdftotext for the PDF), on states built by hand: a drop along the poles,
 * none (the straight line), thirty poles, and names from OZmap that try to be markup.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Reservation, ReservationState } from '../../contract/schemas.ts';
import {
  addressLine,
  buildSketch,
  formatMeters,
  niceLength,
  noSketchReason,
  requestOf,
  wrap,
  type Sketch,
  type SketchInput,
} from '../../api/sketch/model.ts';
import { escapeXml, renderSvg } from '../../api/sketch/svg.ts';
import { MAX_PDF_BYTES, renderPdf, winAnsi } from '../../api/sketch/pdf.ts';
import { elementsOf, parseXml, pdfText, type XmlElement } from '../support/documents.ts';

const CUSTOMER = { lat: -27.5935, lng: -48.5585 };
/** A point `north` and `east` metres from CUSTOMER. */
const offset = (north: number, east: number) => ({
  lat: CUSTOMER.lat + north / 111_195,
  lng: CUSTOMER.lng + east / (111_195 * Math.cos((CUSTOMER.lat * Math.PI) / 180)),
});
const HOSTILE = `</text><script>alert(1)</script>&`;

function reserved(overrides: Partial<Reservation> = {}, state: Partial<ReservationState> = {}): ReservationState {
  return {
    viabilityId: 'V-1042',
    status: 'RESERVED',
    selection: 'auto',
    radiusMeters: 250,
    holdDays: 30,
    coordinates: {
      ...CUSTOMER,
      source: 'geocoder',
      displayName: 'Rua Bocaiúva, Centro, Florianópolis, Santa Catarina, 88015-530, Brasil',
    },
    candidates: [
      {
        boxId: 'box-1',
        boxName: 'CTO-12',
        distanceMeters: 80,
        freePorts: 4,
        coordinates: offset(60, 80),
        splitters: [],
      },
    ],
    reservation: {
      boxId: 'box-1',
      boxName: 'CTO-12',
      splitterId: 'sp-1',
      splitterName: 'Splitter 1',
      port: 3,
      clientId: 'cl-1',
      propertyId: 'pr-1',
      reservedAt: '2026-11-28T12:00:00Z',
      expiresAt: '2026-12-28T12:00:00Z',
      ...overrides,
    },
    ...state,
  };
}

/** A drop from the customer through `poles` poles (each some 30 m on, zigzagging north-east) to the box. */
function dropOf(poles: number): NonNullable<Reservation['drop']> {
  const points = Array.from({ length: poles + 2 }, (_, i) => offset(i * 25, i * 15 + (i % 2) * 10));
  return { lengthMeters: 31.5 * (poles + 1), poles: points.slice(1, -1).map((_, i) => `pole-${i + 1}`), route: points };
}

const sketchOf = (state: ReservationState, extra: Partial<SketchInput> = {}): Sketch =>
  buildSketch({
    state,
    ispName: 'Acme Fibra',
    request: {
      customer: { code: 'C-77', name: 'Maria Souza' },
      address: 'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC',
    },
    ...extra,
  });

/** The SVG parsed, and the text of its <text> elements. */
function svgOf(sketch: Sketch): { raw: string; root: XmlElement; texts: string[]; all: XmlElement[] } {
  const raw = renderSvg(sketch);
  const root = parseXml(raw);
  const all = elementsOf(root);
  return { raw, root, all, texts: all.filter((e) => e.name === 'text').map((e) => e.text) };
}

/** The PDF's text, as pdftotext reads it, white space folded. */
async function pdfOf(sketch: Sketch): Promise<{ bytes: Buffer; text: string }> {
  const bytes = await renderPdf(sketch);
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  return { bytes, text: pdfText(bytes).replace(/\s+/g, ' ') };
}

describe("the installer's sketch", () => {
  it('says where, what and when: address, customer, box, splitter, port, drop length, dates, ISP, viability', async () => {
    const sketch = sketchOf(reserved({ drop: dropOf(4) }));
    const { root, texts } = svgOf(sketch);
    assert.equal(root.name, 'svg');
    assert.equal(root.attributes.xmlns, 'http://www.w3.org/2000/svg');
    const svgText = texts.join('\n');
    const { text: pdf } = await pdfOf(sketch);
    for (const expected of [
      'Croqui de instalação',
      'Acme Fibra',
      'V-1042',
      'Maria Souza',
      'C-77',
      'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC',
      'Rua Bocaiúva, Centro, Florianópolis, Santa Catarina, 88015-530, Brasil',
      'CTO-12',
      'Splitter: Splitter 1',
      'Porta: 3',
      '158 m', // 31.5 × 5, rounded
      'por 4 postes',
      '28/11/2026 09:00',
      '28/12/2026 09:00',
    ]) {
      assert.ok(svgText.includes(expected), `the SVG says ${JSON.stringify(expected)}:\n${svgText}`);
      assert.ok(pdf.includes(expected), `the PDF says ${JSON.stringify(expected)}:\n${pdf}`);
    }
    // The route: one solid line through the customer, the poles (numbered 1-4) and the box; a scale bar and north.
    const lines = elementsOf(root).filter((e) => e.name === 'polyline');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.attributes['stroke-dasharray'], undefined);
    assert.equal(lines[0]!.attributes.points!.split(' ').length, 6);
    for (const n of ['1', '2', '3', '4', 'N']) assert.ok(texts.includes(n), `label ${n}`);
    assert.ok(!svgText.includes('linha reta'));
  });

  it('draws north up and east right, the customer where the route starts and the box where it ends', () => {
    const { drawing } = sketchOf(reserved({ drop: dropOf(3) }));
    const { customer, box, poles, frame, line } = drawing;
    assert.ok(customer && box && line);
    assert.ok(box.y < customer.y, 'the box, north of the customer, is higher on the page');
    assert.ok(box.x > customer.x, 'the box, east of the customer, is to its right');
    assert.deepEqual(line.points[0], customer);
    assert.deepEqual(line.points.at(-1), box);
    assert.equal(poles.length, 3);
    for (const p of [customer, box, ...poles]) {
      assert.ok(p.x > frame.x && p.x < frame.x + frame.width && p.y > frame.y && p.y < frame.y + frame.height);
    }
    // Equal distances look equal both ways (one scale for east and north): the projection keeps shapes.
    const square = buildSketch({
      state: reserved({
        drop: {
          lengthMeters: 300,
          poles: ['a', 'b'],
          route: [CUSTOMER, offset(0, 100), offset(100, 100), offset(100, 0)],
        },
      }),
      ispName: 'x',
    }).drawing.line!.points;
    const dx = square[1]!.x - square[0]!.x;
    const dy = square[1]!.y - square[2]!.y;
    assert.ok(Math.abs(dx - dy) < 0.5, `100 m east (${dx}) and 100 m north (${dy}) are drawn alike`);
  });

  it('without a drop: a dashed straight line to the box, labelled with the straight-line distance', async () => {
    const sketch = sketchOf(reserved());
    const { all, texts } = svgOf(sketch);
    const lines = all.filter((e) => e.name === 'polyline');
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.attributes['stroke-dasharray'], 'the straight line is dashed');
    assert.equal(lines[0]!.attributes.points!.split(' ').length, 2);
    assert.equal(all.filter((e) => e.name === 'circle' && e.attributes.r === '4').length, 0, 'no poles');
    // 60 m north and 80 m east: 100 m as the crow flies.
    assert.ok(texts.includes('100 m em linha reta'), texts.join('\n'));
    assert.ok(texts.some((t) => t.includes('Distância em linha reta: 100 m até a caixa (sem rota pelos postes)')));
    const { text } = await pdfOf(sketch);
    assert.ok(text.includes('100 m em linha reta'), text);
    assert.ok(text.includes('sem rota pelos postes'), text);
  });

  it('a route with 30 poles: every pole drawn and numbered in order, the total length, bounded output', async () => {
    const drop = dropOf(30);
    const sketch = sketchOf(reserved({ drop }));
    const { raw, all, texts } = svgOf(sketch);
    const poles = all.filter((e) => e.name === 'circle' && e.attributes.r === '4');
    assert.equal(poles.length, 30);
    for (let n = 1; n <= 30; n++) assert.ok(texts.includes(String(n)), `pole ${n} is numbered`);
    // Numbered from the customer's end: pole 1 is nearest the customer.
    const { drawing } = sketch;
    const near = (p: { x: number; y: number }) => Math.hypot(p.x - drawing.customer!.x, p.y - drawing.customer!.y);
    assert.ok(near(drawing.poles[0]!) < near(drawing.poles[29]!));
    assert.ok(texts.includes('977 m'), 'the length at the line'); // 31.5 × 31 = 976.5
    assert.ok(texts.some((t) => t.includes('por 30 postes')));
    assert.ok(raw.length < 20_000, `the SVG is ${raw.length} bytes`);
    const { bytes, text } = await pdfOf(sketch);
    assert.ok(bytes.length < 50_000, `the PDF is ${bytes.length} bytes`);
    assert.ok(text.includes('977 m') && text.includes('por 30 postes'), text);
    assert.ok(MAX_PDF_BYTES > 50_000);
  });

  it('a state of more poles than any drop has is drawn with the most a drop may hold, not without bound', () => {
    const drop = dropOf(500);
    const { drawing } = sketchOf(reserved({ drop }));
    assert.equal(drawing.poles.length, 100);
    assert.ok(drawing.box && drawing.line);
    assert.deepEqual(drawing.line.points.at(-1), drawing.box, 'the line still ends at the box');
    const { drawing: far } = sketchOf(reserved({ drop: { ...drop, route: drop.route.slice(-2) } }));
    const inFrame = (p: { x: number; y: number }) =>
      p.x > far.frame.x &&
      p.x < far.frame.x + far.frame.width &&
      p.y > far.frame.y &&
      p.y < far.frame.y + far.frame.height;
    assert.ok(far.box && far.customer && inFrame(far.box) && inFrame(far.customer), 'both drawn within the frame');
  });

  it('names from OZmap are data: a box named like markup stays text in the SVG, which parses as XML', async () => {
    const splitter = `Splitter "1" 'a' \u0001\u0008 <b>&amp;</b>`;
    const sketch = sketchOf(reserved({ boxName: HOSTILE, splitterName: splitter, drop: dropOf(2) }), {
      ispName: `Acme <img src=x onerror=alert(1)> & "Cia"`,
      request: { customer: { code: 'C-1', name: '<script>x</script>' }, address: `Rua "A" & B <c>` },
    });
    const { raw, all, texts } = svgOf(sketch); // throws unless it is well-formed XML
    assert.deepEqual([...new Set(all.map((e) => e.name))].sort(), [
      'circle',
      'path',
      'polyline',
      'rect',
      'svg',
      'text',
      'title',
    ]);
    assert.ok(!/<script/i.test(raw), 'no raw <script');
    assert.ok(!/<img/i.test(raw), 'no raw <img');
    assert.ok(raw.includes('&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;'), 'the escaped form');
    const joined = texts.join('\n');
    assert.ok(joined.includes(`Caixa: ${HOSTILE}`), 'the name reads as it is');
    assert.ok(joined.includes(`Splitter: Splitter "1" 'a' <b>&amp;</b>`), 'quotes kept, controls gone');
    assert.ok(joined.includes('Acme <img src=x onerror=alert(1)> & "Cia"'));
    assert.ok(joined.includes('Cliente: <script>x</script>'));
    assert.ok(joined.includes(`Rua "A" & B <c>`));
    const { text } = await pdfOf(sketch);
    assert.ok(text.includes(HOSTILE), text);
  });

  it('escapes every XML special character and drops what XML cannot hold', () => {
    assert.equal(
      escapeXml(`<a href="x" title='y'>&</a>`),
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
    assert.equal(escapeXml('a\u0000b\u0007c\u001fd\ud800e\ufffef\u0085g'), 'abcdefg');
    assert.equal(escapeXml('tab\tline\nnão 🚀'), 'tab\tline\nnão 🚀');
  });

  it('the PDF shows Portuguese, and any character the standard fonts lack as "?" rather than failing', async () => {
    assert.equal(winAnsi('Ação São João – “ok” € …'), 'Ação São João – “ok” € …');
    assert.equal(winAnsi('CTO 中 🚀 Ω'), 'CTO ? ? ?');
    assert.equal(winAnsi('Cafe\u0301'), 'Café', 'a decomposed accent is composed');
    const sketch = sketchOf(reserved({ boxName: 'CTO 中文 🚀 Ação', splitterName: 'Divisão Ωmega' }));
    const { text } = await pdfOf(sketch);
    assert.ok(text.includes('CTO ?? ? Ação'), text);
    assert.ok(text.includes('Divisão ?mega'), text);
    // The SVG keeps them as they are.
    assert.ok(svgOf(sketch).texts.some((t) => t.includes('CTO 中文 🚀 Ação')));
  });

  it('without coordinates of the box (no route, not among the candidates) the facts stand and nothing is made up', async () => {
    const sketch = sketchOf(reserved({}, { candidates: [] }));
    assert.equal(sketch.drawing.box, undefined);
    assert.equal(sketch.drawing.line, undefined);
    assert.ok(sketch.drawing.customer);
    const { texts } = svgOf(sketch);
    assert.ok(!texts.some((t) => t.includes('linha reta')));
    assert.ok(texts.some((t) => t.includes('Caixa: CTO-12')));
    assert.ok((await pdfOf(sketch)).text.includes('Porta: 3'));
  });

  it('only a reservation holding its port has a sketch', () => {
    const { reservation: _none, ...noPort } = reserved();
    assert.match(
      noSketchReason({ ...noPort, status: 'AWAITING_SELECTION' }) ?? '',
      /no reserved port.*AWAITING_SELECTION/,
    );
    for (const status of ['RELEASING', 'EXPIRED', 'CANCELLED'] as const)
      assert.match(noSketchReason(reserved({}, { status })) ?? '', new RegExp(`released.*${status}`));
    for (const status of ['RESERVED', 'CONFIRMING', 'INSTALLED'] as const)
      assert.equal(noSketchReason(reserved({}, { status })), undefined);
    assert.throws(() => buildSketch({ state: { ...noPort }, ispName: 'x' }), /no reservation/);
  });

  it('reads the recorded input leniently, and lays out its address on one line', () => {
    const structured = requestOf({
      viabilityId: 'V-1',
      customer: { code: 'C-1', name: 'João' },
      address: {
        street: 'Rua Bocaiúva',
        number: '2125',
        neighborhood: 'Centro',
        city: 'Florianópolis',
        state: 'sc',
        postalCode: '88015-530',
      },
    });
    assert.deepEqual(structured?.customer, { code: 'C-1', name: 'João' });
    const address = structured?.address;
    assert.ok(address);
    assert.equal(addressLine(address), 'Rua Bocaiúva, 2125, Centro, Florianópolis - SC, 88015-530');
    assert.equal(requestOf(undefined), undefined);
    assert.deepEqual(requestOf({ customer: 3, address: { street: 1 } }), {});
    assert.deepEqual(requestOf({ address: 'Rua X' }), { address: 'Rua X' });
  });

  it('rounds the scale bar, wraps long lines and writes metres as a Brazilian reader does', () => {
    assert.deepEqual([0.3, 1, 7, 12, 49, 50, 180, 999, 2400].map(niceLength), [1, 1, 5, 10, 20, 50, 100, 500, 2000]);
    assert.equal(formatMeters(1234.4), '1.234 m');
    assert.equal(formatMeters(84.5), '85 m');
    const long = wrap('palavra '.repeat(60).trim(), 20, 3);
    assert.equal(long.length, 3);
    assert.ok(long.every((l) => [...l].length <= 20));
    assert.ok(long[2]!.endsWith('…'));
    assert.deepEqual(wrap('x'.repeat(25), 10, 5), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    // A scale bar is drawn, as long as it says.
    const { scaleBar, labels } = sketchOf(reserved({ drop: dropOf(4) })).drawing;
    assert.ok(scaleBar && scaleBar.to.x > scaleBar.from.x);
    assert.ok(labels.some((l) => /^\d+ m$/.test(l.text) && l.size === 8));
  });
});
