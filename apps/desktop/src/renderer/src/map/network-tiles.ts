import * as maplibregl from 'maplibre-gl';
import { apiBytes } from '../api/api-client.ts';

const TILE_URL = /^tidewatch:\/\/tiles\/(\d+)\/(\d+)\/(\d+)/;

/**
 * MapLibre fetches the network's tiles through the console's API client: with the operator's token (refreshed
 * as every other request is), the tenant header of a super admin, and the browser's HTTP cache answering a
 * revalidated tile from the server's ETag. Registered once for every map of the page.
 */
let registered = false;
export function registerNetworkTiles(): void {
  if (registered) return;
  registered = true;
  maplibregl.addProtocol('tidewatch', async (params, abort) => {
    const match = TILE_URL.exec(params.url);
    if (!match) throw new Error(`not a network tile: ${params.url}`);
    const [, z = '', x = '', y = ''] = match;
    const data = await apiBytes(`/map/tiles/${z}/${x}/${y}.mvt`, { signal: abort.signal });
    return { data };
  });
}
