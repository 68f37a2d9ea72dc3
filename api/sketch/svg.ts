/**
 * The installer's sketch as SVG (model.ts lays it out). Every text is data: escaped in text and attributes alike, and
 * stripped of what XML cannot hold, so a box named `</text><script>…` stays a name. No script, no style element, no
 * link or external reference: the route serves it under a CSP that allows none either.
 */
import type { Drawing, Sketch, TextLine } from './model.ts';

/** Characters XML 1.0 cannot hold (C0 controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF), and C1. */
const NOT_XML = /[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or an attribute's value, safe in either place. */
export const escapeXml = (text: string): string => text.replace(NOT_XML, '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);

const FONT = 'Helvetica, Arial, sans-serif';
const INK = '#1f2933';
const ROUTE = '#c2410c';
const n = (v: number) => String(Math.round(v * 10) / 10);

function text(line: TextLine, extra = ''): string {
  const anchor = line.anchor && line.anchor !== 'start' ? ` text-anchor="${line.anchor}"` : '';
  const weight = line.bold ? ' font-weight="bold"' : '';
  return (
    `<text x="${n(line.at.x)}" y="${n(line.at.y)}" font-size="${n(line.size)}"${weight}${anchor}${extra}>` +
    `${escapeXml(line.text)}</text>`
  );
}

/** A label with a white halo, readable over lines. */
const label = (line: TextLine) =>
  text(line, ' stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"');

function drawing(d: Drawing): string[] {
  const { frame } = d;
  const out: string[] = [
    `<rect x="${n(frame.x)}" y="${n(frame.y)}" width="${n(frame.width)}" height="${n(frame.height)}" ` +
      'fill="#f8fafc" stroke="#94a3b8" stroke-width="1"/>',
  ];
  if (d.line) {
    const points = d.line.points.map((p) => `${n(p.x)},${n(p.y)}`).join(' ');
    const dash = d.line.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(`<polyline points="${points}" fill="none" stroke="${ROUTE}" stroke-width="2.5"${dash}/>`);
  }
  for (const pole of d.poles)
    out.push(`<circle cx="${n(pole.x)}" cy="${n(pole.y)}" r="4" fill="#ffffff" stroke="${INK}" stroke-width="1.5"/>`);
  if (d.box)
    out.push(
      `<rect x="${n(d.box.x - 6)}" y="${n(d.box.y - 6)}" width="12" height="12" fill="#1d4ed8" stroke="${INK}"/>`,
    );
  if (d.customer)
    out.push(`<circle cx="${n(d.customer.x)}" cy="${n(d.customer.y)}" r="6" fill="#16a34a" stroke="${INK}"/>`);
  if (d.scaleBar) {
    const { from, to } = d.scaleBar;
    out.push(
      `<path d="M${n(from.x)} ${n(from.y - 4)}V${n(from.y)}H${n(to.x)}V${n(to.y - 4)}" fill="none" ` +
        `stroke="${INK}" stroke-width="1.5"/>`,
    );
  }
  const { tip, base, halfWidth } = d.north;
  out.push(
    `<path d="M${n(tip.x)} ${n(tip.y)}L${n(base.x + halfWidth)} ${n(base.y)}L${n(base.x)} ${n(base.y - 6)}` +
      `L${n(base.x - halfWidth)} ${n(base.y)}Z" fill="${INK}"/>`,
  );
  out.push(...d.labels.map(label));
  return out;
}

export function renderSvg(sketch: Sketch): string {
  const { width, height } = sketch;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}pt" height="${height}pt" ` +
      `viewBox="0 0 ${width} ${height}" font-family="${FONT}" fill="${INK}">`,
    `<title>${escapeXml(sketch.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...sketch.lines.map((line) => text(line)),
    ...drawing(sketch.drawing),
    '</svg>',
    '',
  ].join('\n');
}
