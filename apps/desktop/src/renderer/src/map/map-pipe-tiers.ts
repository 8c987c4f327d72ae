import type { MapPaint } from './map-paint.ts';

/**
 * The smallest pipe drawn at a zoom: trunk mains when the whole network is in view, distribution mains closer,
 * every service pipe where they can be told apart. A pipe with an open alert is drawn at every zoom.
 */
export function minDiameterAt(zoom: number): number {
  if (zoom < 11) return 400;
  if (zoom < 12.5) return 200;
  return 0;
}

/** The pipes drawn at one tier, as binary paths, with the index of each in the whole network. */
export interface PipeTier {
  readonly count: number;
  readonly indexes: Uint32Array;
  readonly startIndices: Uint32Array;
  readonly coordinates: Float64Array;
}

const tiersByPaint = new WeakMap<MapPaint, Map<number, PipeTier>>();

export function pipesAt(paint: MapPaint, minDiameter: number): PipeTier {
  let tiers = tiersByPaint.get(paint);
  if (!tiers) {
    tiers = new Map();
    tiersByPaint.set(paint, tiers);
  }
  const cached = tiers.get(minDiameter);
  if (cached) return cached;
  const made = selectPipes(paint, minDiameter);
  tiers.set(minDiameter, made);
  return made;
}

function selectPipes(paint: MapPaint, minDiameter: number): PipeTier {
  const { pipes } = paint.data;
  const alerted = (i: number) => (paint.pipeLevels[i] ?? 0) > 0;
  const indexes: number[] = [];
  let vertices = 0;
  for (let i = 0; i < pipes.count; i += 1) {
    if ((pipes.diametersMm[i] ?? 0) < minDiameter && !alerted(i)) continue;
    indexes.push(i);
    vertices += (pipes.startIndices[i + 1] ?? 0) - (pipes.startIndices[i] ?? 0);
  }
  if (indexes.length === pipes.count) {
    return {
      count: pipes.count,
      indexes: Uint32Array.from(indexes),
      startIndices: pipes.startIndices,
      coordinates: pipes.coordinates,
    };
  }
  const startIndices = new Uint32Array(indexes.length + 1);
  const coordinates = new Float64Array(vertices * 2);
  let at = 0;
  indexes.forEach((pipe, k) => {
    startIndices[k] = at;
    const from = pipes.startIndices[pipe] ?? 0;
    const to = pipes.startIndices[pipe + 1] ?? 0;
    coordinates.set(pipes.coordinates.subarray(from * 2, to * 2), at * 2);
    at += to - from;
  });
  startIndices[indexes.length] = at;
  return { count: indexes.length, indexes: Uint32Array.from(indexes), startIndices, coordinates };
}
