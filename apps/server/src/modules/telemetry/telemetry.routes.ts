import { withTenantClient } from '@tidewatch/db';
import { telemetryQuerySchema, telemetryResponseSchema, type TelemetryResponse } from '@tidewatch/shared';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAuditOnClient } from '../audit/record-audit.ts';
import { queryTrend, trendCsv } from './trend-query.ts';

/** Trend data for charts and export. */
export function telemetryRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/telemetry',
      summary:
        'Readings of up to 20 series over a range, downsampled to maxPoints (mean, min, max per bucket); CSV with format=csv',
      tag: 'telemetry',
      access: 'tenant',
      permission: 'telemetry:read',
      query: telemetryQuerySchema,
      response: telemetryResponseSchema,
      handler: async ({ query }, ctx) => {
        const trend = await withTenantClient(db.pool, dbContext(ctx), async (client) => {
          const read = await queryTrend(client, query, zoneLimit(ctx));
          // A chart is a read; a CSV is readings leaving the system, and is on record.
          if (query.format === 'csv') {
            await recordAuditOnClient(client, ctx, {
              action: 'telemetry.export',
              resourceType: 'series',
              details: {
                series: read.series.map((s) => s.seriesId),
                from: read.from,
                to: read.to,
                resolution: read.series[0]?.resolution ?? null,
              },
            });
          }
          return read;
        });
        if (query.format === 'csv') {
          return new RawBody<TelemetryResponse>(trendCsv(trend), 'text/csv', {
            'Content-Disposition': 'attachment; filename="telemetry.csv"',
          });
        }
        return trend;
      },
    }),
  ];
}
