import { GeoJsonLayer, LineLayer, PathLayer, ScatterplotLayer, TextLayer } from 'deck.gl';
import type { Layer, PickingInfo } from 'deck.gl';
import type { AreaSearchResult, DownstreamTrace, Zone } from '@tidewatch/shared';
import { clustersAt, type MapClusters } from './map-clusters.ts';
import { oncePer } from './derived-cache.ts';
import { pipePath, type MapData } from './map-data.ts';
import type { MapPaint } from './map-paint.ts';
import { pipesForView, pipesWhileMoving, type PipeTier } from './map-pipe-tiers.ts';
import type { LngLat, MapMode } from './map-store.ts';

/** Below this zoom, assets are drawn as clusters per screen cell; assets with alerts always stay visible. */
export const DETAIL_ZOOM = 12;
/** Zoomed out, pipes stay pickable while there are at most this many drawn. */
const PICKABLE_PIPES = 2_000;
/** Labels only where a person can read them, and only for what is in view. */
export const LABEL_ZOOM = 14.5;

export interface LayerInput {
  /** The network and its colours from the live alert feed. */
  readonly paint: MapPaint;
  readonly zones: readonly Zone[];
  readonly zoom: number;
  /** 0..1, the phase of the pulse of unacknowledged critical assets. */
  readonly pulse: number;
  readonly labelIndexes: readonly number[];
  readonly selectedAssetId: string | null;
  readonly area: AreaSearchResult | null;
  readonly trace: DownstreamTrace | null;
  readonly mode: MapMode;
  /** The camera is moving: draw less (fewer pipes, no count labels) and the full detail once it stops. */
  readonly moving: boolean;
}

/** Pipes drawn while the camera moves, at the most. */
const MOVING_PIPE_BUDGET = 3_000;

/** What a pick on the map refers to. */
export type MapPick = { readonly kind: 'point' | 'pipe'; readonly index: number };

const pick = (kind: MapPick['kind'], index: number): MapPick => ({ kind, index });

function pointAt(data: MapData, index: number): [number, number] {
  const { positions } = data.points;
  return [positions[index * 2] ?? 0, positions[index * 2 + 1] ?? 0];
}

function indexesOf(ids: readonly string[], byId: ReadonlyMap<string, number>): number[] {
  return ids.flatMap((id) => {
    const index = byId.get(id);
    return index === undefined ? [] : [index];
  });
}

/** The RGBA colour at `index` of interleaved colours. */
function rgbaAt(colors: Uint8Array, index: number): [number, number, number, number] {
  const at = index * 4;
  return [colors[at] ?? 0, colors[at + 1] ?? 0, colors[at + 2] ?? 0, colors[at + 3] ?? 255];
}

interface Derived {
  readonly pointAttributes: object;
  readonly alerted: number[];
  readonly pulsing: number[];
}

/** Circles as deck.gl binary attributes: positions (lng, lat), RGBA colours and pixel radii. */
function circles(count: number, positions: Float64Array, colors: Uint8Array, radii: Float32Array): object {
  return {
    length: count,
    attributes: {
      getPosition: { value: positions, size: 2 },
      getFillColor: { value: colors, size: 4, normalized: true },
      getRadius: { value: radii, size: 1 },
    },
  };
}

const derived = oncePer((paint: MapPaint): Derived => ({
  pointAttributes: circles(
    paint.data.points.count,
    paint.data.points.positions,
    paint.pointColors,
    paint.data.points.radii,
  ),
  alerted: Array.from(paint.alerted),
  pulsing: Array.from(paint.pulsing),
}));

/** A tier's pipes as deck.gl binary line segments; `pipes` maps a picked segment back to its pipe. */
const pipeAttributes = oncePer((tier: PipeTier) => ({
  length: tier.segments.count,
  pipes: tier.segments.pipes,
  attributes: {
    getSourcePosition: { value: tier.segments.sources, size: 2 },
    getTargetPosition: { value: tier.segments.targets, size: 2 },
  },
}));

const clusterAttributes = oncePer((clusters: MapClusters) => ({
  symbols: circles(clusters.count, clusters.positions, clusters.colors, clusters.radii),
  labels: Array.from(clusters.labelled),
}));

const zoneFeatures = oncePer((zones: readonly Zone[]) =>
  zones.map((zone) => ({ type: 'Feature' as const, geometry: zone.geometry, properties: zone })),
);

