import type { FeatureCollection } from 'geojson';
import type { LngLat, MapMode } from './map-store.ts';

const EARTH_RADIUS_M = 6_371_008.8;
const CIRCLE_VERTICES = 64;

/** A circle of `radiusM` metres around a point, as a closed ring (good enough for a few kilometres). */
export function circleRing([lng, lat]: LngLat, radiusM: number): [number, number][] {
  const dLat = (radiusM / EARTH_RADIUS_M) * (180 / Math.PI);
  const dLng = dLat / Math.cos((lat * Math.PI) / 180);
  const ring: [number, number][] = [];
  for (let i = 0; i <= CIRCLE_VERTICES; i += 1) {
    const a = (i / CIRCLE_VERTICES) * 2 * Math.PI;
    ring.push([lng + dLng * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return ring;
}

/** What the map draws of the operator's outline or circle while they place it. */
export function drawingFeatures(mode: MapMode): FeatureCollection {
  if (mode.kind === 'drawing' && mode.vertices.length > 0) {
    const corners = mode.vertices.map(([lng, lat]): [number, number] => [lng, lat]);
    const first = corners[0];
    const outline = first && corners.length > 2 ? [...corners, first] : corners;
    return {
      type: 'FeatureCollection',
      features: [
        ...(outline.length > 1
          ? [
              {
                type: 'Feature' as const,
                properties: {},
                geometry: { type: 'LineString' as const, coordinates: outline },
              },
            ]
          : []),
        ...corners.map((corner) => ({
          type: 'Feature' as const,
          properties: {},
          geometry: { type: 'Point' as const, coordinates: corner },
        })),
      ],
    };
  }
  if (mode.kind === 'radius' && mode.center) {
    return {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: {},
          geometry: { type: 'Polygon', coordinates: [circleRing(mode.center, mode.radiusM)] },
        },
      ],
    };
  }
  return { type: 'FeatureCollection', features: [] };
}
