// The batch map, in the expansion team's browser. It holds no key: every call carries the signed query the page was
// opened with (the batch's links.map), and the server answers for that batch only.
// Plain ES module, no build step; Leaflet is loaded before it as a classic script (window.L).
// Rows' ids, box names and reasons are data typed by others: they reach the page as text nodes only.

const L = window.L;
const $ = (id) => document.getElementById(id);
const body = document.body;
const linkQuery = location.search; // verbatim: the signature covers these exact values
const apiUrl = (name) => new URL(`../api/${name}${linkQuery}`, import.meta.url);

const COLOURS = { viable: '#11845b', notViable: '#c2410c', addressNotFound: '#6b7280', invalid: '#7c3aed' };
const OUTCOME_TEXT = {
  viable: 'Viável',
  notViable: 'Sem viabilidade',
  addressNotFound: 'Endereço não encontrado',
  invalid: 'Linha inválida',
};
const STATUS_TEXT = {
  RUNNING: (p) => `Em andamento: ${p.done} de ${p.total} verificados${eta(p.etaSeconds)}.`,
  COMPLETED: (p) => `Concluído: ${p.total} endereços verificados.`,
  CANCELLED: (p) => `Cancelado: ${p.done} de ${p.total} verificados.`,
  FAILED: (p) => `Falhou: ${p.done} de ${p.total} verificados.`,
};
/** Pixels within which points become one cluster; from this zoom on, every point is drawn. */
const CLUSTER_PX = 44;
const CLUSTER_UNTIL_ZOOM = 17;
const POLL_MS = 3000;

const number = new Intl.NumberFormat('pt-BR');
function eta(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 90) return `, cerca de ${Math.max(1, Math.round(seconds))} s restantes`;
  return `, cerca de ${Math.round(seconds / 60)} min restantes`;
}

class ApiError extends Error {
  constructor(status, data) {
    super(data?.message ?? `HTTP ${status}`);
    this.status = status;
    this.data = data ?? {};
  }
}

