import { withTenantClient } from '@tidewatch/db';
import { assetForecastQuerySchema, assetForecastSchema, idParamsSchema } from '@tidewatch/shared';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { assetForecast } from './asset-forecast.ts';

/** Where a tank's level is heading. */
export function forecastRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/assets/:id/forecast',
      summary: 'Time to full and to empty of a tank, sump or reservoir, from the trend of its level',
      tag: 'assets',
      access: 'tenant',
      permission: 'telemetry:read',
      params: idParamsSchema,
      query: assetForecastQuerySchema,
      response: assetForecastSchema,
      handler: ({ params, query }, ctx) =>
        withTenantClient(db.pool, dbContext(ctx), (client) =>
          assetForecast(client, params.id, zoneLimit(ctx), query.windowS),
        ),
    }),
  ];
}
