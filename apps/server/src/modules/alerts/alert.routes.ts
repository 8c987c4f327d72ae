import { withTenantClient } from '@tidewatch/db';
import {
  alertDetailSchema,
  alertQuerySchema,
  alertSchema,
  idParamsSchema,
  pageOf,
  type Alert,
  type Page,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { notFound } from '../../http/app-error.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { alertDetailJson, alertPageJson } from './alert.queries.ts';

/** Alerts, newest first; zone-limited users see their zones' alerts only. The console polls these: plain SQL. */
export function alertRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/alerts',
      summary: 'List alerts, newest first, filtered by open/closed, state, priority, zone or asset',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:read',
      query: alertQuerySchema,
      response: pageOf(alertSchema),
      handler: async ({ query }, ctx) =>
        new RawBody<Page<Alert>>(
          await withTenantClient(db.pool, dbContext(ctx), (client) =>
            alertPageJson(client, query, zoneLimit(ctx)),
          ),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/alerts/:id',
      summary: 'One alert with its full transition history',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:read',
      params: idParamsSchema,
      response: alertDetailSchema,
      handler: async ({ params }, ctx) => {
        const json = await withTenantClient(db.pool, dbContext(ctx), (client) =>
          alertDetailJson(client, params.id, zoneLimit(ctx)),
        );
        if (json === null) throw notFound('Alert');
        return new RawBody<z.infer<typeof alertDetailSchema>>(json);
      },
    }),
  ];
}
