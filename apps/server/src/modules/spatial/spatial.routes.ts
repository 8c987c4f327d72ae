import { withTenantClient } from '@tidewatch/db';
import {
  areaSearchResultSchema,
  areaSearchSchema,
  downstreamTraceSchema,
  idParamsSchema,
  mapLayersSchema,
  mapOriginsSchema,
  mapStyleSchema,
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
import { traceDownstream } from './network-trace.query.ts';

/** What the map draws and the spatial questions operators ask of it, answered by PostGIS. */
export function spatialRoutes({ db, config }: RouteDeps): AnyRoute[] {
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
      handler: () => Promise.resolve({ styleUrl: config.MAP_STYLE_URL ?? null }),
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
  ];
}
