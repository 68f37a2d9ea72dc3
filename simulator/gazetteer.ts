/**
 * The demo streets of central Florianópolis (and a few in Trindade, Carvoeira and Agronômica).
 * Both the seeded network (boxes along the streets) and the Nominatim-compatible geocoder use this one list, so an
 * address that geocodes always has a network around it. Coordinates are plausible, not surveyed: each street is a
 * polyline from its first to its last house number, and numbers are interpolated linearly along it.
 */
import { type LatLng, polylineLength, pointAlong } from './geo.ts';

export const CITY = 'Florianópolis';
export const STATE = 'Santa Catarina';
export const STATE_CODE = 'SC';
export const COUNTRY = 'Brasil';
export const COUNTRY_CODE = 'br';

export interface Street {
  /** Official name, as shown in addresses. */
  readonly name: string;
  /** Other names people type (the geocoder also understands the usual abbreviations by itself). */
  readonly aliases: readonly string[];
  readonly neighbourhood: string;
  /** CEP of the street (one per street here; real long streets have several). */
  readonly cep: string;
  readonly numbers: { readonly from: number; readonly to: number };
  /** From the lowest to the highest house number. */
  readonly path: readonly LatLng[];
  /** 'dense': boxes every 50-80 m; 'isolated': only the isolated test box (see network.ts). */
  readonly coverage: 'dense' | 'isolated';
}

const street = (
  name: string,
  neighbourhood: string,
  cep: string,
  to: number,
  path: ReadonlyArray<readonly [number, number]>,
  extra: { aliases?: string[]; coverage?: Street['coverage'] } = {},
): Street => ({
  name,
  aliases: extra.aliases ?? [],
  neighbourhood,
  cep,
  numbers: { from: 1, to },
  path: path.map(([lat, lng]) => ({ lat, lng })),
  coverage: extra.coverage ?? 'dense',
});

export const GAZETTEER: readonly Street[] = [
  street('Rua Felipe Schmidt', 'Centro', '88010-001', 1100, [
    [-27.59672, -48.54985],
    [-27.5961, -48.5531],
    [-27.5952, -48.5579],
  ]),
  street('Rua Conselheiro Mafra', 'Centro', '88010-100', 900, [
    [-27.598, -48.5493],
    [-27.5966, -48.557],
  ]),
  street('Rua Tenente Silveira', 'Centro', '88010-300', 650, [
    [-27.5957, -48.5492],
    [-27.5944, -48.5558],
  ]),
  street('Rua Saldanha Marinho', 'Centro', '88010-450', 450, [
    [-27.5956, -48.5526],
    [-27.5908, -48.5518],
  ]),
  street('Rua Deodoro', 'Centro', '88010-020', 300, [
    [-27.5985, -48.5522],
    [-27.5962, -48.5517],
  ]),
  street('Rua Jerônimo Coelho', 'Centro', '88010-030', 400, [
    [-27.5977, -48.5532],
    [-27.595, -48.5542],
  ]),
  street('Rua Victor Meirelles', 'Centro', '88010-440', 350, [
    [-27.5985, -48.5496],
    [-27.5952, -48.5488],
  ]),
  street('Rua Visconde de Ouro Preto', 'Centro', '88020-040', 700, [
    [-27.5995, -48.55],
    [-27.5993, -48.5445],
  ]),
  street('Avenida Hercílio Luz', 'Centro', '88020-000', 1200, [
    [-27.599, -48.547],
    [-27.5942, -48.5476],
    [-27.5898, -48.5483],
  ]),
  street('Avenida Mauro Ramos', 'Centro', '88020-300', 2000, [
    [-27.6003, -48.5439],
    [-27.5945, -48.5438],
    [-27.5882, -48.5456],
  ]),
  street('Rua Presidente Coutinho', 'Centro', '88015-230', 700, [
    [-27.5942, -48.552],
    [-27.5933, -48.5445],
  ]),
  street('Avenida Rio Branco', 'Centro', '88015-200', 1300, [
    [-27.593, -48.557],
    [-27.5918, -48.545],
  ]),
  street('Rua Esteves Júnior', 'Centro', '88015-130', 800, [
    [-27.59, -48.5448],
    [-27.5913, -48.5546],
  ]),
  street('Rua Almirante Lamego', 'Centro', '88015-600', 1600, [
    [-27.5923, -48.5564],
    [-27.5887, -48.562],
  ]),
  street('Rua Bocaiúva', 'Centro', '88015-530', 2600, [
    [-27.5893, -48.5585],
    [-27.5874, -48.5516],
    [-27.5856, -48.5442],
  ]),
  street(
    'Avenida Beira-Mar Norte',
    'Centro',
    '88015-700',
    2800,
    [
      [-27.5876, -48.5602],
      [-27.5848, -48.5515],
      [-27.5825, -48.5435],
      [-27.5788, -48.5385],
    ],
    { aliases: ['Avenida Jornalista Rubens de Arruda Ramos', 'Beira-Mar Norte', 'Beira-Mar'] },
  ),
  street('Rua Frei Caneca', 'Agronômica', '88025-000', 900, [
    [-27.586, -48.54],
    [-27.5808, -48.5362],
  ]),
  street('Rua Lauro Linhares', 'Trindade', '88036-001', 2500, [
    [-27.5878, -48.5232],
    [-27.593, -48.5211],
    [-27.5976, -48.519],
  ]),
  street('Rua Capitão Romualdo de Barros', 'Carvoeira', '88040-600', 1100, [
    [-27.6022, -48.526],
    [-27.606, -48.5218],
  ]),
  street(
    'Rua Silva Jardim',
    'José Mendes',
    '88020-200',
    900,
    [
      [-27.6065, -48.5495],
      [-27.6085, -48.5465],
    ],
    {
      coverage: 'isolated',
    },
  ),
];

export const streetLengthMeters = (s: Street): number => polylineLength(s.path);

/** The position of a house number (clamped to the street's range), by linear interpolation along the street. */
export function locateNumber(s: Street, houseNumber: number): LatLng {
  const { from, to } = s.numbers;
  const fraction = to === from ? 0 : (Math.min(Math.max(houseNumber, from), to) - from) / (to - from);
  return pointAlong(s.path, fraction * streetLengthMeters(s)).point;
}

/** The house number found `distance` metres from the start of the street. */
export function numberAt(s: Street, distance: number): number {
  const fraction = Math.min(1, Math.max(0, distance / streetLengthMeters(s)));
  return Math.round(s.numbers.from + fraction * (s.numbers.to - s.numbers.from));
}

/** "Rua Bocaiúva, 2125 - Centro, Florianópolis - SC", the way Brazilian ERPs write addresses. */
export const formatAddress = (s: Street, houseNumber?: number): string =>
  `${s.name}${houseNumber === undefined ? '' : `, ${houseNumber}`} - ${s.neighbourhood}, ${CITY} - ${STATE_CODE}`;

/** An address that geocodes, with boxes with free ports around it (the example of docs/architecture.md, "Input"). */
export const DEMO_ADDRESS = 'Rua Bocaiúva, 2125 - Centro, Florianópolis - SC';

export const findStreet = (name: string): Street | undefined => GAZETTEER.find((s) => s.name === name);
