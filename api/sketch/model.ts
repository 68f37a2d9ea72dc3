/**
 * The installer's sketch (croqui, docs/http-api.md, "The installer's sketch"): what it says and where each thing goes,
 * built once from a reservation's state and drawn alike by svg.ts and pdf.ts. Pure: no I/O, no clock.
 *
 * The page is an A4 sheet in PDF points (595 x 842, y down): a title, the facts as lines of text, and a drawing of the
 * customer's point, the drop and the box, projected with a local equirectangular projection fitted to their bounds
 * (plenty for a few hundred metres), north up, with a scale bar in metres and a north arrow. The drop follows the poles
 * when the reservation carries its route (pole mode); otherwise a dashed straight line to the box, labelled as such.
 *
 * Every text here is data (names from OZmap, an address from the caller or a geocoder): the renderers escape or
 * re-encode it, this module only bounds its length.
 */
import { distanceMeters } from '../../activities/geo.ts';
import { MAX_DROP_POLES, type Address, type ReservationState } from '../../contract/schemas.ts';

export interface Point {
  x: number;
  y: number;
}
interface LatLng {
  lat: number;
  lng: number;
}

/** What the caller sent when the reservation started (its recorded input), as far as the sketch shows it. */
export interface SketchRequest {
  customer?: { code?: string; name?: string };
  address?: Address;
}

export interface SketchInput {
  state: ReservationState;
  /** The ISP's (tenant's) name. */
  ispName: string;
  request?: SketchRequest;
}

export interface TextLine {
  text: string;
  at: Point;
  size: number;
  bold?: boolean;
  /** Where `at` is on the line: its start (default), middle or end. */
  anchor?: 'start' | 'middle' | 'end';
}

export interface Drawing {
  /** The map's frame on the page. */
  frame: { x: number; y: number; width: number; height: number };
  customer?: Point;
  box?: Point;
  /** The drop along the poles (solid) or, without a route, the straight line customer → box (dashed). */
  line?: { points: Point[]; dashed: boolean };
  /** The poles, in order from the customer's end (their numbers are among the labels). */
  poles: Point[];
  scaleBar?: { from: Point; to: Point };
  north: { tip: Point; base: Point; halfWidth: number };
  /** Every text on the drawing, each over a white halo: names, pole numbers, the length, the scale, "N", a notice. */
  labels: TextLine[];
}

export interface Sketch {
  /** The document's title (PDF metadata, SVG <title>). */
  title: string;
  ispName: string;
  viabilityId: string;
  width: number;
  height: number;
  lines: TextLine[];
  drawing: Drawing;
}

/** A4 in PDF points. */
export const PAGE = { width: 595, height: 842 } as const;
const MARGIN = 40;
const CONTENT_WIDTH = PAGE.width - 2 * MARGIN;
const FACT_SIZE = 10;
const LINE_HEIGHT = 14;
/** Characters per line of a fact: Helvetica at 10 pt averages some 5 pt a character, the line is 515 pt. */
const WRAP = 88;
const MAX_LINES_PER_FACT = 3;
/** Names on the drawing, cut to this many characters. */
const LABEL_CHARS = 40;
/** Any text, cut to this many characters before wrapping (names and addresses are a line or two). */
const MAX_TEXT = 400;
/** The smallest extent drawn, in metres, so that a customer on top of the box still has a readable drawing. */
const MIN_EXTENT_METERS = 20;
/** Room inside the frame for the labels around the outermost points. */
const INNER_PADDING = 36;
const EARTH_RADIUS = 6_371_008.8;

/** The statuses in which the port is released or being released: no sketch sends an installer there. */
export const RELEASED_STATUSES: ReadonlySet<string> = new Set(['RELEASING', 'EXPIRED', 'CANCELLED']);

const STATUS_NAMES: Record<string, string> = {
  RESERVED: 'reservada',
  CONFIRMING: 'confirmando a venda',
  INSTALLED: 'instalada',
};

/** One line, any run of white space or control characters as one space, at most `max` characters. */
export function oneLine(text: string, max = MAX_TEXT): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  const flat = text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return cut(flat, max);
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Greedy word wrap at `width` characters; a word longer than a line is cut. At most `maxLines`, the last with "…". */
export function wrap(text: string, width = WRAP, maxLines = MAX_LINES_PER_FACT): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let rest = word;
    while ([...rest].length > width) {
      if (line) lines.push(line);
      const chars = [...rest];
      lines.push(chars.slice(0, width).join(''));
      rest = chars.slice(width).join('');
      line = '';
    }
    if (!line) line = rest;
    else if ([...line].length + 1 + [...rest].length <= width) line += ` ${rest}`;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = `${cut(kept[maxLines - 1]!, width - 1)}…`;
  return kept;
}

