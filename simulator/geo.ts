/** Small spherical-geometry helpers; metres and decimal degrees throughout. */

export interface LatLng {
  lat: number;
  lng: number;
}

const EARTH_RADIUS_M = 6_371_008.8;
const METRES_PER_DEGREE_LAT = (Math.PI * EARTH_RADIUS_M) / 180;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle (haversine) distance, the straight-line distance OZmap's feasibility by radius uses. */
export function distanceMeters(a: LatLng, b: LatLng): number {
  const dLat = toRadians(b.lat - a.lat);
  const dLng = toRadians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(a.lat)) * Math.cos(toRadians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The point `north` and `east` metres away (a flat approximation, exact enough over a few hundred metres). */
export function offsetMeters(point: LatLng, north: number, east: number): LatLng {
  return {
    lat: point.lat + north / METRES_PER_DEGREE_LAT,
    lng: point.lng + east / (METRES_PER_DEGREE_LAT * Math.cos(toRadians(point.lat))),
  };
}

export function polylineLength(path: readonly LatLng[]): number {
  let total = 0;
  for (let i = 1; i < path.length; i++) total += distanceMeters(path[i - 1] as LatLng, path[i] as LatLng);
  return total;
}

export interface PointOnLine {
  point: LatLng;
  /** Unit vector of the segment's direction, in metres north and east. */
  direction: { north: number; east: number };
}

/** The point `distance` metres along a polyline (clamped to its ends), with the direction of travel there. */
export function pointAlong(path: readonly LatLng[], distance: number): PointOnLine {
  if (path.length < 2) throw new RangeError('a polyline needs at least two points');
  let remaining = Math.max(0, distance);
  for (let i = 1; i < path.length; i++) {
    const a = path[i - 1] as LatLng;
    const b = path[i] as LatLng;
    const length = distanceMeters(a, b);
    if (remaining <= length || i === path.length - 1) {
      const t = length === 0 ? 0 : Math.min(1, remaining / length);
      const north = (b.lat - a.lat) * METRES_PER_DEGREE_LAT;
      const east = (b.lng - a.lng) * METRES_PER_DEGREE_LAT * Math.cos(toRadians(a.lat));
      const norm = Math.hypot(north, east) || 1;
      return {
        point: { lat: a.lat + (b.lat - a.lat) * t, lng: a.lng + (b.lng - a.lng) * t },
        direction: { north: north / norm, east: east / norm },
      };
    }
    remaining -= length;
  }
  throw new Error('unreachable');
}

/** Rounds to 7 decimals (about 1 cm), the precision OZmap and Nominatim report. */
export const round7 = (value: number): number => Math.round(value * 1e7) / 1e7;
