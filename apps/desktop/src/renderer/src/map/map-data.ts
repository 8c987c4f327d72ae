import { pointAssetKinds, type MapLayers, type PointAssetKind } from '@tidewatch/shared';

export interface MapPoints {
  readonly count: number;
  readonly ids: readonly string[];
  readonly codes: readonly string[];
  readonly names: readonly string[];
  readonly kinds: Uint8Array;
  /** lng, lat interleaved; doubles, so a symbol sits where PostGIS has it at any zoom. */
  readonly positions: Float64Array;
  readonly radii: Float32Array;
  readonly inMaintenance: Uint8Array;
}

export interface MapPipes {
  readonly count: number;
  readonly ids: readonly string[];
  readonly codes: readonly string[];
  readonly diametersMm: Int32Array;
  readonly startIndices: Uint32Array;
  readonly coordinates: Float64Array;
  readonly widths: Float32Array;
  readonly inMaintenance: Uint8Array;
}

/**
 * The tenant's network as typed arrays: what changes when assets are edited, not when alerts do (alert colours
 * come from the live alert feed, see map-paint.ts).
 */
export interface MapData {
  readonly points: MapPoints;
  readonly pipes: MapPipes;
  readonly bbox: readonly [number, number, number, number] | null;
  readonly pointIndexById: ReadonlyMap<string, number>;
  readonly pipeIndexById: ReadonlyMap<string, number>;
}

const kindRadius: Readonly<Record<PointAssetKind, number>> = {
  plant: 9,
  reservoir: 8,
  tank: 6,
  sump: 6,
  pump: 5,
  borewell: 5,
  flow_meter: 4,
  pressure_point: 4,
  valve: 4,
  junction: 3,
};

/** Pipe width in metres on the ground, so trunk mains read as trunk mains at every zoom. */
export function pipeWidthMetres(diameterMm: number): number {
  return Math.max(1.5, diameterMm / 60);
}

function indexById(ids: readonly string[]): Map<string, number> {
  const byId = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 1) byId.set(ids[i] ?? '', i);
  return byId;
}

/**
 * Turns the server's columns into the typed arrays deck.gl draws from directly: one pass per column, no object
 * per asset, so 100,000 assets cost a few milliseconds and no garbage while panning.
 */
export function toMapData(layers: MapLayers): MapData {
  const p = layers.points;
  const kinds = Uint8Array.from(p.kinds);
  const radii = new Float32Array(p.count);
  for (let i = 0; i < p.count; i += 1) radii[i] = kindRadius[pointAssetKinds[kinds[i] ?? 0] ?? 'junction'];

  const q = layers.pipes;
  const widths = new Float32Array(q.count);
  for (let i = 0; i < q.count; i += 1) widths[i] = pipeWidthMetres(q.diametersMm[i] ?? 100);
  // deck.gl counts path starts in vertices, with the end of the last path appended.
  const startIndices = new Uint32Array(q.count + 1);
  startIndices.set(q.pathStarts);
  startIndices[q.count] = q.coordinates.length / 2;

  return {
    points: {
      count: p.count,
      ids: p.ids,
      codes: p.codes,
      names: p.names,
      kinds,
      positions: Float64Array.from(p.positions),
      radii,
      inMaintenance: Uint8Array.from(p.inMaintenance),
    },
    pipes: {
      count: q.count,
      ids: q.ids,
      codes: q.codes,
      diametersMm: Int32Array.from(q.diametersMm),
      startIndices,
      coordinates: Float64Array.from(q.coordinates),
      widths,
      inMaintenance: Uint8Array.from(q.inMaintenance),
    },
    bbox: layers.bbox,
    pointIndexById: indexById(p.ids),
    pipeIndexById: indexById(q.ids),
  };
}

/** The vertices of pipe `index`, lng and lat. */
export function pipePath(data: MapData, index: number): [number, number][] {
  const { startIndices, coordinates } = data.pipes;
  const path: [number, number][] = [];
  for (let v = startIndices[index] ?? 0; v < (startIndices[index + 1] ?? 0); v += 1) {
    path.push([coordinates[v * 2] ?? 0, coordinates[v * 2 + 1] ?? 0]);
  }
  return path;
}

/** Indexes of the points inside a view rectangle, at most `limit` of them (for labels). */
export function pointsInView(
  points: MapPoints,
  [west, south, east, north]: readonly [number, number, number, number],
  limit: number,
): number[] {
  const found: number[] = [];
  for (let i = 0; i < points.count && found.length < limit; i += 1) {
    const lng = points.positions[i * 2] ?? 0;
    const lat = points.positions[i * 2 + 1] ?? 0;
    if (lng >= west && lng <= east && lat >= south && lat <= north) found.push(i);
  }
  return found;
}
