import * as maplibregl from 'maplibre-gl';
import { apiBytes } from '../api/api-client.ts';
import type { TileId } from './first-view.ts';

const TILE_URL = /^tidewatch:\/\/tiles\/(\d+)\/(\d+)\/(\d+)\?network=(\d+)/;
/** A tile fetched ahead that MapLibre never asks for (the camera moved first) is let go after this long. */
const PREFETCH_KEPT_MS = 30_000;

/** Tiles asked for before the map could ask, by `z/x/y/network version`: each is handed over once. */
const early = new Map<string, Promise<ArrayBuffer>>();

function tilePath({ z, x, y }: TileId): string {
  return `/map/tiles/${String(z)}/${String(x)}/${String(y)}.mvt`;
}

/**
 * Fetches the first view's tiles while the map is still being set up (its style parsed, its worker started,
 * its first frames drawn): the server cuts them meanwhile, and MapLibre's own requests find them on the way.
 */
export function prefetchNetworkTiles(tiles: readonly TileId[], network: number): void {
  for (const tile of tiles) {
    const key = `${String(tile.z)}/${String(tile.x)}/${String(tile.y)}/${String(network)}`;
    if (early.has(key)) continue;
    const fetching = apiBytes(tilePath(tile));
    // A failure is MapLibre's to see, when it asks: the tile is then fetched again.
    fetching.catch(() => undefined);
    early.set(key, fetching);
    window.setTimeout(() => {
      if (early.get(key) === fetching) early.delete(key);
    }, PREFETCH_KEPT_MS);
  }
}

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
    const [, z = '', x = '', y = '', network = ''] = match;
    const tile = { z: Number(z), x: Number(x), y: Number(y) };
    const key = `${z}/${x}/${y}/${network}`;
    const fetched = early.get(key);
    if (fetched) {
      early.delete(key);
      try {
        return { data: await fetched };
      } catch {
        // Fetched again below, as if never asked for.
      }
    }
    return { data: await apiBytes(tilePath(tile), { signal: abort.signal }) };
  });
}
