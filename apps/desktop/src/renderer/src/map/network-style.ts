import { DENSE_CLUSTER_BELOW_ZOOM, MAX_TILE_ZOOM, type MapVersion } from '@tidewatch/shared';
import type {
  DataDrivenPropertyValueSpecification,
  ExpressionSpecification,
  LayerSpecification,
  SourceSpecification,
} from 'maplibre-gl';

/** The network's vector tiles, cut by the server per tenant and zones; features are keyed by asset id. */
export const NETWORK_SOURCE = 'network';
/** The operator's outline or circle while drawing it. */
export const DRAWING_SOURCE = 'drawing';
/** Labels only where a person can read them. */
export const LABEL_ZOOM = 14.5;
/** Flow arrows on pipes from this zoom. */
const ARROW_ZOOM = 14;

/** Layers a click or hover picks from, top first. */
export const PICKABLE_LAYERS = ['points', 'pipes', 'clusters'] as const;
/** Drawn only at rest: a translucent fill over the whole view costs every pixel of every frame while moving. */
export const AT_REST_LAYERS = ['zones-fill', 'cluster-counts'] as const;

/** Symbol colours by alert level (none, low, medium, high, critical), matching the alert console's priorities. */
export const alertLevelColors = [
  'rgba(46, 125, 160, 0.86)',
  'rgb(96, 160, 96)',
  'rgb(230, 190, 40)',
  'rgb(240, 130, 30)',
  'rgb(220, 40, 40)',
] as const;
/** Assets in maintenance are greyed: their alerts are suppressed. */
const maintenanceColor = 'rgba(140, 140, 140, 0.8)';
const pipeColor = 'rgba(70, 110, 170, 0.8)';
const highlightColor = 'rgb(255, 0, 200)';

/** The tile URL MapLibre asks for; the console's protocol handler fetches it with the operator's token. */
export function networkTilesUrl(version: MapVersion | null): string {
  return `tidewatch://tiles/{z}/{x}/{y}?network=${String(version?.network ?? 0)}`;
}

const alarmLevel: ExpressionSpecification = ['number', ['feature-state', 'alarm'], 0];

/** The colour of an asset from its live alarm state (feature state, set from the alert feed). */
function stateColor(none: string): ExpressionSpecification {
  return [
    'case',
    ['boolean', ['get', 'inMaintenance'], false],
    maintenanceColor,
    [
      'match',
      alarmLevel,
      1,
      alertLevelColors[1],
      2,
      alertLevelColors[2],
      3,
      alertLevelColors[3],
      4,
      alertLevelColors[4],
      none,
    ],
  ];
}

const pointRadius: ExpressionSpecification = [
  'match',
  ['get', 'kind'],
  'plant',
  9,
  'reservoir',
  8,
  ['tank', 'sump'],
  6,
  ['pump', 'borewell'],
  5,
  'junction',
  3,
  4,
];

/** Pipe width in pixels by tier (0 below 200 mm, 1 below 450 mm, 2 trunk mains), growing with the zoom. */
function tierWidth(small: number, distribution: number, trunk: number): ExpressionSpecification {
  return ['match', ['get', 'tier'], 2, trunk, 1, distribution, small];
}

const hovered: ExpressionSpecification = ['boolean', ['feature-state', 'hover'], false];
/** An asset's health score once the map colours by health; -1 (no ring) before. */
const healthScore: ExpressionSpecification = ['number', ['feature-state', 'health'], -1];
export const HEALTH_LAYER = 'health';

const idIn = (ids: readonly string[]): ExpressionSpecification => [
  'in',
  ['get', 'id'],
  ['literal', [...ids]],
];

/** What the map highlights besides alarms: the selection, an area's result, a downstream trace. */
export interface Highlights {
  /** Point assets ringed (an area's result, a trace's fed assets, the selected one). */
  readonly points: readonly string[];
  /** Pipes drawn as traced, and the one the trace starts from. */
  readonly tracedPipes: readonly string[];
  readonly originPipes: readonly string[];
  /** An isolation plan: the valves to close, and the pipes shut in or cut off by them. */
  readonly closeValves: readonly string[];
  readonly isolatedPipes: readonly string[];
  /** Unacknowledged critical assets, which pulse. */
  readonly pulsing: readonly string[];
}

/** The filters of the highlight layers, set again whenever the highlights change. */
export function highlightFilters(
  h: Highlights,
): Record<
  'trace' | 'trace-origin' | 'isolated-pipes' | 'close-valves' | 'pulse' | 'highlighted',
  ExpressionSpecification
