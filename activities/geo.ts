/** Great-circle distance in metres (haversine); plenty for distances of a few hundred metres. */
export function distanceMeters(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const R = 6_371_008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The distance as candidates show it and as the radius is held to: metres, to a tenth. */
export const shownDistanceMeters = (a: { lat: number; lng: number }, b: { lat: number; lng: number }): number =>
  Math.round(distanceMeters(a, b) * 10) / 10;