/**
 * The deck.gl layers of the tenant map, bottom to top. The large layers read the typed arrays as binary
 * attributes and keep the same `data` object between renders, so panning and the pulse never re-upload them.
 */
export function buildLayers(input: LayerInput): Layer[] {
  const { paint, zoom } = input;
  const { data } = paint;
  const { points } = data;
  const detailed = zoom >= DETAIL_ZOOM;
  const cache = derived(paint);
  // The tier (and so the data object) changes with the zoom band and the alert state; both re-read colours.
  const tier = input.moving ? pipesWhileMoving(paint, zoom, MOVING_PIPE_BUDGET) : pipesForView(paint, zoom);
  const layers: Layer[] = [
    new GeoJsonLayer<Zone>({
      id: 'zones',
      data: zoneFeatures(input.zones),
      stroked: true,
      filled: true,
      getFillColor: [60, 120, 200, 18],
      getLineColor: [60, 90, 160, 160],
      lineWidthUnits: 'pixels',
      getLineWidth: 1.5,
      pickable: false,
    }),
    new LineLayer({
      id: 'pipes',
      data: pipeAttributes(tier) as never,
      getColor: (_: unknown, { index }: { index: number }) =>
        rgbaAt(paint.pipeColors, tier.segments.pipes[index] ?? 0),
      getWidth: (_: unknown, { index }: { index: number }) =>
        data.pipes.widths[tier.segments.pipes[index] ?? 0] ?? 2,
      widthUnits: 'meters',
      widthMinPixels: 1,
      widthMaxPixels: 12,
      // Picking draws the pickable layers again and waits for the GPU: zoomed out over a large network, pipes
      // are not what one clicks.
      pickable: detailed || tier.count <= PICKABLE_PIPES,
      autoHighlight: detailed || tier.count <= PICKABLE_PIPES,
      highlightColor: [255, 255, 255, 160],
    }),
  ];

  if (input.trace) {
    const traced = indexesOf(
      input.trace.pipes.filter((p) => p.depth > 0).map((p) => p.id),
      data.pipeIndexById,
    );
    const burst = indexesOf([input.trace.pipeId], data.pipeIndexById);
    layers.push(
      new PathLayer<number>({
        id: 'trace',
        data: traced,
        getPath: (index) => pipePath(data, index),
        getColor: [255, 0, 200, 230],
        getWidth: 6,
        widthUnits: 'pixels',
      }),
      // The pipe the trace starts from (the burst) stands out from what it feeds.
      new PathLayer<number>({
        id: 'trace-origin',
        data: burst,
        getPath: (index) => pipePath(data, index),
        getColor: [255, 230, 0, 255],
        getWidth: 10,
        widthUnits: 'pixels',
      }),
    );
  }

  if (detailed) {
    layers.push(
      new ScatterplotLayer({
        id: 'assets',
        data: cache.pointAttributes as never,
        radiusUnits: 'pixels',
        stroked: true,
        getLineColor: [255, 255, 255, 220],
        lineWidthUnits: 'pixels',
        getLineWidth: 1,
        pickable: true,
        autoHighlight: true,
      }),
    );
  } else {
    const grid = clustersAt(paint, zoom);
    const clusters = clusterAttributes(grid);
    layers.push(
      new ScatterplotLayer({
        id: 'asset-clusters',
        data: clusters.symbols as never,
        radiusUnits: 'pixels',
        stroked: true,
        getLineColor: [255, 255, 255, 200],
        lineWidthUnits: 'pixels',
        getLineWidth: 1,
        pickable: false,
      }),
      new TextLayer<number>({
        id: 'asset-cluster-counts',
        visible: !input.moving,
        data: clusters.labels,
        getPosition: (c) => [grid.positions[c * 2] ?? 0, grid.positions[c * 2 + 1] ?? 0],
        getText: (c) => String(grid.sizes[c] ?? ''),
        getSize: 11,
        getColor: [255, 255, 255, 255],
        characterSet: '0123456789',
        fontWeight: 600,
        pickable: false,
      }),
      new ScatterplotLayer<number>({
        id: 'alerted-assets',
        data: cache.alerted,
        getPosition: (index) => pointAt(data, index),
        getFillColor: (index) => rgbaAt(paint.pointColors, index),
        getRadius: 6,
        radiusUnits: 'pixels',
        stroked: true,
        getLineColor: [255, 255, 255, 220],
        lineWidthUnits: 'pixels',
        getLineWidth: 1,
        pickable: true,
      }),
    );
  }

  // Unacknowledged critical assets pulse: a ring that grows and fades, redrawn alone each frame.
  layers.push(
    new ScatterplotLayer<number>({
      id: 'critical-pulse',
      data: cache.pulsing,
      getPosition: (index) => pointAt(data, index),
      radiusUnits: 'pixels',
      getRadius: 8,
      radiusScale: 1 + input.pulse * 1.6,
      filled: false,
      stroked: true,
      lineWidthUnits: 'pixels',
      getLineWidth: 3,
      getLineColor: [220, 40, 40, Math.round(255 * (1 - input.pulse))],
      updateTriggers: { getLineColor: input.pulse },
    }),
  );

  const highlighted = [
    ...(input.area
      ? indexesOf(
          input.area.items.map((item) => item.id),
          data.pointIndexById,
        )
      : []),
    ...(input.trace
      ? indexesOf(
          input.trace.assets.map((asset) => asset.id),
          data.pointIndexById,
        )
      : []),
    ...(input.selectedAssetId ? indexesOf([input.selectedAssetId], data.pointIndexById) : []),
  ];
  if (highlighted.length > 0) {
    layers.push(
      new ScatterplotLayer<number>({
        id: 'highlighted-assets',
        data: highlighted,
        getPosition: (index) => pointAt(data, index),
        radiusUnits: 'pixels',
        getRadius: 10,
        filled: false,
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 2.5,
        getLineColor: [255, 0, 200, 255],
      }),
    );
  }

  if (zoom >= LABEL_ZOOM && input.labelIndexes.length > 0) {
    layers.push(
      new TextLayer<number>({
        id: 'labels',
        data: [...input.labelIndexes],
        getPosition: (index) => pointAt(data, index),
        getText: (index) => points.codes[index] ?? '',
        getSize: 11,
        getPixelOffset: [0, -14],
        getColor: [30, 40, 60, 255],
        outlineWidth: 2,
        outlineColor: [255, 255, 255, 255],
        fontSettings: { sdf: true },
      }),
    );
  }

  layers.push(...drawingLayers(input.mode));
  return layers;
}

