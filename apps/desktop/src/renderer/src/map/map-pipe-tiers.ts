import type { MapPaint } from './map-paint.ts';
import { oncePer, perPaint } from './derived-cache.ts';
import type { MapData } from './map-data.ts';

/** Pipes the map draws at once at the most; beyond it, smaller pipes give way until zoomed in. */
export const PIPE_BUDGET = 10_000;

/**
 * The smallest pipes that may give way at a zoom: zoomed out, everything below trunk mains (450 mm); closer,
 * below distribution mains (200 mm); up close, none.
 */
function tiersAt(zoom: number): readonly number[] {
  if (zoom < 12) return [0, 200, 450];
  if (zoom < 13.5) return [0, 200];
  return [0];
}

/**
 * The pipes to draw at a zoom: every pipe while they fit the budget (a town's network always does), else the
 * first tier of larger pipes that fits, else the largest. A pipe with an open alert is drawn in every tier.
 */
export function pipesForView(paint: MapPaint, zoom: number, budget = PIPE_BUDGET): PipeTier {
  const tiers = tiersAt(zoom);
  // Counted first, so only the tier drawn is built.
  const chosen = tiers.find((minDiameter) => countAt(paint, minDiameter) <= budget);
  return pipesAt(paint, chosen ?? tiers[tiers.length - 1] ?? 0);
}

/** Whether pipe `i` is drawn at a tier: large enough, or in alarm. */
const drawnAt = (paint: MapPaint, i: number, minDiameter: number): boolean =>
  (paint.data.pipes.diametersMm[i] ?? 0) >= minDiameter || (paint.pipeLevels[i] ?? 0) > 0;

function countAt(paint: MapPaint, minDiameter: number): number {
  let count = 0;
  for (let i = 0; i < paint.data.pipes.count; i += 1) if (drawnAt(paint, i, minDiameter)) count += 1;
  return count;
}

/**
 * The pipes to draw while the camera moves: as at rest when they fit `budget`, else only the pipes in alarm
 * until the camera stops (redrawing tens of thousands of pipes each frame makes the drag itself stutter).
 */
export function pipesWhileMoving(paint: MapPaint, zoom: number, budget: number): PipeTier {
  const atRest = pipesForView(paint, zoom);
  return atRest.count <= budget ? atRest : pipesAt(paint, Number.POSITIVE_INFINITY);
}

/**
 * The pipes drawn at one tier, as binary paths, with the index of each in the whole network, and the same paths
 * cut into straight segments (what deck.gl's LineLayer draws: far cheaper than joined paths where the GPU is
 * emulated, and no different on screen for pipes a few pixels wide).
 */
export interface PipeTier {
  readonly count: number;
  readonly indexes: Uint32Array;
  readonly startIndices: Uint32Array;
  readonly coordinates: Float64Array;
  readonly segments: PipeSegments;
}

export interface PipeSegments {
  readonly count: number;
  /** The pipe (in the whole network) each segment belongs to. */
  readonly pipes: Uint32Array;
  readonly sources: Float64Array;
  readonly targets: Float64Array;
}

/** Every pipe: the same whatever the alerts, so cut into segments once per network. */
const wholeNetwork = oncePer((data: MapData): PipeTier => {
  const all = Uint32Array.from({ length: data.pipes.count }, (_, i) => i);
  return {
    count: data.pipes.count,
    indexes: all,
    startIndices: data.pipes.startIndices,
    coordinates: data.pipes.coordinates,
    segments: segmentsOf(all, data.pipes.startIndices, data.pipes.coordinates),
  };
});

/** The pipes at a tier, made once per tier and alert state. */
export const pipesAt = perPaint(selectPipes);

function selectPipes(paint: MapPaint, minDiameter: number): PipeTier {
  const { pipes } = paint.data;
  const indexes: number[] = [];
  let vertices = 0;
  for (let i = 0; i < pipes.count; i += 1) {
    if (!drawnAt(paint, i, minDiameter)) continue;
    indexes.push(i);
    vertices += (pipes.startIndices[i + 1] ?? 0) - (pipes.startIndices[i] ?? 0);
  }
  if (indexes.length === pipes.count) return wholeNetwork(paint.data);
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
  const chosen = Uint32Array.from(indexes);
  return {
    count: indexes.length,
    indexes: chosen,
    startIndices,
    coordinates,
    segments: segmentsOf(chosen, startIndices, coordinates),
  };
}

/** Each path's consecutive vertices as segments; `startIndices` and `coordinates` are the tier's own. */
function segmentsOf(pipes: Uint32Array, startIndices: Uint32Array, coordinates: Float64Array): PipeSegments {
  const paths = pipes.length;
  const count = (startIndices[paths] ?? 0) - paths;
  const segmentPipes = new Uint32Array(count);
  const sources = new Float64Array(count * 2);
  const targets = new Float64Array(count * 2);
  let k = 0;
  for (let p = 0; p < paths; p += 1) {
    for (let v = startIndices[p] ?? 0; v + 1 < (startIndices[p + 1] ?? 0); v += 1) {
      segmentPipes[k] = pipes[p] ?? 0;
      sources[k * 2] = coordinates[v * 2] ?? 0;
      sources[k * 2 + 1] = coordinates[v * 2 + 1] ?? 0;
      targets[k * 2] = coordinates[v * 2 + 2] ?? 0;
      targets[k * 2 + 1] = coordinates[v * 2 + 3] ?? 0;
      k += 1;
    }
  }
  return { count, pipes: segmentPipes, sources, targets };
}