> {
  return {
    trace: idIn(h.tracedPipes),
    'isolated-pipes': idIn(h.isolatedPipes),
    'close-valves': idIn(h.closeValves),
    'trace-origin': idIn(h.originPipes),
    pulse: idIn(h.pulsing),
    highlighted: idIn(h.points),
  };
}

export const emptyDrawing: SourceSpecification = {
  type: 'geojson',
  data: { type: 'FeatureCollection', features: [] },
};

export function networkSource(version: MapVersion | null): SourceSpecification {
  return {
    type: 'vector',
    tiles: [networkTilesUrl(version)],
    minzoom: 0,
    maxzoom: MAX_TILE_ZOOM,
    promoteId: 'id',
  };
}

/**
 * The network and the operator's tools as MapLibre layers, bottom to top, added to the basemap's own map: drawn
 * once, in one canvas.
 */
export function networkLayers(h: Highlights): LayerSpecification[] {
  const filters = highlightFilters(h);
  const s = { source: NETWORK_SOURCE };
  return [
    {
      id: 'zones-fill',
      type: 'fill',
      ...s,
      'source-layer': 'zones',
      paint: { 'fill-color': 'rgba(60, 120, 200, 0.07)' },
    },
    {
      id: 'zones-line',
      type: 'line',
      ...s,
      'source-layer': 'zones',
      paint: { 'line-color': 'rgba(60, 90, 160, 0.63)', 'line-width': 1.5 },
    },
    {
      id: 'pipes',
      type: 'line',
      ...s,
      'source-layer': 'pipes',
      layout: { 'line-cap': 'round' },
      paint: {
        'line-color': ['case', hovered, 'rgb(255, 255, 255)', stateColor(pipeColor)],
        'line-width': [
          'interpolate',
          ['linear'],
          ['zoom'],
          8,
          tierWidth(0.5, 0.8, 1.5),
          14,
          tierWidth(1.5, 2.5, 4),
          18,
          tierWidth(3, 6, 10),
        ] as DataDrivenPropertyValueSpecification<number>,
      },
    },
    {
      id: 'pipe-arrows',
      type: 'symbol',
      ...s,
      'source-layer': 'pipes',
      minzoom: ARROW_ZOOM,
      filter: ['==', ['get', 'directed'], true],
      layout: {
        'symbol-placement': 'line',
        'symbol-spacing': 140,
        'icon-image': 'flow-arrow',
        'icon-rotation-alignment': 'map',
        'icon-allow-overlap': true,
      },
    },
    {
      id: 'trace',
      type: 'line',
      ...s,
      'source-layer': 'pipes',
      filter: filters.trace,
      paint: { 'line-color': 'rgba(255, 0, 200, 0.9)', 'line-width': 6 },
    },
    {
      id: 'isolated-pipes',
      type: 'line',
      ...s,
      'source-layer': 'pipes',
      filter: filters['isolated-pipes'],
      paint: { 'line-color': 'rgba(255, 120, 0, 0.9)', 'line-width': 6, 'line-dasharray': [2, 1] },
    },
    {
      id: 'trace-origin',
      type: 'line',
      ...s,
      'source-layer': 'pipes',
      filter: filters['trace-origin'],
      paint: { 'line-color': 'rgb(255, 230, 0)', 'line-width': 10 },
    },
    {
      id: 'clusters',
      type: 'circle',
      ...s,
      'source-layer': 'clusters',
      maxzoom: DENSE_CLUSTER_BELOW_ZOOM,
      paint: {
        'circle-radius': ['min', 22, ['+', 7, ['*', 4, ['log10', ['get', 'count']]]]],
        'circle-color': [
          'match',
          ['get', 'alarm'],
          1,
          alertLevelColors[1],
          2,
          alertLevelColors[2],
          3,
          alertLevelColors[3],
          4,
          alertLevelColors[4],
          alertLevelColors[0],
        ],
        'circle-stroke-color': 'rgba(255, 255, 255, 0.8)',
        'circle-stroke-width': 1,
      },
    },
    {
      id: 'cluster-counts',
      type: 'symbol',
      ...s,
      'source-layer': 'clusters',
      maxzoom: DENSE_CLUSTER_BELOW_ZOOM,
      layout: {
        'icon-image': ['concat', 'count:', ['to-string', ['get', 'count']]],
        'icon-allow-overlap': true,
      },
    },
    {
      id: 'points',
      type: 'circle',
      ...s,
      'source-layer': 'points',
      paint: {
        'circle-radius': pointRadius,
        'circle-color': stateColor(alertLevelColors[0]),
        'circle-stroke-color': 'rgba(255, 255, 255, 0.86)',
        'circle-stroke-width': ['case', hovered, 3, 1],
      },
    },
    {
      // Health colouring, shown on the operator's toggle: a ring by score (feature state `health`, 0–100).
      id: HEALTH_LAYER,
      type: 'circle',
      ...s,
      'source-layer': 'points',
      layout: { visibility: 'none' },
      paint: {
        'circle-radius': ['+', pointRadius, 4] as DataDrivenPropertyValueSpecification<number>,
        'circle-opacity': 0,
        'circle-stroke-width': ['case', ['<', healthScore, 0], 0, 3],
        'circle-stroke-color': [
          'step',
          healthScore,
          'rgb(200, 40, 40)',
          50,
          'rgb(230, 160, 20)',
          80,
          'rgb(40, 160, 70)',
        ],
      },
    },
    {
      id: 'pulse',
      type: 'circle',
      ...s,
      'source-layer': 'points',
      filter: filters.pulse,
      paint: {
        'circle-radius': 8,
        'circle-color': 'rgba(0, 0, 0, 0)',
        'circle-stroke-color': 'rgb(220, 40, 40)',
        'circle-stroke-width': 3,
        'circle-stroke-opacity': 1,
      },
    },
    {
      id: 'highlighted',
      type: 'circle',
      ...s,
      'source-layer': 'points',
      filter: filters.highlighted,
      paint: {
        'circle-radius': 10,
        'circle-color': 'rgba(0, 0, 0, 0)',
        'circle-stroke-color': highlightColor,
        'circle-stroke-width': 2.5,
      },
    },
    {
      id: 'close-valves',
      type: 'circle',
      ...s,
      'source-layer': 'points',
      filter: filters['close-valves'],
      paint: {
        'circle-radius': 12,
        'circle-color': 'rgba(220, 0, 0, 0.25)',
        'circle-stroke-color': 'rgb(220, 0, 0)',
        'circle-stroke-width': 3,
      },
    },
    {
      id: 'labels',
      type: 'symbol',
      ...s,
      'source-layer': 'points',
      minzoom: LABEL_ZOOM,
      layout: {
        'icon-image': ['concat', 'label:', ['get', 'code']],
        'icon-anchor': 'bottom',
        'icon-offset': [0, -8],
      },
    },
    {
      id: 'drawing-fill',
      type: 'fill',
      source: DRAWING_SOURCE,
      filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': 'rgba(255, 0, 200, 0.12)' },
    },
    {
      id: 'drawing-line',
      type: 'line',
      source: DRAWING_SOURCE,
      filter: ['!=', ['geometry-type'], 'Point'],
      paint: { 'line-color': highlightColor, 'line-width': 2 },
    },
    {
      id: 'drawing-corners',
      type: 'circle',
      source: DRAWING_SOURCE,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 4, 'circle-color': highlightColor },
    },
  ];
}

