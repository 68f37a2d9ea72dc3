/**
 * The installer's sketch as a one-page A4 PDF (pdfkit), the same layout as the SVG (model.ts): the facts as text, the
 * drawing as vector lines. Only the standard Helvetica fonts, which need no font file and encode WinAnsi
 * (Windows-1252): Portuguese is all there; any other character becomes "?" rather than a wrong glyph or a failure.
 * Text is drawn through pdfkit's glyph encoding, never spliced into the PDF's syntax. Built in memory, bounded in size.
 */
import PDFDocument from 'pdfkit';
import type { Drawing, Sketch, TextLine } from './model.ts';

/** Far more than a sketch takes (some 10 KiB with a hundred poles): a bound, not a size. */
export const MAX_PDF_BYTES = 1024 * 1024;

/** What Windows-1252 has beyond Latin-1's printable ranges (0x80-0x9F). */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/** The text in characters the standard fonts can show: accents composed, anything else "?", controls a space. */
export function winAnsi(text: string): string {
  let out = '';
  for (const char of text.normalize('NFC')) {
    const code = char.codePointAt(0)!;
    if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(char)) out += char;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += ' ';
    else out += '?';
  }
  return out;
}

const INK = '#1f2933';
/** Text never runs closer than this to the page's edge. */
const PAGE_MARGIN = 20;
const ROUTE = '#c2410c';

type Doc = PDFKit.PDFDocument;

/** A line of text at its baseline; over a white halo on the drawing. Too wide for the page: set smaller. */
function text(doc: Doc, line: TextLine, halo = false): void {
  const content = winAnsi(line.text);
  let size = line.size;
  doc.font(line.bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size);
  let width = doc.widthOfString(content);
  const room = line.anchor === 'end' ? line.at.x - PAGE_MARGIN : doc.page.width - PAGE_MARGIN - line.at.x;
  if (width > room && room > 0) {
    size = (size * room) / width;
    doc.fontSize(size);
    width = room;
  }
  const x = line.anchor === 'middle' ? line.at.x - width / 2 : line.anchor === 'end' ? line.at.x - width : line.at.x;
  if (halo) doc.rect(x - 2, line.at.y - size * 0.8, width + 4, size * 1.05).fill('#ffffff');
  doc.fillColor(INK).text(content, x, line.at.y, { lineBreak: false, baseline: 'alphabetic' });
}

function drawing(doc: Doc, d: Drawing): void {
  const { frame } = d;
  doc.lineWidth(1).rect(frame.x, frame.y, frame.width, frame.height).fillAndStroke('#f8fafc', '#94a3b8');
  if (d.line && d.line.points.length > 1) {
    const [first, ...rest] = d.line.points;
    doc.save().lineWidth(2.5).strokeColor(ROUTE);
    if (d.line.dashed) doc.dash(6, { space: 4 });
    doc.moveTo(first!.x, first!.y);
    for (const p of rest) doc.lineTo(p.x, p.y);
    doc.stroke().restore();
  }
  for (const pole of d.poles) doc.lineWidth(1.5).circle(pole.x, pole.y, 4).fillAndStroke('#ffffff', INK);
  if (d.box)
    doc
      .lineWidth(1)
      .rect(d.box.x - 6, d.box.y - 6, 12, 12)
      .fillAndStroke('#1d4ed8', INK);
  if (d.customer) doc.lineWidth(1).circle(d.customer.x, d.customer.y, 6).fillAndStroke('#16a34a', INK);
  if (d.scaleBar) {
    const { from, to } = d.scaleBar;
    doc
      .lineWidth(1.5)
      .strokeColor(INK)
      .moveTo(from.x, from.y - 4)
      .lineTo(from.x, from.y)
      .lineTo(to.x, to.y)
      .lineTo(to.x, to.y - 4)
      .stroke();
  }
  const { tip, base, halfWidth } = d.north;
  doc
    .polygon([tip.x, tip.y], [base.x + halfWidth, base.y], [base.x, base.y - 6], [base.x - halfWidth, base.y])
    .fill(INK);
  for (const line of d.labels) text(doc, line, true);
}

/** The sketch as PDF bytes; rejects when pdfkit fails or the output would pass MAX_PDF_BYTES. */
export function renderPdf(sketch: Sketch): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: [sketch.width, sketch.height],
      margin: 0,
      info: {
        Title: winAnsi(sketch.title),
        Author: winAnsi(sketch.ispName),
        Subject: winAnsi(`Croqui de instalação da viabilidade ${sketch.viabilityId}`),
        Creator: 'ispbox-ozmap-reservations',
      },
      lang: 'pt-BR',
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      reject(err);
    };
    doc.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PDF_BYTES) fail(new Error(`the sketch's PDF passed ${MAX_PDF_BYTES} bytes`));
      else chunks.push(chunk);
    });
    doc.on('error', fail);
    doc.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    try {
      for (const line of sketch.lines) text(doc, line);
      drawing(doc, sketch.drawing);
      doc.end();
    } catch (err) {
      fail(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
