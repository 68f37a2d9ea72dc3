// The viability map page, in the salesperson's browser. It holds no key: every call to the server carries the
// signed query Ispbox opened the page with, and the server acts only on that viability.
// Plain ES module, no build step; Leaflet is loaded before it as a classic script (window.L).

const L = window.L;
const $ = (id) => document.getElementById(id);
const body = document.body;
const linkQuery = location.search; // verbatim: the signature covers these exact values

/** The page's JSON endpoints sit beside this script: /viability/api/… (whatever prefix a proxy adds). */
const apiUrl = (name) => new URL(`../api/${name}${linkQuery}`, import.meta.url);

const STATUS_TEXT = {
  LOADING: () => 'Carregando…',
  GEOCODING: () => 'Localizando o endereço…',
  SEARCHING: () => 'Buscando caixas próximas…',
  AWAITING_SELECTION: (s) => `Escolha a caixa: ${s.candidates.length} com porta livre em ${s.radiusMeters} m.`,
  RESERVING: () => 'Reservando a porta…',
  RESERVED: (s) => `Porta reservada: caixa ${s.reservation?.boxName}, porta ${s.reservation?.port}.`,
  CONFIRMING: () => 'Confirmando a instalação…',
  RELEASING: () => 'Liberando a porta…',
  INSTALLED: () => 'Venda confirmada: o cliente está instalado nesta porta.',
  EXPIRED: () => 'Reserva expirada: a porta foi liberada.',
  CANCELLED: () => 'Reserva cancelada: a porta foi liberada.',
  NO_COVERAGE: (s) => `Sem viabilidade: nenhuma caixa com porta livre em ${s.radiusMeters} m.`,
  ADDRESS_NOT_FOUND: () => 'Endereço não encontrado: confira o endereço no Ispbox ou informe as coordenadas.',
  NO_SELECTION: () => 'Prazo de escolha encerrado: nenhuma caixa foi escolhida a tempo.',
};
const SETTLED = new Set([
  'AWAITING_SELECTION',
  'RESERVED',
  'INSTALLED',
  'EXPIRED',
  'CANCELLED',
  'NO_COVERAGE',
  'ADDRESS_NOT_FOUND',
  'NO_SELECTION',
]);
const FIELD_NAMES = {
  viabilityId: 'viabilidade',
  code: 'código do cliente',
  name: 'nome do cliente',
  address: 'endereço',
  lat: 'latitude',
  lng: 'longitude',
  radius: 'raio',
  exp: 'validade do link',
  boxId: 'caixa',
  splitterId: 'splitter',
  port: 'porta',
  reason: 'motivo',
};

const dateTime = new Intl.DateTimeFormat('pt-BR', { dateStyle: 'short', timeStyle: 'short' });
const meters = (m) => `${Math.round(m)} m`;
/** How far a box is for the customer: its drop along the poles (pole mode), else the straight line. */
const reach = (box) => box.drop?.lengthMeters ?? box.distanceMeters;
const reachText = (box) =>
  box.drop ? `drop de ${meters(box.drop.lengthMeters)} pelos postes` : meters(box.distanceMeters);
const UNAVAILABLE = {
  'in-design': 'Em projeto',
  'no-free-port': 'Sem porta livre',
  'no-pole-path': 'Sem caminho de postes até a caixa',
  'drop-too-long': 'Drop longo demais',
};
const portsText = (n) => (n === 1 ? '1 porta livre' : `${n} portas livres`);

class ApiError extends Error {
  constructor(status, data) {
    super(data?.message ?? `HTTP ${status}`);
    this.status = status;
    this.data = data ?? {};
  }
}

