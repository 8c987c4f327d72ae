import { pointAssetKinds, type MapLayers, type PointAssetKind } from '@tidewatch/shared';

export type Rgba = readonly [number, number, number, number];

/** Symbol colours by alert level (none, low, medium, high, critical), matching the alert console's priorities. */
export const alertLevelColors: readonly Rgba[] = [
  [46, 125, 160, 220],
  [96, 160, 96, 255],
  [230, 190, 40, 255],
  [240, 130, 30, 255],
  [220, 40, 40, 255],
];
/** Assets in maintenance are greyed: their alerts are suppressed. */
export const maintenanceColor: Rgba = [140, 140, 140, 200];

export interface MapPoints {
  readonly count: number;
  readonly ids: readonly string[];
  readonly codes: readonly string[];
  readonly names: readonly string[];
  readonly kinds: Uint8Array;
  /** lng, lat interleaved; doubles, so a symbol sits where PostGIS has it at any zoom. */
  readonly positions: Float64Array;
  readonly colors: Uint8Array;
  readonly alertLevels: Uint8Array;
  readonly radii: Float32Array;
  /** Indexes of unacknowledged critical assets: the only symbols that pulse. */
  readonly pulsing: Uint32Array;
  /** Indexes of assets with any open alert, drawn above the density grid at low zoom. */
  readonly alerted: Uint32Array;
}

export interface MapPipes {
  readonly count: number;
  readonly ids: readonly string[];
  readonly codes: readonly string[];
  readonly diametersMm: Int32Array;
  readonly startIndices: Uint32Array;
  readonly coordinates: Float64Array;
  readonly colors: Uint8Array;
  readonly widths: Float32Array;
}

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

const pipeColor: Rgba = [70, 110, 170, 200];

function colorOf(level: number, inMaintenance: boolean): Rgba {
  if (inMaintenance) return maintenanceColor;
  return alertLevelColors[level] ?? alertLevelColors[0] ?? [0, 0, 0, 255];
}

/** Pipe width in metres on the ground, so trunk mains read as trunk mains at every zoom. */
export function pipeWidthMetres(diameterMm: number): number {
  return Math.max(1.5, diameterMm / 60);
}

/**
 * Turns the server's columns into the typed arrays deck.gl draws from directly: one pass per column, no object
 * per asset, so 100,000 assets cost a few milliseconds and no garbage while panning.
 */
export function toMapData(layers: MapLayers): MapData {
  const p = layers.points;
  const kinds = Uint8Array.from(p.kinds);
  const colors = new Uint8Array(p.count * 4);
  const radii = new Float32Array(p.count);
  const pulsing: number[] = [];
  const alerted: number[] = [];
  for (let i = 0; i < p.count; i += 1) {
    const level = p.alertLevels[i] ?? 0;
    colors.set(colorOf(level, p.inMaintenance[i] === 1), i * 4);
    radii[i] = kindRadius[pointAssetKinds[kinds[i] ?? 0] ?? 'junction'];
    if (level > 0) alerted.push(i);
    if (level === 4 && p.unacknowledged[i] === 1) pulsing.push(i);
  }

  const q = layers.pipes;
  const pipeColors = new Uint8Array(q.count * 4);
  const widths = new Float32Array(q.count);
  for (let i = 0; i < q.count; i += 1) {
    const level = q.alertLevels[i] ?? 0;
    pipeColors.set(
      level > 0 || q.inMaintenance[i] === 1 ? colorOf(level, q.inMaintenance[i] === 1) : pipeColor,
      i * 4,
    );
    widths[i] = pipeWidthMetres(q.diametersMm[i] ?? 100);
  }
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
      colors,
      alertLevels: Uint8Array.from(p.alertLevels),
      radii,
      pulsing: Uint32Array.from(pulsing),
      alerted: Uint32Array.from(alerted),
    },
    pipes: {
      count: q.count,
      ids: q.ids,
      codes: q.codes,
      diametersMm: Int32Array.from(q.diametersMm),
      startIndices,
      coordinates: Float64Array.from(q.coordinates),
      colors: pipeColors,
      widths,
    },
    bbox: layers.bbox,
    pointIndexById: new Map(p.ids.map((id, i) => [id, i])),
    pipeIndexById: new Map(q.ids.map((id, i) => [id, i])),
  };
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
