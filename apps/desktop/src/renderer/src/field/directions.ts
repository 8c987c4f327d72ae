import type { AssetFeature } from '@tidewatch/shared';

/** The point to drive to: a point asset's own, or the start of a pipe. */
export function assetPosition(asset: AssetFeature): readonly [number, number] | null {
  const geometry = asset.geometry;
  if (geometry.type === 'Point') return geometry.coordinates;
  return geometry.coordinates[0] ?? null;
}

/**
 * A directions link the phone hands to its maps app: `geo:` on Android, OpenStreetMap's directions elsewhere.
 * @example directionsUrl([73.85, 18.52], 'Android') // 'geo:18.52,73.85?q=18.52,73.85'
 */
export function directionsUrl(position: readonly [number, number], userAgent: string): string {
  const [lon, lat] = position;
  const at = `${String(lat)},${String(lon)}`;
  if (/android/i.test(userAgent)) return `geo:${at}?q=${at}`;
  return `https://www.openstreetmap.org/directions?route=%3B${at}`;
}
