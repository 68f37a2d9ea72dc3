/** The Nominatim-compatible /search over the demo gazetteer. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_ADDRESS, GAZETTEER, findStreet, locateNumber } from '../../simulator/gazetteer.ts';
import { distanceMeters } from '../../simulator/geo.ts';
import { geocode } from '../../simulator/geocoding.ts';
import { type ErrorBody, type TestSimulator, startTestSimulator } from './support.ts';

interface NominatimResult {
  place_id: number;
  licence: string;
  osm_type: string;
  osm_id: number;
  lat: string;
  lon: string;
  class?: string;
  category?: string;
  type: string;
  importance: number;
  display_name: string;
  boundingbox: string[];
  address?: Record<string, string>;
}

describe('Nominatim-compatible geocoding', () => {
  let sim: TestSimulator;
  before(async () => {
    sim = await startTestSimulator({ stateFile: undefined });
  });
  after(() => sim.stop());

  /** Like a Nominatim client: no API key. */
  const search = async <T = NominatimResult[]>(query: string) => {
    const response = await fetch(`${sim.url}/search?${query}`);
    return { status: response.status, headers: response.headers, body: (await response.json()) as T };
  };
  const q = (text: string, extra = '') =>
    search(`format=json&limit=5&countrycodes=br&q=${encodeURIComponent(text)}${extra}`);
  const point = (r: NominatimResult | undefined) => ({ lat: Number(r?.lat), lng: Number(r?.lon) });

  it('geocodes the demo address to one interpolated house, as a Nominatim json result', async () => {
    const { status, headers, body } = await q(DEMO_ADDRESS);
    assert.equal(status, 200);
    assert.equal(headers.get('access-control-allow-origin'), '*');
    assert.equal(body.length, 1);
    const [hit] = body;
    assert.ok(hit);
    assert.match(hit.lat, /^-27\.\d{7}$/);
    assert.match(hit.lon, /^-48\.\d{7}$/);
    assert.deepEqual([hit.class, hit.type, hit.osm_type], ['place', 'house', 'way']);
    assert.equal(typeof hit.place_id, 'number');
    assert.equal(typeof hit.osm_id, 'number');
    assert.equal(typeof hit.importance, 'number');
    assert.equal(typeof hit.licence, 'string');
    assert.match(
      hit.display_name,
      /^2125, Rua Bocaiúva, Centro, Florianópolis, .*Santa Catarina, .*88015-530, Brasil$/,
    );
    assert.equal(hit.boundingbox.length, 4);
    assert.ok(hit.boundingbox.every((v) => typeof v === 'string' && Number.isFinite(Number(v))));
    const street = findStreet('Rua Bocaiúva');
    assert.ok(street);
    assert.ok(distanceMeters(point(hit), locateNumber(street, 2125)) < 1);
  });

  it('ignores accents, case, abbreviations, CEP, neighbourhood, city, UF and country', async () => {
    const reference = point((await q(DEMO_ADDRESS)).body[0]);
    for (const text of [
      'rua bocaiuva 2125',
      'R. Bocaiúva, nº 2125',
      'R BOCAIUVA, 2125, Florianopolis, SC, Brasil',
      'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC, 88015-530',
      'Rua Bocaiúva 2125 apto 302, Centro',
      '2125 Rua Bocaiúva',
    ]) {
      const [hit] = (await q(text)).body;
      assert.ok(hit, text);
      assert.ok(distanceMeters(point(hit), reference) < 1, text);
    }
    const full = point((await q('Avenida Jornalista Rubens de Arruda Ramos, 1500')).body[0]);
    const short = point((await q('Av. Beira-Mar Norte 1500')).body[0]);
    assert.ok(distanceMeters(full, short) < 1);
    const titled = point((await q('R. Cap. Romualdo de Barros, 800 - Carvoeira')).body[0]);
    const untitled = point((await q('Romualdo de Barros 800')).body[0]);
    assert.ok(distanceMeters(titled, untitled) < 1);
    assert.equal((await q('Rua Ten. Silveira, 100')).body[0]?.display_name.includes('Rua Tenente Silveira'), true);
  });

  it('interpolates numbers along the street and falls back to the street itself without a usable number', async () => {
    const street = findStreet('Rua Lauro Linhares');
    assert.ok(street);
    const start = point((await q('Rua Lauro Linhares, 1')).body[0]);
    const middle = point((await q('Rua Lauro Linhares, 1250')).body[0]);
    const end = point((await q('Rua Lauro Linhares, 2500')).body[0]);
    assert.ok(distanceMeters(start, street.path[0] ?? start) < 1);
    assert.ok(distanceMeters(end, street.path[street.path.length - 1] ?? end) < 1);
    assert.ok(distanceMeters(start, middle) > 400 && distanceMeters(middle, end) > 400);
    for (const text of ['Rua Lauro Linhares', 'Rua Lauro Linhares, 99999', 'Rua Lauro Linhares s/n, Trindade']) {
      const [hit] = (await q(text)).body;
      assert.deepEqual([hit?.class, hit?.type], ['highway', 'residential'], text);
      assert.match(hit?.display_name ?? '', /^Rua Lauro Linhares, Trindade/);
    }
  });

  it('answers [] for addresses outside the gazetteer, another state or another country', async () => {
    for (const text of [
      'Rua das Acácias, 100 - Centro, Florianópolis - SC',
      'Rua Felipe Schmidt, 100 - Centro, Curitiba - PR',
      'Rua Felipe Schmidt 100, Curitiba/PR',
      'Rua Bocaiúva 2125, Buenos Aires, Argentina',
      'Florianópolis',
      '',
    ]) {
      const reply = await q(text);
      assert.equal(reply.status, 200, text);
      assert.deepEqual(reply.body, [], text);
    }
    assert.deepEqual((await search(`format=json&countrycodes=ar,uy&q=${encodeURIComponent(DEMO_ADDRESS)}`)).body, []);
  });

  it('supports jsonv2, addressdetails, structured queries and a bare CEP', async () => {
    const [v2] = (await search(`format=jsonv2&addressdetails=1&q=${encodeURIComponent(DEMO_ADDRESS)}`)).body;
    assert.equal(v2?.category, 'place');
    assert.equal(v2?.class, undefined);
    assert.deepEqual(v2?.address, {
      house_number: '2125',
      road: 'Rua Bocaiúva',
      suburb: 'Centro',
      city: 'Florianópolis',
      state: 'Santa Catarina',
      'ISO3166-2-lvl4': 'BR-SC',
      region: 'Região Sul',
      postcode: '88015-530',
      country: 'Brasil',
      country_code: 'br',
    });
    const structured = await search(
      `format=json&street=${encodeURIComponent('2125 Rua Bocaiúva')}&city=Florian%C3%B3polis&state=SC&postalcode=88015-530&country=Brasil`,
    );
    assert.equal(structured.body[0]?.type, 'house');
    const elsewhere = await search(
      `format=json&street=${encodeURIComponent('Rua Bocaiúva 2125')}&city=${encodeURIComponent('São Paulo')}`,
    );
    assert.deepEqual(elsewhere.body, []);
    const byCep = await search('format=json&postalcode=88036-001');
    assert.match(byCep.body[0]?.display_name ?? '', /^Rua Lauro Linhares/);
  });

  it('answers 400 {message} for unsupported formats, mixed q and structured parameters, or nothing to search', async () => {
    for (const query of ['format=xml&q=x', `format=json&q=x&street=y`, 'format=json', 'format=json&q=x&limit=0']) {
      const reply = await search<ErrorBody>(query);
      assert.equal(reply.status, 400, query);
      assert.equal(typeof reply.body.message, 'string');
    }
  });

  it('every gazetteer street geocodes by name, and the demo address has boxes with free ports within 250 m', async () => {
    for (const street of GAZETTEER) {
      const hits = geocode(`${street.name}, ${street.numbers.to}`);
      assert.equal(hits[0]?.street, street, street.name);
    }
    const [hit] = (await q(DEMO_ADDRESS)).body;
    const viability = await sim.get<{ viable: boolean; viables: unknown[] }>(
      `/api/v2/ftth-viability/radius?lat=${hit?.lat}&lng=${hit?.lon}&radius=250`,
    );
    assert.equal(viability.body.viable, true);
    assert.ok(viability.body.viables.length >= 2);
  });
});
