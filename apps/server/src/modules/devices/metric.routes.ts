import { withTenant, type Metric as MetricRow } from '@tidewatch/db';
import { createMetricSchema, metricSchema, pageOf, pageQuerySchema, type Metric } from '@tidewatch/shared';
import { conflict } from '../../http/app-error.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isUniqueViolation } from '../database-errors.ts';

const toMetric = (row: MetricRow): Metric => ({
  id: row.id,
  key: row.key,
  name: row.name,
  unit: row.unit,
  kind: row.kind,
  validMin: row.validMin,
  validMax: row.validMax,
  decimals: row.decimals,
});

/** The tenant's metric catalogue: what a reading's key means, in which unit, within which range. */
export function metricRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'List metrics',
      tag: 'devices',
      access: 'tenant',
      permission: 'metric:read',
      query: pageQuerySchema,
      response: pageOf(metricSchema),
      handler: async ({ query }, ctx) => {
        const rows = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.metric.findMany({ orderBy: { id: 'asc' }, ...pageArgs(query) }),
        );
        return toPage(rows, query, toMetric);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/metrics',
      summary: 'Define a metric',
      tag: 'devices',
      access: 'tenant',
      permission: 'metric:write',
      body: createMetricSchema,
      response: metricSchema,
      status: 201,
      handler: ({ body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const created = await tx.metric
            .create({ data: { ...body, tenantId: ctx.tenantId } })
            .catch((error: unknown) => {
              throw isUniqueViolation(error) ? conflict(`A metric "${body.key}" exists`) : error;
            });
          await recordAudit(tx, ctx, {
            action: 'metric.create',
            resourceType: 'metric',
            resourceId: created.id,
            details: body,
          });
          return toMetric(created);
        }),
    }),
  ];
}