async function call(method, name, payload) {
  let res;
  try {
    res = await fetch(apiUrl(name), {
      method,
      headers: payload ? { 'content-type': 'application/json' } : {},
      body: payload ? JSON.stringify(payload) : undefined,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, { error: 'network' });
  }
  const data = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** What the salesperson reads when a call fails: what happened and what to do. */
function explain(err) {
  const { status, data } = err;
  if (data.error === 'unsigned-link')
    return 'Link sem assinatura. Abra esta página pelo Ispbox (botão da viabilidade).';
  if (data.error === 'bad-signature')
    return (
      'Link inválido: os dados do link foram alterados ou a assinatura não confere. ' +
      'Abra a viabilidade novamente pelo Ispbox.'
    );
  if (data.error === 'link-expired')
    return 'Link expirado. Abra a viabilidade novamente pelo Ispbox para gerar um novo link.';
  if (status === 400) {
    const fields = (data.details ?? []).map((p) => `${FIELD_NAMES[p.field] ?? p.field} (${p.message})`).join('; ');
    return `Dados inválidos${fields ? `: ${fields}` : ''}.`;
  }
  if (status === 404) return 'Viabilidade não encontrada.';
  if (status === 409) return `A reserva não foi aceita: ${data.message ?? 'a situação mudou'}.`;
  if (status === 429)
    return 'Muitas consultas ao mesmo tempo para esta viabilidade. Aguarde alguns segundos e tente novamente.';
  if (status === 0) return 'Sem conexão com o servidor. Verifique a rede e tente novamente.';
  if (status === -1) return 'Erro inesperado nesta página. Recarregue a página; se persistir, avise o suporte.';
  return 'O serviço de reservas não respondeu. Tente novamente em instantes.';
}

// ---- the map -------------------------------------------------------------------------------------------------

let map;
let layers;
let fitted = false; // the first view frames the search circle; later ones keep the salesperson's zoom
const boxMarkers = new Map();

function ensureMap() {
  if (map) return;
  const tileUrl = body.dataset.tileUrl;
  map = L.map('map', { attributionControl: Boolean(tileUrl), zoomSnap: 0.5 });
  if (tileUrl) {
    // Attribution is configured as text; Leaflet takes HTML, so it is escaped here.
    const attribution = escapeHtml(body.dataset.tileAttribution ?? '');
    L.tileLayer(tileUrl, { attribution, maxZoom: 19, referrerPolicy: 'no-referrer' }).addTo(map);
    map.attributionControl.setPrefix('Leaflet');
  }
  L.control.scale({ imperial: false }).addTo(map);
  layers = L.layerGroup().addTo(map);
}

function escapeHtml(s) {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Box names come from OZmap and the located address from the geocoder, typed by others: they reach the page as
 * text nodes only. Leaflet treats a string given to bindTooltip or divIcon as HTML, so it gets an element instead.
 */
function textElement(text, className) {
  const span = document.createElement('span');
  if (className) span.className = className;
  span.textContent = text;
  return span;
}

function drawMap(state) {
  if (!state.coordinates) return;
  ensureMap();
  layers.clearLayers();
  boxMarkers.clear();
  const centre = [state.coordinates.lat, state.coordinates.lng];
  if (!fitted) {
    // Before anything is added: Leaflet adds layers only once the map has a view.
    map.fitBounds(L.latLng(centre).toBounds(state.radiusMeters * 2), { padding: [16, 16] });
    fitted = true;
  }
  L.circle(centre, { radius: state.radiusMeters, className: 'radius-circle', interactive: false }).addTo(layers);

  for (const box of state.unavailableBoxes ?? []) {
    if (!box.coordinates) continue;
    const why = UNAVAILABLE[box.reason] ?? box.reason;
    L.circleMarker([box.coordinates.lat, box.coordinates.lng], {
      radius: 6,
      className: `unavailable-box ${box.reason}`,
    })
      .bindTooltip(textElement(`${box.boxName}: ${why} (${meters(box.distanceMeters)})`))
      .addTo(layers);
  }

  const reserved = state.reservation?.boxId;
  const selectable = state.status === 'AWAITING_SELECTION' || Boolean(moveSurvey);
  for (const box of state.candidates ?? []) {
    if (!box.coordinates) continue;
    const isReserved = box.boxId === reserved;
    if (reserved && !isReserved && !moveSurvey) continue; // once reserved, the map shows that box (unless moving)
    const label = `${box.boxName}: ${portsText(box.freePorts)}, a ${reachText(box)}`;
    const icon = textElement(isReserved ? '✓' : String(box.freePorts), `box-marker${isReserved ? ' is-reserved' : ''}`);
    icon.dataset.boxId = box.boxId;
    const marker = L.marker([box.coordinates.lat, box.coordinates.lng], {
      icon: L.divIcon({
        className: 'box-icon',
        html: icon,
        iconSize: [28, 28],
        iconAnchor: [14, 14],
      }),
      title: label,
      keyboard: selectable,
      riseOnHover: true,
    }).addTo(layers);
    marker.bindTooltip(textElement(box.boxName), { direction: 'top', offset: [0, -14] });
    const element = marker.getElement();
    element?.setAttribute('aria-label', selectable ? `Escolher ${label}` : label);
    if (selectable) {
      element?.setAttribute('role', 'button');
      marker.on('click', () => choose(box.boxId)); // Leaflet turns Enter on a focused marker into a click
    }
    boxMarkers.set(box.boxId, marker);
  }
  const pin = L.marker(centre, {
    icon: L.divIcon({
      className: 'customer-icon',
      html: '<span class="customer-pin" aria-hidden="true"></span>',
      iconSize: [24, 32],
      iconAnchor: [12, 30],
    }),
    title: 'Cliente',
    keyboard: false,
    zIndexOffset: 1000,
  }).addTo(layers);
  pin.bindTooltip(textElement(state.coordinates.displayName ?? 'Cliente'), { direction: 'top', offset: [0, -28] });
  routeLayer = L.layerGroup().addTo(layers);
  map.invalidateSize();
  highlight();
}

let routeLayer;
/**
 * Pole mode: the drop the installer will hang, customer to box along the poles, with its length: the reserved box's,
 * or the chosen one's while choosing.
 */
function drawRoute() {
  if (!routeLayer) return;
  routeLayer.clearLayers();
  const chosen = offered().find((c) => c.boxId === chosenBoxId);
  const drop = chosenBoxId ? chosen?.drop : current?.reservation?.drop;
  if (!drop?.route || drop.route.length < 2) return;
  const points = drop.route.map((p) => [p.lat, p.lng]);
  L.polyline(points, { className: 'drop-route', interactive: false }).addTo(routeLayer);
  for (const pole of points.slice(1, -1))
    L.circleMarker(pole, { radius: 3, className: 'drop-pole', interactive: false }).addTo(routeLayer);
  const label = textElement(`Drop: ${meters(drop.lengthMeters)} por ${drop.poles.length} poste(s)`, 'drop-length');
  L.marker(points[Math.floor(points.length / 2)], {
    icon: L.divIcon({ className: 'drop-label', html: label, iconSize: null }),
    interactive: false,
    keyboard: false,
  }).addTo(routeLayer);
}

// ---- the choice ----------------------------------------------------------------------------------------------

let current; // the last state
let chosenBoxId;
/** While the salesperson moves a RESERVED reservation ("Trocar caixa"): the fresh survey the choice is made on. */
let moveSurvey;
/** The boxes a choice is made among: the state's candidates, or the fresh ones of a move. */
const offered = () => (moveSurvey ? moveSurvey.candidates : (current?.candidates ?? []));

function renderCandidates(candidates) {
  const list = $('candidates');
  list.replaceChildren();
  const sorted = [...candidates].sort((a, b) => reach(a) - reach(b));
  for (const box of sorted) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'candidate';
    button.dataset.boxId = box.boxId;
    button.setAttribute('aria-pressed', 'false');
    const name = document.createElement('span');
    name.className = 'candidate-name';
    name.textContent = box.boxName;
    const distance = document.createElement('span');
    distance.className = 'candidate-distance';
    distance.textContent = reachText(box);
    const ports = document.createElement('span');
    ports.className = 'candidate-ports';
    ports.textContent = portsText(box.freePorts);
    button.append(name, distance, ports);
    if (moveSurvey && box.boxId === current?.reservation?.boxId) {
      const here = document.createElement('span');
      here.className = 'candidate-current';
      here.textContent = 'Caixa atual (outra porta)';
      button.append(here);
    }
    button.addEventListener('click', () => choose(box.boxId));
    item.append(button);
    list.append(item);
  }
}

function choose(boxId) {
  const box = offered().find((c) => c.boxId === boxId);
  if (!box || (current.status !== 'AWAITING_SELECTION' && !moveSurvey)) return;
  chosenBoxId = boxId;
  $('chosen').textContent = `Caixa escolhida: ${box.boxName} (${portsText(box.freePorts)}, a ${reachText(box)}).`;
  const splitter = $('splitter');
  splitter.replaceChildren(option('', 'Automático (primeira porta livre)'));
  for (const s of box.splitters.filter((x) => x.freePorts.length > 0))
    splitter.append(option(s.splitterId, `${s.splitterName} (${portsText(s.freePorts.length)})`));
  splitter.disabled = false;
  fillPorts();
  $('confirm').disabled = false;
  highlight();
  const marker = boxMarkers.get(boxId);
  if (marker && map && !map.getBounds().contains(marker.getLatLng())) map.panTo(marker.getLatLng());
  // The form is below the list (and, on a phone, below the map): bring splitter, port and the button into view.
  $('selection').scrollIntoView({ block: 'nearest' });
}

function fillPorts() {
  const box = offered().find((c) => c.boxId === chosenBoxId);
  const splitter = box?.splitters.find((s) => s.splitterId === $('splitter').value);
  const port = $('port');
  port.replaceChildren(option('', splitter ? 'Automática (primeira livre)' : 'Automática'));
  for (const p of splitter?.freePorts ?? []) port.append(option(String(p), `Porta ${p}`));
  port.disabled = !splitter;
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

function highlight() {
  for (const button of document.querySelectorAll('.candidate')) {
    const on = button.dataset.boxId === chosenBoxId;
    button.classList.toggle('is-chosen', on);
    button.setAttribute('aria-pressed', String(on));
  }
  for (const element of document.querySelectorAll('.box-marker'))
    element.classList.toggle('is-chosen', element.dataset.boxId === chosenBoxId);
  drawRoute();
}

async function confirmSelection(event) {
  event.preventDefault();
  if (!chosenBoxId) return;
  const selection = { boxId: chosenBoxId };
  if ($('splitter').value) selection.splitterId = $('splitter').value;
  if ($('port').value) selection.port = Number($('port').value);
  if (moveSurvey) return moveTo(selection);
  setBusy(true, 'Reservando a porta…');
  try {
    render(await call('POST', 'select', selection));
  } catch (err) {
    if (err.status === 409 || err.status === 400) {
      // Refused (the situation changed, or a stale choice): say why, and show the state as it is now.
      showNotice(explain(err));
      await refresh();
    } else {
      fail(err);
    }
  } finally {
    setBusy(false);
  }
}

function setBusy(busy, text) {
  $('confirm').disabled = busy || !chosenBoxId;
  if (moveSurvey) $('confirm').textContent = busy ? 'Trocando…' : 'Confirmar troca';
  else $('confirm').textContent = busy ? 'Reservando…' : 'Confirmar reserva';
  $('cancel-move').disabled = busy;
  body.toggleAttribute('aria-busy', busy);
  if (text) $('status').textContent = text;
}

// ---- "Trocar caixa": moving a RESERVED reservation -----------------------------------------------------------

/** Asks for the boxes as OZmap shows them now (not the first search's) and offers them for the move. */
async function startMove() {
  $('change-box').disabled = true;
  $('status').textContent = 'Buscando as caixas com porta livre agora…';
  body.toggleAttribute('aria-busy', true);
  try {
    showMove(await call('GET', 'candidates'));
  } catch (err) {
    if (err.status === 409) {
      showNotice(explain(err));
      await refresh();
    } else {
      fail(err);
    }
  } finally {
    body.toggleAttribute('aria-busy', false);
    $('change-box').disabled = false;
  }
}

function showMove(survey) {
  moveSurvey = survey;
  body.dataset.mode = 'move';
  const n = survey.candidates.length;
  $('status').textContent =
    n > 0
      ? `Trocar caixa: ${n === 1 ? '1 caixa' : `${n} caixas`} com porta livre em ${survey.radiusMeters} m. ` +
        'A reserva atual vale até você confirmar a troca.'
      : `Nenhuma caixa com porta livre em ${survey.radiusMeters} m agora: a reserva continua como está.`;
  $('notice').hidden = true;
  $('choose-title').textContent = 'Trocar caixa';
  $('choose-hint').textContent = 'Escolha a nova caixa na lista ou no mapa. O cliente passa para a porta escolhida.';
  $('choose').hidden = false;
  $('move-extra').hidden = false;
  $('move-reason').value = '';
  $('cancel-move').hidden = false;
  $('change-box').hidden = true;
  renderCandidates(survey.candidates);
  clearChoice();
  setBusy(false);
  renderUnavailable(survey.unavailableBoxes, true);
  drawMap({ ...current, candidates: survey.candidates, unavailableBoxes: survey.unavailableBoxes });
  $('choose').scrollIntoView({ block: 'nearest' });
}

async function moveTo(selection) {
  const reason = $('move-reason').value.trim();
  if (reason) selection.reason = reason;
  setBusy(true, 'Trocando a caixa…');
  try {
    render(await call('POST', 'box', selection));
  } catch (err) {
    if (err.status === 409 || err.status === 400) {
      // Refused (the port went meanwhile, the status changed): nothing moved. Say why and offer fresh boxes.
      const why =
        err.status === 409 ? `A troca não foi aceita: ${err.data.message ?? 'a situação mudou'}.` : explain(err);
      setBusy(false);
      await startMove();
      showNotice(`${why} A reserva continua na caixa anterior.`);
    } else {
      fail(err);
    }
  } finally {
    setBusy(false);
  }
}

/** The last move, as the workflow recorded it: where the reservation was before. */
function renderMoved(state) {
  const moves = (state.changes ?? []).filter((c) => c.kind === 'box');
  const last = moves[moves.length - 1];
  $('r-moved').hidden = !last;
  if (last) {
    $('r-moved').textContent =
      `Caixa trocada em ${dateTime.format(new Date(last.at))}: antes ${last.from.boxName}, ` +
      `${last.from.splitterName}, porta ${last.from.port}.`;
  }
}

// ---- the state -----------------------------------------------------------------------------------------------

function showNotice(text, detail) {
  const notice = $('notice');
  notice.replaceChildren(document.createTextNode(text));
  if (detail) {
    const small = document.createElement('small');
    small.textContent = ` (${detail})`;
    notice.append(small);
  }
  notice.hidden = false;
}

function render(state) {
  current = state;
  moveSurvey = undefined; // a new state ends any move under way (done, or refused and shown afresh)
  delete body.dataset.mode;
  body.dataset.status = state.status;
  $('status').textContent = (STATUS_TEXT[state.status] ?? (() => state.status))(state);
  $('notice').hidden = true;
  if (state.status === 'AWAITING_SELECTION' && state.notice) {
    // The workflow went back to selection: the port was sold meanwhile. The list below is fresh.
    showNotice(
      'A porta escolhida foi ocupada por outra venda enquanto você decidia. A lista foi atualizada: escolha de novo.',
      state.notice,
    );
  } else if (state.notice) {
    showNotice('Aviso do sistema:', state.notice);
  }
  const located = $('located');
  located.hidden = !state.coordinates?.displayName;
  if (state.coordinates?.displayName) {
    // Geocoders' display names run long (regions, country): the first parts say enough, the tooltip has it all.
    const parts = state.coordinates.displayName.split(',').map((p) => p.trim());
    located.textContent = `Endereço localizado: ${parts.slice(0, 4).join(', ')}${parts.length > 4 ? '…' : ''}`;
    located.title = state.coordinates.displayName;
  }

  const choosing = state.status === 'AWAITING_SELECTION';
  $('choose').hidden = !choosing;
  $('choose-title').textContent = 'Caixas com porta livre';
  $('choose-hint').textContent = 'Escolha uma caixa na lista ou no mapa. A mais próxima vem primeiro.';
  $('move-extra').hidden = true;
  $('cancel-move').hidden = true;
  setBusy(false);
  if (choosing) {
    // Every answer brings fresh candidates: a choice made on the old ones is cleared, to be made again knowingly.
    renderCandidates(state.candidates);
    clearChoice();
  }

  const reservation = state.reservation;
  $('reserved').hidden = !reservation;
  if (reservation) {
    $('reserved-title').textContent =
      state.status === 'INSTALLED' ? 'Cliente instalado' : state.status === 'RESERVED' ? 'Porta reservada' : 'Reserva';
    $('r-box').textContent = reservation.boxName;
    $('r-splitter').textContent = reservation.splitterName;
    $('r-port').textContent = String(reservation.port);
    $('r-expires').textContent =
      state.status === 'RESERVED' ? `Reservado até ${dateTime.format(new Date(reservation.expiresAt))}` : '';
    $('r-expires').hidden = state.status !== 'RESERVED';
    renderMoved(state);
  }
  $('change-box').hidden = state.status !== 'RESERVED';

  renderUnavailable(state.unavailableBoxes ?? [], choosing);

  drawMap(state);
  if (SETTLED.has(state.status)) polls = 0;
  else schedulePoll();
}

function clearChoice() {
  chosenBoxId = undefined;
  $('chosen').textContent = 'Nenhuma caixa escolhida.';
  $('splitter').replaceChildren();
  $('splitter').disabled = true;
  $('port').replaceChildren();
  $('port').disabled = true;
  $('confirm').disabled = true;
}

function renderUnavailable(unavailable, shown) {
  $('unavailable').hidden = unavailable.length === 0 || !shown;
  $('unavailable-title').textContent = `Caixas sem porta livre ou em projeto no raio (${unavailable.length})`;
  $('unavailable-list').replaceChildren(
    ...[...unavailable]
      .sort((a, b) => a.distanceMeters - b.distanceMeters)
      .map((box) => {
        const li = document.createElement('li');
        const why = (UNAVAILABLE[box.reason] ?? box.reason).toLowerCase();
        li.textContent = `${box.boxName}: ${why}, a ${meters(box.distanceMeters)}`;
        return li;
      }),
  );
}

let pollTimer;
let polls = 0;
/** While the workflow works (or retries a failing OZmap), ask again: soon at first, then every 15 s at most. */
function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(() => void refresh(), Math.min(15_000, 1500 * 1.5 ** polls++));
}

async function refresh() {
  try {
    render(await call('GET', 'state'));
  } catch (err) {
    fail(err);
  }
}

function fail(err) {
  if (!(err instanceof ApiError)) {
    // A bug of this page, not an answer of the server: say so, and leave the details to the console.
    console.error(err);
    err = new ApiError(-1, { error: 'page-error' });
  }
  body.dataset.status = 'ERROR';
  body.dataset.error = err.data?.error ?? String(err.status);
  $('status').textContent = explain(err);
  const refused = err.status === 401 || err.status === 403 || err.status === 400;
  if (refused) {
    $('choose').hidden = true;
    $('reserved').hidden = true;
  }
  $('retry').hidden = refused;
}

function header() {
  const q = new URLSearchParams(linkQuery);
  $('viability-id').textContent = q.get('viabilityId') ?? '';
  const name = q.get('name');
  const code = q.get('code');
  $('customer').textContent = name ? `${name}${code ? ` (código ${code})` : ''}` : '';
  $('address').textContent = q.get('address') ?? (q.get('lat') ? `Coordenadas ${q.get('lat')}, ${q.get('lng')}` : '');
}

async function start() {
  $('retry').hidden = true;
  $('status').textContent = 'Consultando a viabilidade…';
  try {
    render(await call('POST', 'start'));
  } catch (err) {
    fail(err);
  }
}

header();
$('selection').addEventListener('submit', (event) => void confirmSelection(event));
$('splitter').addEventListener('change', fillPorts);
$('retry').addEventListener('click', () => void start());
$('change-box').addEventListener('click', () => void startMove());
$('cancel-move').addEventListener('click', () => render(current));
if (!linkQuery) {
  fail(new ApiError(401, { error: 'unsigned-link' }));
} else {
  void start();
}
