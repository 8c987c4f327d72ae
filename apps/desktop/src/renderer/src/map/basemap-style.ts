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

/**
 * The tile server's style where one is configured and reachable, else the offline basemap: a control room that
 * loses its tile server (or whose desktop app may not reach it) still sees its network on land and borders.
 */
export async function basemapStyle(styleUrl: string | null): Promise<StyleSpecification | string> {
  if (!styleUrl) return offlineBasemapStyle();
  try {
    const response = await fetch(styleUrl, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${String(response.status)}`);
    return (await response.json()) as StyleSpecification;
  } catch (error) {
    console.warn(`The map style ${styleUrl} could not be loaded; using the offline basemap.`, error);
    return offlineBasemapStyle();
  }
}