function drawingLayers(mode: MapMode): Layer[] {
  if (mode.kind === 'drawing' && mode.vertices.length > 0) {
    const first = mode.vertices[0];
    const outline: LngLat[] =
      first && mode.vertices.length > 2 ? [...mode.vertices, first] : [...mode.vertices];
    return [
      new PathLayer<LngLat[]>({
        id: 'drawing-outline',
        data: [outline],
        getPath: (path) => path.map(([lng, lat]): [number, number] => [lng, lat]),
        getColor: [255, 0, 200, 255],
        getWidth: 2,
        widthUnits: 'pixels',
      }),
      new ScatterplotLayer<LngLat>({
        id: 'drawing-corners',
        data: [...mode.vertices],
        getPosition: ([lng, lat]) => [lng, lat],
        getRadius: 4,
        radiusUnits: 'pixels',
        getFillColor: [255, 0, 200, 255],
      }),
    ];
  }
  if (mode.kind === 'radius' && mode.center) {
    return [
      new ScatterplotLayer<LngLat>({
        id: 'drawing-circle',
        data: [mode.center],
        getPosition: ([lng, lat]) => [lng, lat],
        getRadius: mode.radiusM,
        radiusUnits: 'meters',
        getFillColor: [255, 0, 200, 30],
        getLineColor: [255, 0, 200, 255],
        stroked: true,
        lineWidthUnits: 'pixels',
        getLineWidth: 2,
      }),
    ];
  }
  return [];
}

/** The asset a picked object stands for: layer ids say which column set the index belongs to. */
export function pickedAsset(
  data: MapData,
  info: Pick<PickingInfo, 'layer' | 'index' | 'object'>,
): MapPick | null {
  const index = info.index;
  const object: unknown = info.object;
  const layerId = info.layer?.id;
  if (layerId === 'assets' && index >= 0) return pick('point', index);
  if (layerId === 'alerted-assets' && typeof object === 'number') return pick('point', object);
  if (layerId === 'pipes' && index >= 0) {
    // The layer draws one tier of the network as segments: its data says which pipe each segment is.
    const pipes = (info.layer?.props.data as { pipes?: Uint32Array } | undefined)?.pipes;
    const pipe = pipes ? pipes[index] : index;
    if (pipe !== undefined && pipe < data.pipes.count) return pick('pipe', pipe);
  }
  return null;
}
