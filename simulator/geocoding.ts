/**
 * A Nominatim-compatible `/search` over the gazetteer, so the demo geocodes offline with the same client code that
 * talks to a real Nominatim. Matching folds accents and case, expands the usual abbreviations ("R.", "Av.",
 * "Ten.", ...), interpolates a house number along the street, and ignores the city/UF/CEP/country parts.
 * An address on another street, or explicitly in another state or country, finds nothing (`[]`), as Nominatim would.
 */
import { CITY, COUNTRY, COUNTRY_CODE, GAZETTEER, STATE, STATE_CODE, type Street, locateNumber } from './gazetteer.ts';
import type { LatLng } from './geo.ts';
import { ApiError, type ApiResult } from './http.ts';

const LICENCE = 'Simulated data from the OZmap simulator gazetteer (not OpenStreetMap)';
const REGION_NAMES = 'Região Geográfica Imediata de Florianópolis, Região Geográfica Intermediária de Florianópolis';
const MAX_RESULTS = 40;
const DEFAULT_RESULTS = 10;

const STREET_TYPES: Record<string, string> = {
  r: 'rua',
  rua: 'rua',
  av: 'avenida',
  ave: 'avenida',
  avda: 'avenida',
  avenida: 'avenida',
  tv: 'travessa',
  trav: 'travessa',
  travessa: 'travessa',
  serv: 'servidao',
  servidao: 'servidao',
  rod: 'rodovia',
  rodovia: 'rodovia',
  al: 'alameda',
  alameda: 'alameda',
};

const TITLES: Record<string, string> = {
  ten: 'tenente',
  tte: 'tenente',
  alm: 'almirante',
  pres: 'presidente',
  cap: 'capitao',
  cel: 'coronel',
  dep: 'deputado',
  des: 'desembargador',
  visc: 'visconde',
  cons: 'conselheiro',
  jorn: 'jornalista',
  prof: 'professor',
  dr: 'doutor',
  sen: 'senador',
  mal: 'marechal',
  gov: 'governador',
  eng: 'engenheiro',
  pe: 'padre',
  fr: 'frei',
  sta: 'santa',
  sto: 'santo',
};
const TITLE_WORDS = new Set(Object.values(TITLES));
const LINKING_WORDS = new Set(['de', 'da', 'do', 'das', 'dos', 'e']);

const UFS = new Set('AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO'.split(' '));
const CEP = /\b(\d{5})-?(\d{3})\b/g;

/** Lower case, no accents, words separated by single spaces. */
export const fold = (text: string): string =>
  text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

const tokens = (text: string): string[] => {
  const words = fold(text).split(' ').filter(Boolean);
  return words.map((word) => STREET_TYPES[word] ?? TITLES[word] ?? word);
};

interface StreetForm {
  street: Street;
  type: string;
  /** Name variants without the street type, as token lists. */
  cores: string[][];
}

/** A name's variants: the full name, and without a leading title ("Romualdo de Barros") when that leaves 2+ words. */
function cores(name: string): { type: string; cores: string[][] } {
  const words = tokens(name);
  const first = words[0] ?? '';
  const hasType = Object.values(STREET_TYPES).includes(first);
  const core = hasType ? words.slice(1) : words;
  const variants = [core];
  if (core.length > 0 && TITLE_WORDS.has(core[0] as string)) {
    const rest = core.slice(1);
    while (rest.length > 0 && LINKING_WORDS.has(rest[0] as string)) rest.shift();
    if (rest.length >= 2) variants.push(rest);
  }
  return { type: hasType ? first : '', cores: variants };
}

const FORMS: StreetForm[] = GAZETTEER.map((street) => {
  const main = cores(street.name);
  return { street, type: main.type, cores: [...main.cores, ...street.aliases.flatMap((alias) => cores(alias).cores)] };
});

