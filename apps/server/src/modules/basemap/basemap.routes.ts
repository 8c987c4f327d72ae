import { tileParamsSchema } from '@tidewatch/shared';
import { z } from 'zod';
import { notFound } from '../../http/app-error.ts';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { NaturalEarthTiles } from './natural-earth.ts';
import { StreetBasemap } from './street-basemap.ts';

const styleSchema = z
  .record(z.string(), z.unknown())
  .meta({ id: 'BasemapStyle', description: 'A MapLibre style (version 8)' });
const tileSchema = z
  .string()
  .meta({ id: 'BasemapTile', description: 'A tile as the archive stores it', format: 'binary' });
const MVT = 'application/vnd.mapbox-vector-tile';
/** Basemap tiles change with a release at most: browsers keep them a day. */
const PUBLIC_TILE_CACHE = 'public, max-age=86400';

/**
 * The offline street basemap: a PMTiles archive given in MAP_TILES_FILE and a style for it. Public, like any
 * tile server's: streets are not tenant data, and MapLibre fetches tiles without the console's token. Without
 * MAP_TILES_FILE both answer 404 and the console keeps its Natural Earth basemap, whose tiles are cut here too.
 */
export function basemapRoutes({ config }: RouteDeps): AnyRoute[] {
  const naturalEarth = new NaturalEarthTiles();
  const basemap = config.MAP_TILES_FILE ? new StreetBasemap(config.MAP_TILES_FILE) : null;
  const configured = (): StreetBasemap => {
    if (!basemap) throw notFound('Street basemap (MAP_TILES_FILE)');
    return basemap;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/basemap/style.json',
      summary: 'The MapLibre style of the offline street basemap (404 without MAP_TILES_FILE)',
      tag: 'spatial',
      access: 'public',
      response: styleSchema,
      handler: async (_input, _ctx, res) => {
        const origin = `${res.req.protocol}://${res.req.get('host') ?? 'localhost'}`;
        return configured().style(origin);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/basemap/tiles/:z/:x/:y.pbf',
      summary: 'A tile of the offline street basemap, as stored in MAP_TILES_FILE; 204 where it has none',
      tag: 'spatial',
      access: 'public',
      params: tileParamsSchema,
      response: tileSchema,
      contentType: MVT,
      handler: async ({ params, headers }) => {
        const tile = await configured().tile(
          params.z,
          params.x,
          params.y,
          /\bgzip\b/.test(headers['accept-encoding'] ?? ''),
        );
        const extra: Record<string, string> = { 'cache-control': PUBLIC_TILE_CACHE, vary: 'Accept-Encoding' };
        if (tile.gzipped) extra['content-encoding'] = 'gzip';
        return new RawBody<string>(tile.body, tile.contentType, extra, tile.status);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/basemap/natural-earth/:z/:x/:y.pbf',
      summary:
        "A tile of the fallback basemap: land and country borders from Natural Earth (1:50m), layers 'land' and 'borders', to zoom 8; 204 at sea and deeper",
      tag: 'spatial',
      access: 'public',
      params: tileParamsSchema,
      response: tileSchema,
      contentType: MVT,
      handler: async ({ params }) => {
        const tile = await naturalEarth.tile(params.z, params.x, params.y);
        const cache = { 'cache-control': PUBLIC_TILE_CACHE };
        return tile
          ? new RawBody<string>(tile.body, MVT, cache, undefined, tile.gzip)
          : new RawBody<string>(Buffer.alloc(0), MVT, cache, 204);
      },
    }),
  ];
}
