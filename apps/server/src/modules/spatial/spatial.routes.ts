import { withTenantClient } from '@tidewatch/db';
import {
  areaSearchResultSchema,
  areaSearchSchema,
  commonUpstreamQuerySchema,
  commonUpstreamSchema,
  downstreamTraceSchema,
  idParamsSchema,
  isolationPlanSchema,
  mapExtentSchema,
  mapLayersSchema,
  mapOriginsSchema,
  mapStyleSchema,
  mapVersionSchema,
  tileParamsSchema,
  vectorTileSchema,
  type MapLayers,
} from '@tidewatch/shared';
import { notFound } from '../../http/app-error.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { assetsInArea } from './area-search.query.ts';
import { mapLayersJson } from './map-layers.query.ts';
import { mapOrigins } from './map-origins.ts';
import { MapTiles, type MapTileAnswer } from './map-tiles.ts';
import { readMapVersion } from './map-version.query.ts';
import { TileCache } from './tile-cache.ts';
import { commonUpstream } from './common-upstream.query.ts';
import { isolationPlan } from './isolation-plan.query.ts';
import { traceDownstream } from './network-trace.query.ts';

/** What the map draws and the spatial questions operators ask of it, answered by PostGIS. */
export function spatialRoutes({ db, config }: RouteDeps): AnyRoute[] {
  const tiles = new MapTiles(
    db.pool,
    new TileCache({
      maxEntries: config.MAP_TILE_CACHE_ENTRIES,
      maxBytes: config.MAP_TILE_CACHE_MB * 2 ** 20,
    }),
  );
  return [
    defineRoute({
      method: 'get',
      path: '/map/style',
      summary:
        'The basemap style the console uses: a tile server where one is configured, else none (offline)',
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      response: mapStyleSchema,
      handler: () =>
        Promise.resolve({
          styleUrl: config.MAP_STYLE_URL ?? null,
          offlineStylePath: config.MAP_TILES_FILE ? BASEMAP_STYLE_PATH : null,
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/map/origins',
      summary:
        "The origins the map loads from, for a console's content security policy (public: known before sign-in)",
      tag: 'spatial',
      access: 'public',
      response: mapOriginsSchema,
      handler: () => Promise.resolve({ origins: mapOrigins(config) }),
    }),
    defineRoute({
      method: 'get',
      path: '/map/layers',
      summary: "The tenant's point assets and pipelines as columns, each with its worst open alert",
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      response: mapLayersSchema,
      handler: async (_input, ctx) =>
        new RawBody<MapLayers>(
          await withTenantClient(db.pool, dbContext(ctx), (client) => mapLayersJson(client, zoneLimit(ctx))),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/map/version',
      summary:
        'The network and alarm versions map tiles are cut at: a console refetches its tiles when they move',
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      response: mapVersionSchema,
      handler: (_input, ctx) => withTenantClient(db.pool, dbContext(ctx), readMapVersion),
    }),
    defineRoute({
      method: 'get',
      path: '/map/extent',
      summary: "Where the caller's network lies (its assets' extent), for the console's first camera",
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      response: mapExtentSchema,
      handler: (_input, ctx) => tiles.extent(ctx),
    }),
    defineRoute({
      method: 'get',
      path: '/map/tiles/:z/:x/:y.mvt',
      summary:
        "A vector tile of the tenant's zones, pipes and point assets (clustered below zoom 12), within the " +
        "caller's zones; 204 when empty, 304 for If-None-Match with the current ETag",
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      params: tileParamsSchema,
      response: vectorTileSchema,
      contentType: MVT_MEDIA_TYPE,
      handler: async ({ params, headers }, ctx) =>
        tileBody(
          await tiles.tile(ctx, params, {
            ifNoneMatch: headers['if-none-match'],
            acceptsGzip: /\bgzip\b/.test(headers['accept-encoding'] ?? ''),
          }),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/spatial/area-search',
      summary: 'Assets inside a drawn polygon or within a radius of a point',
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      largeBody: true,
      body: areaSearchSchema,
      response: areaSearchResultSchema,
      handler: ({ body }, ctx) =>
        withTenantClient(db.pool, dbContext(ctx), (client) => assetsInArea(client, body, zoneLimit(ctx))),
    }),
    defineRoute({
      method: 'get',
      path: '/spatial/pipes/:id/downstream',
      summary: 'Every pipe and asset downstream of a pipe, in the direction of flow (for isolating a burst)',
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      response: downstreamTraceSchema,
      handler: async ({ params }, ctx) => {
        const trace = await withTenantClient(db.pool, dbContext(ctx), (client) =>
          traceDownstream(client, params.id, zoneLimit(ctx)),
        );
        if (!trace) throw notFound('Pipeline');
        return trace;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/spatial/pipes/:id/isolation',
      summary:
        'The valves to close to isolate a pipe and the assets, pipes and service connections that lose supply ' +
        'then, alternative feeds through loops counted',
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      response: isolationPlanSchema,
      handler: async ({ params }, ctx) => {
        const plan = await withTenantClient(db.pool, dbContext(ctx), (client) =>
          isolationPlan(client, params.id, zoneLimit(ctx)),
        );
        if (!plan) throw notFound('Pipeline');
        return plan;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/spatial/common-upstream',
      summary:
        'The pipe nearest the given assets that feeds them all: a probable common cause of their alarms',
      tag: 'spatial',
      access: 'tenant',
      permission: 'asset:read',
      body: commonUpstreamQuerySchema,
      response: commonUpstreamSchema,
      handler: ({ body }, ctx) =>
        withTenantClient(db.pool, dbContext(ctx), (client) =>
          commonUpstream(client, body.assetIds, zoneLimit(ctx)),
        ),
    }),
  ];
}

const MVT_MEDIA_TYPE = 'application/vnd.mapbox-vector-tile';
export const BASEMAP_STYLE_PATH = '/api/v1/basemap/style.json';

/** Tiles are private to the caller and always revalidated: the ETag makes that a 304 when nothing changed. */
function tileBody(answer: MapTileAnswer): RawBody<string> {
  const headers: Record<string, string> = {
    etag: answer.etag,
    'cache-control': 'private, no-cache',
    vary: 'Accept-Encoding, Authorization, X-Tenant-Id',
  };
  if (answer.gzipped) headers['content-encoding'] = 'gzip';
  return new RawBody<string>(answer.body, MVT_MEDIA_TYPE, headers, answer.status);
}
