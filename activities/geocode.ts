/** The geocode activity: an address line to coordinates, through the configured provider (geocoder/). */
import { classified } from './failures.ts';
import type { Geocoder, GeocodeResult } from './geocoder/geocoder.ts';

export interface GeocodeInput {
  query: string;
}

/** null when the provider knows no such address; its HTTP failures become the Geocoder's typed failures. */
export async function geocode(geocoder: Pick<Geocoder, 'geocode'>, input: GeocodeInput): Promise<GeocodeResult | null> {
  return classified('Geocoder', () => geocoder.geocode(input.query));
}