async function get(name) {
  let res;
  try {
    res = await fetch(apiUrl(name), { cache: 'no-store' });
  } catch {
    throw new ApiError(0, { message: 'Sem conexão com o servidor.' });
  }
  const data = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function explain(err) {
  const error = err.data?.error;
  if (error === 'unsigned-link' || error === 'bad-signature') return 'Link inválido: peça um novo link do lote.';
  if (error === 'link-expired') return 'Link expirado: peça um novo link do lote (ozres batch o mostra).';
  if (err.status === 404) return 'Lote não encontrado: ele pode ter sido apagado (os lotes ficam 30 dias).';
  if (err.status === 0) return 'Sem conexão com o servidor. Verifique a rede e recarregue.';
  return 'O serviço não respondeu. Recarregue a página em instantes.';
}

// ---- the map -------------------------------------------------------------------------------------------------

const tileUrl = body.dataset.tileUrl;
const map = L.map('map', { attributionControl: Boolean(tileUrl), zoomSnap: 0.5, preferCanvas: true });
if (tileUrl) {
  const attribution = (body.dataset.tileAttribution ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  L.tileLayer(tileUrl, { attribution, maxZoom: 19, referrerPolicy: 'no-referrer' }).addTo(map);
  map.attributionControl.setPrefix('Leaflet');
}
L.control.scale({ imperial: false }).addTo(map);
map.setView([-27.5935, -48.5585], 12);
const renderer = L.canvas({ padding: 0.5 });
const layer = L.layerGroup().addTo(map);
/** Every row with coordinates: [lat, lng, outcome, id, boxName, distanceMeters, freePorts, reason]. */
const points = [];

function text(tag, value, className) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.textContent = value;
  return element;
}

function popupOf(row) {
  const [, , outcome, id, boxName, distance, freePorts, reason] = row;
  const list = document.createElement('dl');
  list.className = 'popup';
  const add = (label, value) => {
    if (value === null || value === undefined || value === '') return;
    list.append(text('dt', label), text('dd', String(value)));
  };
  add('Linha', id);
  add('Resultado', OUTCOME_TEXT[outcome] ?? outcome);
  add('Caixa', boxName);
  if (distance !== null) add('Distância', `${Math.round(distance)} m`);
  if (freePorts !== null) add('Portas livres', freePorts);
  add('Motivo', reason);
  return list;
}

/** Points grouped by a grid of CLUSTER_PX at this zoom (below CLUSTER_UNTIL_ZOOM), drawn as one circle a group. */
function draw() {
  layer.clearLayers();
  const zoom = map.getZoom();
  const bounds = map.getBounds().pad(0.2);
  const cells = new Map();
  for (const row of points) {
    if (!bounds.contains([row[0], row[1]])) continue;
    if (zoom >= CLUSTER_UNTIL_ZOOM) {
      drawPoint(row);
      continue;
    }
    const p = map.project([row[0], row[1]], zoom);
    const key = `${Math.floor(p.x / CLUSTER_PX)}:${Math.floor(p.y / CLUSTER_PX)}`;
    const cell = cells.get(key) ?? { rows: [], lat: 0, lng: 0, viable: 0 };
    cell.rows.push(row);
    cell.lat += row[0];
    cell.lng += row[1];
    if (row[2] === 'viable') cell.viable++;
    cells.set(key, cell);
  }
  for (const cell of cells.values()) {
    if (cell.rows.length === 1) {
      drawPoint(cell.rows[0]);
      continue;
    }
    const n = cell.rows.length;
    const kind = cell.viable === n ? 'all-viable' : cell.viable === 0 ? 'none-viable' : 'mixed';
    const size = n < 10 ? 30 : n < 100 ? 36 : 44;
    const label = text('span', number.format(n), `cluster ${kind}`);
    const centre = [cell.lat / n, cell.lng / n];
    L.marker(centre, {
      icon: L.divIcon({ className: 'cluster-icon', html: label, iconSize: [size, size] }),
      title: `${n} endereços, ${cell.viable} viáveis`,
    })
      .on('click', () => map.setView(centre, Math.min(map.getZoom() + 2, 19)))
      .addTo(layer);
  }
}

function drawPoint(row) {
  L.circleMarker([row[0], row[1]], {
    renderer,
    radius: 6,
    weight: 1.5,
    color: '#fff',
    fillColor: COLOURS[row[2]] ?? '#333',
    fillOpacity: 0.95,
  })
    .bindPopup(() => popupOf(row))
    .addTo(layer);
}
map.on('zoomend moveend', draw);

// ---- the data ------------------------------------------------------------------------------------------------

function showProgress(progress) {
  body.dataset.status = progress.status;
  $('batch-id').textContent = progress.batchId;
  $('status').textContent = (STATUS_TEXT[progress.status] ?? (() => progress.status))(progress);
  for (const key of ['viable', 'notViable', 'addressNotFound', 'invalid', 'total'])
    $(`c-${key}`).textContent = number.format(progress[key]);
}

/**
 * Reads rows from `from` on, page by page, replacing what was read from there before; returns the first row not
 * handled yet (where the next read of a running batch starts), or null once every row is.
 */
async function loadRows(from) {
  while (points.length > 0 && points[points.length - 1][8] >= from) points.pop();
  let pendingFrom = null;
  for (let next = from; next !== null;) {
    const page = await get(`rows/${next}`);
    for (const row of page.rows) points.push(row);
    pendingFrom ??= page.pendingFrom;
    next = page.next;
  }
  return pendingFrom;
}

let fitted = false;
function fit() {
  if (fitted || points.length === 0) return;
  fitted = true;
  map.fitBounds(
    points.map((row) => [row[0], row[1]]),
    { padding: [24, 24], maxZoom: 16 },
  );
}

async function main() {
  try {
    let progress = await get('progress');
    showProgress(progress);
    // While it runs, rows are read again from the first one not handled yet; once ended, to the end and no more.
    let from = 0;
    for (;;) {
      const running = progress.status === 'RUNNING';
      const pendingFrom = await loadRows(from);
      fit();
      draw();
      if (!running || pendingFrom === null) break;
      from = pendingFrom;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      progress = await get('progress');
      showProgress(progress);
    }
    if (progress.status === 'RUNNING') showProgress(await get('progress'));
    body.dataset.loaded = 'true';
  } catch (err) {
    const error = $('error');
    error.textContent = err instanceof ApiError ? explain(err) : 'Erro inesperado nesta página. Recarregue.';
    error.hidden = false;
    body.dataset.status = 'ERROR';
  }
}

void main();
