import { withTenantClient } from '@tidewatch/db';
import { assetHealthListSchema, assetHealthSchema, idParamsSchema } from '@tidewatch/shared';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { assetHealth, assetHealthList } from './asset-health.ts';

/** How well each asset is: its health score and reasons, a pump's run record. */
export function assetHealthRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/assets/:id/health',
      summary:
        "An asset's health score (0–100) with its reasons, and a pump's runtime, starts and availability",
      tag: 'assets',
      access: 'tenant',
      permission: 'telemetry:read',
      params: idParamsSchema,
      response: assetHealthSchema,
      handler: ({ params }, ctx) =>
        withTenantClient(db.pool, dbContext(ctx), (client) => assetHealth(client, params.id, zoneLimit(ctx))),
    }),
    defineRoute({
      method: 'get',
      path: '/asset-health',
      summary: "Every asset's health score, for colouring the map",
      tag: 'assets',
      access: 'tenant',
      permission: 'telemetry:read',
      response: assetHealthListSchema,
      handler: (_input, ctx) =>
        withTenantClient(db.pool, dbContext(ctx), (client) => assetHealthList(client, zoneLimit(ctx))),
    }),
  ];
}