function indexOfRun(haystack: string[], needle: string[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export interface GeocodeHit {
  street: Street;
  /** Set when the query had a number within the street's range. */
  houseNumber?: number;
  point: LatLng;
  score: number;
}

const midpoint = (street: Street): LatLng => locateNumber(street, (street.numbers.from + street.numbers.to) / 2);

/** Parts such as "Curitiba - PR" or "Curitiba/PR" naming another state mean: not in this gazetteer. */
function namesAnotherState(text: string): boolean {
  const parts = text.split(/,|\s-\s|\//).map((part) => part.trim().toUpperCase());
  const ufs = parts.filter((part) => UFS.has(part));
  return ufs.length > 0 && !ufs.includes(STATE_CODE);
}

const OTHER_COUNTRY = /\b(argentina|uruguay|uruguai|paraguay|paraguai|portugal|usa|united states|chile)\b/;

/** Geocodes a free-form address over the gazetteer; best matches first, [] when nothing matches. */
export function geocode(text: string): GeocodeHit[] {
  if (namesAnotherState(text) || OTHER_COUNTRY.test(fold(text))) return [];
  const ceps = [...text.matchAll(CEP)].map((m) => `${m[1]}-${m[2]}`);
  const words = tokens(text.replace(CEP, ' '));
  const hits: GeocodeHit[] = [];
  for (const form of FORMS) {
    let best: { at: number; length: number } | undefined;
    for (const core of form.cores) {
      const at = core.length > 0 ? indexOfRun(words, core) : -1;
      if (at >= 0 && (!best || core.length > best.length)) best = { at, length: core.length };
    }
    if (!best) continue;
    const typed = words[best.at - 1];
    const span = new Set(Array.from({ length: best.length }, (_, i) => best.at + i));
    const numberWord = words.find((word, i) => !span.has(i) && /^\d{1,5}$/.test(word));
    const n = numberWord === undefined ? undefined : Number(numberWord);
    const inRange = n !== undefined && n >= form.street.numbers.from && n <= form.street.numbers.to;
    const score =
      best.length * 10 +
      (typed !== undefined && typed === form.type ? 5 : 0) +
      (ceps.includes(form.street.cep) ? 3 : 0);
    hits.push(
      inRange
        ? { street: form.street, houseNumber: n, point: locateNumber(form.street, n), score }
        : { street: form.street, point: midpoint(form.street), score },
    );
  }
  if (hits.length === 0) {
    // A bare CEP finds its street, as Nominatim finds a postcode.
    for (const street of GAZETTEER)
      if (ceps.includes(street.cep)) hits.push({ street, point: midpoint(street), score: 1 });
  }
  return hits.sort((a, b) => b.score - a.score);
}

const fixed7 = (value: number): string => value.toFixed(7);

function boundingBox(hit: GeocodeHit): string[] {
  if (hit.houseNumber !== undefined) {
    const { lat, lng } = hit.point;
    return [fixed7(lat - 0.00005), fixed7(lat + 0.00005), fixed7(lng - 0.00005), fixed7(lng + 0.00005)];
  }
  const lats = hit.street.path.map((p) => p.lat);
  const lngs = hit.street.path.map((p) => p.lng);
  return [fixed7(Math.min(...lats)), fixed7(Math.max(...lats)), fixed7(Math.min(...lngs)), fixed7(Math.max(...lngs))];
}

/** One Nominatim result (jsonv2 says `category` where json says `class`). */
function toNominatim(hit: GeocodeHit, format: 'json' | 'jsonv2', addressDetails: boolean): Record<string, unknown> {
  const { street, houseNumber } = hit;
  const streetIndex = GAZETTEER.indexOf(street);
  const isHouse = houseNumber !== undefined;
  const kind = isHouse
    ? { class: 'place', type: 'house', addresstype: 'place', place_rank: 30, importance: 0.31 }
    : {
        class: 'highway',
        type: street.name.startsWith('Avenida') ? 'primary' : 'residential',
        addresstype: 'road',
        place_rank: 26,
        importance: 0.21,
      };
  const parts = [
    isHouse ? String(houseNumber) : undefined,
    street.name,
    street.neighbourhood,
    CITY,
    REGION_NAMES,
    STATE,
    'Região Sul',
    street.cep,
    COUNTRY,
  ];
  const { class: category, ...rest } = kind;
  return {
    place_id: 300_000_000 + streetIndex * 100_000 + (houseNumber ?? 0),
    licence: LICENCE,
    osm_type: 'way',
    osm_id: 400_000_000 + streetIndex,
    lat: fixed7(hit.point.lat),
    lon: fixed7(hit.point.lng),
    ...(format === 'jsonv2' ? { category } : { class: category }),
    ...rest,
    name: isHouse ? '' : street.name,
    display_name: parts.filter((p) => p !== undefined).join(', '),
    ...(addressDetails
      ? {
          address: {
            ...(isHouse ? { house_number: String(houseNumber) } : {}),
            road: street.name,
            suburb: street.neighbourhood,
            city: CITY,
            state: STATE,
            'ISO3166-2-lvl4': `BR-${STATE_CODE}`,
            region: 'Região Sul',
            postcode: street.cep,
            country: COUNTRY,
            country_code: COUNTRY_CODE,
          },
        }
      : {}),
    boundingbox: boundingBox(hit),
  };
}

const STRUCTURED = ['street', 'city', 'county', 'state', 'postalcode', 'country', 'amenity'] as const;

const inList = (value: string | null, accepted: string[]): boolean => value === null || accepted.includes(fold(value));

/** GET /search (and /search.php): Nominatim's query parameters, JSON formats only. No API key, as Nominatim. */
export function nominatimSearch(params: URLSearchParams): ApiResult {
  const headers = { 'access-control-allow-origin': '*' };
  const format = params.get('format') ?? 'jsonv2';
  if (format !== 'json' && format !== 'jsonv2') {
    throw new ApiError(400, `format "${format}" is not supported by the simulator: use format=json or format=jsonv2`);
  }
  const limitText = params.get('limit');
  const limit = limitText === null ? DEFAULT_RESULTS : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1)
    throw new ApiError(400, `limit must be a whole number of 1 or more (got "${limitText}")`);
  const countries = params.get('countrycodes');
  if (countries !== null && countries.trim() !== '' && !fold(countries).split(' ').includes(COUNTRY_CODE))
    return { status: 200, body: [], headers };

  const q = params.get('q');
  const structured = STRUCTURED.filter((name) => params.get(name) !== null);
  if (q !== null && structured.length > 0) {
    throw new ApiError(
      400,
      'Structured query parameters (street, city, county, state, postalcode, country, amenity) cannot be used ' +
        "together with 'q'",
    );
  }
  let text: string;
  if (q !== null) {
    text = q;
  } else {
    if (structured.length === 0)
      throw new ApiError(400, 'Nothing to search for: give q or structured parameters such as street and city');
    const foreign =
      !inList(params.get('city'), ['florianopolis', 'floripa']) ||
      !inList(params.get('state'), ['sc', 'santa catarina']) ||
      !inList(params.get('country'), ['brasil', 'brazil', 'br']);
    if (foreign) return { status: 200, body: [], headers };
    text = [params.get('street'), params.get('postalcode')].filter((part) => part !== null).join(', ');
  }
  const addressDetails = params.get('addressdetails') === '1';
  const hits = geocode(text).slice(0, Math.min(limit, MAX_RESULTS));
  return { status: 200, body: hits.map((hit) => toNominatim(hit, format, addressDetails)), headers };
}
