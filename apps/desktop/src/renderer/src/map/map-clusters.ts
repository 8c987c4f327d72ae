import { alertLevelColors } from './map-paint.ts';
import type { MapPaint } from './map-paint.ts';
import { perPaint } from './derived-cache.ts';

/** Cell size of the low-zoom aggregation, in screen pixels. */
const CELL_PIXELS = 56;
/** MapLibre's world is 512 pixels wide at zoom 0. */
const WORLD_PIXELS = 512;
const quietColor = [46, 125, 160, 200] as const;

/** The point assets gathered per screen cell at one zoom level: one symbol per cell. */
export interface MapClusters {
  readonly count: number;
  /** lng, lat of each cluster's centre of mass, interleaved. */
  readonly positions: Float64Array;
  /** Assets in each cluster. */
  readonly sizes: Uint32Array;
  /** Coloured by the worst alert inside, so an alarm is never averaged away. */
  readonly colors: Uint8Array;
  /** Pixels, growing with the logarithm of the size. */
  readonly radii: Float32Array;
  /** Indexes of the clusters holding more than one asset, for their count labels. */
  readonly labelled: Uint32Array;
}

function mercatorX(lng: number): number {
  return (lng + 180) / 360;
}

function mercatorY(lat: number): number {
  const clamped = Math.max(-85.05, Math.min(85.05, lat));
  const sin = Math.sin((clamped * Math.PI) / 180);
  return 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
}

/**
 * Clusters for an integer zoom level, made once per level and alert state (a pass over the points with a map
 * from cell to cluster: about ten milliseconds for 100,000 assets) and then drawn as a few thousand symbols,
 * so the map pans at low zoom without aggregating anything per frame.
 */
const clustersAtLevel = perPaint(cluster);

export function clustersAt(paint: MapPaint, zoom: number): MapClusters {
  return clustersAtLevel(paint, Math.max(0, Math.floor(zoom)));
}

function cluster(paint: MapPaint, zoom: number): MapClusters {
  const { positions, count } = paint.data.points;
  const cells = (WORLD_PIXELS * 2 ** zoom) / CELL_PIXELS;
  const clusterOfCell = new Map<number, number>();
  const sumLng: number[] = [];
  const sumLat: number[] = [];
  const sizes: number[] = [];
  const worst: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const lng = positions[i * 2] ?? 0;
    const lat = positions[i * 2 + 1] ?? 0;
    const cell = Math.floor(mercatorX(lng) * cells) * 4_194_304 + Math.floor(mercatorY(lat) * cells);
    let index = clusterOfCell.get(cell);
    if (index === undefined) {
      index = sizes.length;
      clusterOfCell.set(cell, index);
      sumLng.push(0);
      sumLat.push(0);
      sizes.push(0);
      worst.push(0);
    }
    sumLng[index] = (sumLng[index] ?? 0) + lng;
    sumLat[index] = (sumLat[index] ?? 0) + lat;
    sizes[index] = (sizes[index] ?? 0) + 1;
    worst[index] = Math.max(worst[index] ?? 0, paint.pointLevels[i] ?? 0);
  }

  const n = sizes.length;
  const out = {
    count: n,
    positions: new Float64Array(n * 2),
    sizes: Uint32Array.from(sizes),
    colors: new Uint8Array(n * 4),
    radii: new Float32Array(n),
  };
  const labelled: number[] = [];
  for (let c = 0; c < n; c += 1) {
    const size = sizes[c] ?? 1;
    out.positions[c * 2] = (sumLng[c] ?? 0) / size;
    out.positions[c * 2 + 1] = (sumLat[c] ?? 0) / size;
    const level = worst[c] ?? 0;
    out.colors.set(level > 0 ? (alertLevelColors[level] ?? quietColor) : quietColor, c * 4);
    out.radii[c] = size === 1 ? 4 : Math.min(22, 7 + 4 * Math.log10(size));
    if (size > 1) labelled.push(c);
  }
  return { ...out, labelled: Uint32Array.from(labelled) };
}