/**
 * Whether a tile feature carries a tag: tiles hold tags as `,tag,tag,`, so `key` matches `,key,` or any
 * `,key:value,`, and `key:value` that tag only, as the API's `?tag=` does.
 */
function hasTag(tag: string): ExpressionSpecification {
  const tags: ExpressionSpecification = ['coalesce', ['get', 'tags'], ''];
  return tag.includes(':')
    ? ['in', `,${tag},`, tags]
    : ['any', ['in', `,${tag},`, tags], ['in', `,${tag}:`, tags]];
}

/** Layers a tag filter narrows, with the filter each has without one. */
const TAG_FILTERED: Record<string, ExpressionSpecification | null> = {
  points: null,
  labels: null,
  pipes: null,
  'pipe-arrows': ['==', ['get', 'directed'], true],
};
/** Clusters count every asset: they are hidden while a tag filter is set. */
export const CLUSTER_LAYERS = ['clusters', 'cluster-counts'] as const;

/** The filters of the asset layers for a tag ('' for none), set again whenever the tag changes. */
export function tagFilters(tag: string): [layer: string, filter: ExpressionSpecification | null][] {
  return Object.entries(TAG_FILTERED).map(([layer, base]) => {
    if (tag === '') return [layer, base];
    return [layer, base ? ['all', base, hasTag(tag)] : hasTag(tag)];
  });
}