const metres = new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 0 });
/** Whole metres, as a Brazilian reader writes them ("1.234 m"). */
export const formatMeters = (m: number): string => `${metres.format(Math.round(m))} m`;

const dateTime = new Intl.DateTimeFormat('pt-BR', {
  timeZone: 'America/Sao_Paulo',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
/** An instant in Brasília time ("28/11/2026 09:00 (Brasília)"); text that is no instant is shown as it is. */
export function formatDate(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? `${dateTime.format(ms).replace(',', '')} (Brasília)` : oneLine(iso, 40);
}

/** A structured address as one line ("street, number complement - neighbourhood, city - UF, CEP"). */
export function addressLine(address: Address): string {
  if (typeof address === 'string') return address;
  const street = [address.street, address.number].filter(Boolean).join(', ');
  const cityUf = [address.city, address.state?.toUpperCase()].filter(Boolean).join(' - ');
  return [[street, address.complement].filter(Boolean).join(' '), address.neighborhood, cityUf, address.postalCode]
    .filter(Boolean)
    .join(', ');
}

const isLatLng = (p: unknown): p is LatLng =>
  typeof p === 'object' &&
  p !== null &&
  Number.isFinite((p as LatLng).lat) &&
  Number.isFinite((p as LatLng).lng) &&
  Math.abs((p as LatLng).lat) <= 90 &&
  Math.abs((p as LatLng).lng) <= 180;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The customer and address of a run's recorded input (client/inspection.ts reads it from history), read leniently:
 * an input of an older or newer shape shows what it has, never fails the sketch.
 */
export function requestOf(input: unknown): SketchRequest | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const { customer, address } = input as Record<string, unknown>;
  const request: SketchRequest = {};
  if (typeof customer === 'object' && customer !== null) {
    const { code, name } = customer as Record<string, unknown>;
    request.customer = { code: str(code), name: str(name) };
  }
  if (typeof address === 'string') request.address = address;
  else if (typeof address === 'object' && address !== null) {
    const a = address as Record<string, unknown>;
    const street = str(a.street);
    const city = str(a.city);
    if (street && city) {
      request.address = {
        street,
        city,
        number: str(a.number),
        complement: str(a.complement),
        neighborhood: str(a.neighborhood),
        state: str(a.state),
        postalCode: str(a.postalCode),
      };
    }
  }
  return request;
}

/** Why a state has no sketch (no port, or its port released), or undefined when it has one. */
export function noSketchReason(state: Pick<ReservationState, 'reservation' | 'status'>): string | undefined {
  if (!state.reservation) return `it has no reserved port (status ${state.status})`;
  if (RELEASED_STATUSES.has(state.status)) return `its port was released (status ${state.status})`;
  return undefined;
}

export function buildSketch({ state, ispName, request }: SketchInput): Sketch {
  const reservation = state.reservation;
  if (!reservation) throw new Error(`buildSketch: ${state.viabilityId} has no reservation`);
  const isp = oneLine(ispName, 120) || '—';
  const viabilityId = oneLine(state.viabilityId, 64);

  // Where things are: the customer's point (the state's, else the route's start), the route, the box.
  const drop = reservation.drop;
  // A route longer than any drop (a state from elsewhere) is drawn with its first poles and its end: bounded.
  const points = (drop?.route ?? []).filter(isLatLng);
  const route = points.length <= MAX_DROP_POLES + 2 ? points : [...points.slice(0, MAX_DROP_POLES + 1), points.at(-1)!];
  const hasRoute = drop !== undefined && route.length >= 2;
  const customerAt = isLatLng(state.coordinates) ? state.coordinates : hasRoute ? route[0] : undefined;
  const candidate = state.candidates?.find((c) => c.boxId === reservation.boxId);
  const boxAt = hasRoute ? route.at(-1) : isLatLng(candidate?.coordinates) ? candidate.coordinates : undefined;
  const straight = !hasRoute && customerAt && boxAt ? distanceMeters(customerAt, boxAt) : undefined;

  // The facts, one label and value a line (wrapped).
  const facts: Array<[string, string]> = [];
  const status = STATUS_NAMES[state.status] ?? state.status;
  facts.push(['Viabilidade', `${viabilityId} (${status})`]);
  const customer = request?.customer;
  if (customer?.name || customer?.code) {
    const name = oneLine(customer.name ?? '');
    const code = oneLine(customer.code ?? '', 64);
    facts.push(['Cliente', name && code ? `${name} (código ${code})` : name || `código ${code}`]);
  }
  const address = request?.address !== undefined ? oneLine(addressLine(request.address)) : '';
  if (address) facts.push(['Endereço', address]);
  const geocoded = state.coordinates?.source === 'geocoder' ? oneLine(state.coordinates.displayName ?? '') : '';
  if (geocoded) facts.push([address ? 'Localizado como' : 'Endereço (geocodificado)', geocoded]);
  if (customerAt) facts.push(['Ponto do cliente', `${customerAt.lat.toFixed(6)}, ${customerAt.lng.toFixed(6)}`]);
  const box = oneLine(reservation.boxName, 120);
  facts.push([
    'Caixa',
    `${box}  ·  Splitter: ${oneLine(reservation.splitterName, 120)}  ·  Porta: ${reservation.port}`,
  ]);
  if (hasRoute) {
    const poles = drop.poles.length;
    facts.push([
      'Drop pelos postes',
      `${formatMeters(drop.lengthMeters)}, do cliente à caixa por ${poles} poste${poles === 1 ? '' : 's'}`,
    ]);
  } else if (drop) {
    facts.push([
      'Drop pelos postes',
      `${formatMeters(drop.lengthMeters)} (${drop.poles.length} postes; rota sem coordenadas)`,
    ]);
  } else if (straight !== undefined) {
    facts.push(['Distância em linha reta', `${formatMeters(straight)} até a caixa (sem rota pelos postes)`]);
  }
  facts.push([
    'Reservada em',
    `${formatDate(reservation.reservedAt)}   ·   Expira em: ${formatDate(reservation.expiresAt)}`,
  ]);

  const lines: TextLine[] = [
    { text: 'Croqui de instalação', at: { x: MARGIN, y: MARGIN }, size: 18, bold: true },
    { text: isp, at: { x: PAGE.width - MARGIN, y: MARGIN + 4 }, size: 12, bold: true, anchor: 'end' },
  ];
  let y = MARGIN + 36;
  for (const [label, value] of facts) {
    const wrapped = wrap(`${label}: ${value}`);
    wrapped.forEach((text, i) => {
      lines.push({ text, at: { x: MARGIN + (i === 0 ? 0 : 12), y }, size: FACT_SIZE });
      y += LINE_HEIGHT;
    });
  }
  const frameTop = y + 10;
  const footerY = PAGE.height - MARGIN + 8;
  lines.push({
    text: `Gerado para ${cut(isp, 60)}. Posições e distâncias aproximadas; confirme em campo.`,
    at: { x: MARGIN, y: footerY },
    size: 8,
  });
  const frame = { x: MARGIN, y: frameTop, width: CONTENT_WIDTH, height: footerY - 12 - frameTop };

  return {
    title: `Croqui de instalação ${viabilityId}`,
    ispName: isp,
    viabilityId,
    width: PAGE.width,
    height: PAGE.height,
    lines,
    drawing: draw(frame, {
      customerAt,
      boxAt,
      route: hasRoute ? route : undefined,
      boxLabel: `${cut(oneLine(reservation.boxName), LABEL_CHARS)} · porta ${reservation.port}`,
      lengthText: hasRoute
        ? formatMeters(drop.lengthMeters)
        : straight !== undefined
          ? `${formatMeters(straight)} em linha reta`
          : undefined,
    }),
  };
}

/** Projects and lays out the map in `frame`. */
function draw(
  frame: Drawing['frame'],
  what: {
    customerAt?: LatLng;
    boxAt?: LatLng;
    route?: LatLng[];
    boxLabel: string;
    lengthText?: string;
  },
): Drawing {
  const tip = { x: frame.x + frame.width - 24, y: frame.y + 14 };
  const drawing: Drawing = {
    frame,
    poles: [],
    north: { tip, base: { x: tip.x, y: tip.y + 26 }, halfWidth: 7 },
    labels: [{ text: 'N', at: { x: tip.x, y: tip.y + 38 }, size: 10, bold: true, anchor: 'middle' }],
  };
  // Everything drawn is fitted: the route (or the box) and the customer's point, even where the route does not start.
  const places = [what.customerAt, ...(what.route ?? [what.boxAt])].filter((p): p is LatLng => p !== undefined);
  if (places.length === 0) {
    const at = { x: frame.x + frame.width / 2, y: frame.y + frame.height / 2 };
    drawing.labels.push({ text: 'Sem coordenadas do cliente: nada a desenhar', at, size: 11, anchor: 'middle' });
    return drawing;
  }

  // Local equirectangular projection about the points' mean latitude: metres east and north of the first point.
  const lat0 = (places.reduce((sum, p) => sum + p.lat, 0) / places.length) * (Math.PI / 180);
  const origin = places[0]!;
  const toMeters = (p: LatLng) => ({
    e: ((p.lng - origin.lng) * Math.PI * EARTH_RADIUS * Math.cos(lat0)) / 180,
    n: ((p.lat - origin.lat) * Math.PI * EARTH_RADIUS) / 180,
  });
  const local = places.map(toMeters);
  const minE = Math.min(...local.map((p) => p.e));
  const maxE = Math.max(...local.map((p) => p.e));
  const minN = Math.min(...local.map((p) => p.n));
  const maxN = Math.max(...local.map((p) => p.n));
  const spanE = Math.max(maxE - minE, MIN_EXTENT_METERS);
  const spanN = Math.max(maxN - minN, MIN_EXTENT_METERS);
  const inner = { width: frame.width - 2 * INNER_PADDING, height: frame.height - 2 * INNER_PADDING };
  const scale = Math.min(inner.width / spanE, inner.height / spanN); // points per metre
  const midE = (minE + maxE) / 2;
  const midN = (minN + maxN) / 2;
  const cx = frame.x + frame.width / 2;
  const cy = frame.y + frame.height / 2;
  const project = (p: LatLng): Point => {
    const m = toMeters(p);
    return { x: round(cx + (m.e - midE) * scale), y: round(cy - (m.n - midN) * scale) };
  };
  /** A name beside a point: to its right, or to its left when it would run out of the frame. */
  const beside = (p: Point, text: string, dy: number): TextLine => {
    const wide = p.x + 10 + estimatedWidth(text, 9) > frame.x + frame.width - 4;
    return {
      text,
      at: { x: wide ? p.x - 10 : p.x + 10, y: p.y + dy },
      size: 9,
      bold: true,
      anchor: wide ? 'end' : 'start',
    };
  };

  if (what.route) {
    const points = what.route.map(project);
    drawing.line = { points, dashed: false };
    // The route's inner points are the poles, in order from the customer's end.
    drawing.poles = points.slice(1, -1);
    drawing.poles.forEach((p, i) =>
      drawing.labels.push({ text: String(i + 1), at: { x: p.x + 6, y: p.y - 6 }, size: 8 }),
    );
  }
  if (what.customerAt) {
    drawing.customer = project(what.customerAt);
    drawing.labels.push(beside(drawing.customer, 'Cliente', -8));
  }
  if (what.boxAt) {
    drawing.box = project(what.boxAt);
    drawing.labels.push(beside(drawing.box, what.boxLabel, 16));
  }
  if (!drawing.line && drawing.customer && drawing.box)
    drawing.line = { points: [drawing.customer, drawing.box], dashed: true };
  if (drawing.line && what.lengthText) {
    const mid = midpoint(drawing.line.points);
    const at = { x: round(mid.x), y: round(mid.y - 10) };
    drawing.labels.push({ text: what.lengthText, at, size: 10, bold: true, anchor: 'middle' });
  }
  // A scale bar of a round length about a quarter of the frame's width.
  const meters = niceLength(inner.width / 4 / scale);
  const from = { x: frame.x + 16, y: frame.y + frame.height - 16 };
  const to = { x: round(from.x + meters * scale), y: from.y };
  drawing.scaleBar = { from, to };
  drawing.labels.push({
    text: formatMeters(meters),
    at: { x: (from.x + to.x) / 2, y: from.y - 6 },
    size: 8,
    anchor: 'middle',
  });
  return drawing;
}

/** About how wide Helvetica sets `text` at `size` points (bold, where letters are widest). */
const estimatedWidth = (text: string, size: number) => [...text].length * size * 0.6;

/** The point halfway along a polyline. */
function midpoint(points: Point[]): Point {
  const lengths = points.slice(1).map((p, i) => Math.hypot(p.x - points[i]!.x, p.y - points[i]!.y));
  let half = lengths.reduce((a, b) => a + b, 0) / 2;
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i]!;
    if (half <= length && length > 0) {
      const a = points[i]!;
      const b = points[i + 1]!;
      return { x: a.x + ((b.x - a.x) * half) / length, y: a.y + ((b.y - a.y) * half) / length };
    }
    half -= length;
  }
  return points[0]!;
}

/** The largest of 1, 2 or 5 times a power of ten that is at most `m` (at least 1 m). */
export function niceLength(m: number): number {
  if (!(m >= 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(m));
  const step = [5, 2, 1].find((s) => s * power <= m)!;
  return step * power;
}

const round = (n: number) => Math.round(n * 10) / 10;
