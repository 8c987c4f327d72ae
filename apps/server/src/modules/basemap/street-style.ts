/**
 * A MapLibre style for a street basemap in the OpenMapTiles schema (what OpenStreetMap extracts in PMTiles
 * usually are): water, land use, parks, roads by class, buildings and borders, quiet enough that the network
 * drawn over it stands out. No labels: glyphs would need a font server, and the point is to need nothing.
 * Layers the archive does not have (its metadata's vector_layers) are left out.
 */
export function streetStyle(options: {
  readonly tilesUrl: string;
  readonly minZoom: number;
  readonly maxZoom: number;
  readonly bounds: readonly [number, number, number, number];
  readonly center: readonly [number, number, number];
  readonly attribution: string;
  readonly sourceLayers: ReadonlySet<string> | null;
}): Record<string, unknown> {
  const has = (layer: string) => options.sourceLayers === null || options.sourceLayers.has(layer);
  const road = (id: string, classes: string[], color: string, width: number) => ({
    id: `road-${id}`,
    type: 'line',
    source: 'streets',
    'source-layer': 'transportation',
    filter: ['in', ['get', 'class'], ['literal', classes]],
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: {
      'line-color': color,
      'line-width': ['interpolate', ['exponential', 1.5], ['zoom'], 8, width / 4, 18, width * 6],
    },
  });
  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': '#eeece6' } },
    has('landcover') && {
      id: 'landcover',
      type: 'fill',
      source: 'streets',
      'source-layer': 'landcover',
      paint: { 'fill-color': '#dfe8d3', 'fill-opacity': 0.6 },
    },
    has('landuse') && {
      id: 'landuse',
      type: 'fill',
      source: 'streets',
      'source-layer': 'landuse',
      paint: { 'fill-color': '#e6e2da', 'fill-opacity': 0.6 },
    },
    has('park') && {
      id: 'park',
      type: 'fill',
      source: 'streets',
      'source-layer': 'park',
      paint: { 'fill-color': '#d6e5c7' },
    },
    has('water') && {
      id: 'water',
      type: 'fill',
      source: 'streets',
      'source-layer': 'water',
      paint: { 'fill-color': '#c9dbe6' },
    },
    has('waterway') && {
      id: 'waterway',
      type: 'line',
      source: 'streets',
      'source-layer': 'waterway',
      paint: { 'line-color': '#b3cde0', 'line-width': 1 },
    },
    has('building') && {
      id: 'building',
      type: 'fill',
      source: 'streets',
      'source-layer': 'building',
      minzoom: 14,
      paint: { 'fill-color': '#e0dcd4', 'fill-outline-color': '#d2ccc2' },
    },
    ...(has('transportation')
      ? [
          road('minor', ['minor', 'service', 'track', 'path'], '#ffffff', 0.8),
          road('secondary', ['secondary', 'tertiary'], '#fbf4e2', 1.2),
          road('primary', ['primary', 'trunk'], '#f8e8c0', 1.6),
          road('motorway', ['motorway'], '#f3d9a4', 2),
        ]
      : []),
    has('boundary') && {
      id: 'boundary',
      type: 'line',
      source: 'streets',
      'source-layer': 'boundary',
      filter: ['<=', ['get', 'admin_level'], 4],
      paint: { 'line-color': '#9c948a', 'line-width': 1, 'line-dasharray': [3, 2] },
    },
  ].filter(Boolean);
  return {
    version: 8,
    name: 'Tidewatch streets (offline)',
    center: [options.center[0], options.center[1]],
    zoom: options.center[2],
    sources: {
      streets: {
        type: 'vector',
        tiles: [options.tilesUrl],
        minzoom: options.minZoom,
        maxzoom: options.maxZoom,
        bounds: options.bounds,
        attribution: options.attribution,
      },
    },
    layers,
  };
}
