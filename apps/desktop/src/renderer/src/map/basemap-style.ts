import type { MapStyle } from '@tidewatch/shared';
import type { StyleSpecification } from 'maplibre-gl';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/**
 * A basemap that needs no network: land and country borders from Natural Earth (the world-atlas package,
 * bundled with the console). Loaded on demand, so the alert console does not pay for it.
 */
export async function offlineBasemapStyle(): Promise<StyleSpecification> {
  const atlas = (await import('world-atlas/countries-50m.json')).default as unknown as Topology<{
    countries: GeometryCollection;
  }>;
  const countries = atlas.objects.countries;
  return {
    version: 8,
    sources: {
      land: { type: 'geojson', data: feature(atlas, countries) },
      borders: { type: 'geojson', data: mesh(atlas, countries, (a, b) => a !== b) },
    },
    layers: [
      { id: 'water', type: 'background', paint: { 'background-color': '#c9dbe6' } },
      { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': '#eeece6' } },
      { id: 'borders', type: 'line', source: 'borders', paint: { 'line-color': '#9c948a', 'line-width': 1 } },
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
  return { style: await offlineBasemapStyle(), kind: 'natural-earth' };
}
