/** What the geocode activity needs of a geocoding provider. */
export interface GeocodeResult {
  lat: number;
  lng: number;
  /** How the provider understood the address, shown to the salesperson. */
  displayName: string;
}

export interface Geocoder {
  /** null when the provider knows no such address. */
  geocode(query: string): Promise<GeocodeResult | null>;
  close(): Promise<void>;
}
