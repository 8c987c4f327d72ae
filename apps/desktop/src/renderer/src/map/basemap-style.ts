import type { MapStyle } from '@tidewatch/shared';
import type { StyleSpecification } from 'maplibre-gl';

/** The deepest zoom of the server's Natural Earth tiles (NATURAL_EARTH_MAX_ZOOM); deeper views scale them. */
const NATURAL_EARTH_MAX_ZOOM = 8;

/**
 * A basemap that needs no internet: land and country borders from Natural Earth, as vector tiles of the
 * console's own server (a city's view is a few tiles of a few hundred bytes; the whole world as GeoJSON was
 * 4.7 MB to build and index in the page before the network's first tile could be read).
 */
export function offlineBasemapStyle(serverUrl: string): StyleSpecification {
  const origin = serverUrl.replace(/\/+$/, '');
  return {
    version: 8,
    sources: {
      naturalEarth: {
        type: 'vector',
        tiles: [`${origin}/api/v1/basemap/natural-earth/{z}/{x}/{y}.pbf`],
        minzoom: 0,
        maxzoom: NATURAL_EARTH_MAX_ZOOM,
      },
    },
    layers: [
      { id: 'water', type: 'background', paint: { 'background-color': '#c9dbe6' } },
      {
        id: 'land',
        type: 'fill',
        source: 'naturalEarth',
        'source-layer': 'land',
        paint: { 'fill-color': '#eeece6' },
      },
      {
        id: 'borders',
        type: 'line',
        source: 'naturalEarth',
        'source-layer': 'borders',
        paint: { 'line-color': '#9c948a', 'line-width': 1 },
      },
    ],
  };
}

/** A basemap's style and what it credits. */
export interface Basemap {
  readonly style: StyleSpecification;
  readonly kind: 'tile-server' | 'offline-streets' | 'natural-earth';
}

async function fetchStyle(url: string): Promise<StyleSpecification> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`HTTP ${String(response.status)}`);
  return (await response.json()) as StyleSpecification;
}

/**
 * The basemap in order of preference: the tile server's style (MAP_STYLE_URL) where one is configured and
 * reachable, else this server's offline street basemap (MAP_TILES_FILE), else Natural Earth: a control room
 * that loses its tile server (or whose desktop app may not reach it) still sees its network on land and borders.
 */
export async function basemapStyle(style: MapStyle, serverUrl: string): Promise<Basemap> {
  const candidates: [Basemap['kind'], string][] = [];
  if (style.styleUrl) candidates.push(['tile-server', style.styleUrl]);
  if (style.offlineStylePath)
    candidates.push(['offline-streets', new URL(style.offlineStylePath, serverUrl).toString()]);
  for (const [kind, url] of candidates) {
    try {
      return { style: await fetchStyle(url), kind };
    } catch (error) {
      console.warn(`The map style ${url} could not be loaded; trying the next basemap.`, error);
    }
  }
  return { style: offlineBasemapStyle(serverUrl), kind: 'natural-earth' };
}
