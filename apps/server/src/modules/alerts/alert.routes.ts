import { withTenantClient } from '@tidewatch/db';
import {
  acknowledgeAlertSchema,
  alertChangesQuerySchema,
  alertChangesSchema,
  alertCommentSchema,
  alertDetailSchema,
  alertFloodSchema,
  alertKpiQuerySchema,
  alertKpisSchema,
  alertQuerySchema,
  alertSchema,
  bulkAcknowledgeResultSchema,
  bulkAcknowledgeSchema,
  idParamsSchema,
  optionalCommentSchema,
  pageOf,
  shelveAlertSchema,
  type Alert,
  type AlertChanges,
  type AlertKpis,
  type Page,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { invalid, notFound } from '../../http/app-error.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, RawBody, type AnyRoute } from '../../http/route.ts';
import { hotListKey, type HotLists } from '../../http/hot-list.ts';
import { readJson } from '../../http/json-page.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { alertChangesRead, alertKpisJson, emptyChanges } from '../alert-engine/alert-kpis.ts';
import { readFlood } from '../alert-engine/flood-monitor.ts';
import type { RouteDeps } from '../api-routes.ts';
import {
  acknowledgeAlert,
  acknowledgeAlerts,
  commentOnAlert,
  removeFromService,
  returnToService,
  shelveAlert,
  unshelveAlert,
} from './alert-actions.ts';
import { alertDetailRead, alertPageRead } from './alert.queries.ts';

const MAX_KPI_RANGE_MS = 90 * 86_400_000;

/** Alerts, newest first; zone-limited users see and act on their zones' alerts only. */
export function alertRoutes(deps: RouteDeps, hotLists: HotLists): AnyRoute[] {
  const { db, config } = deps;
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
      // Polled by every open console.
      direct: true,
      handler: ({ query }, ctx) =>
        hotLists.serve<Page<Alert>>(
          ctx,
          hotListKey('alerts', ctx, query),
          alertPageRead(query, zoneLimit(ctx)),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/alerts/flood',
      summary: 'Whether the tenant is in an alarm flood (more new alerts in the window than the threshold)',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:read',
      response: alertFloodSchema,
      handler: async (_input, ctx) => {
        const flood = await readFlood(db.pool, dbContext(ctx));
        return { ...flood, threshold: config.ALERT_FLOOD_THRESHOLD, windowS: config.ALERT_FLOOD_WINDOW_S };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/alerts/kpis',
      summary: 'Alarm-management KPIs: alerts per hour, time to acknowledge, standing alerts, most frequent',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:read',
      query: alertKpiQuerySchema,
      response: alertKpisSchema,
      handler: async ({ query }, ctx) => {
        const to = query.to ? new Date(query.to) : new Date();
        const from = query.from ? new Date(query.from) : new Date(to.getTime() - 86_400_000);
        if (from >= to) throw invalid('from', 'must be before to');
        if (to.getTime() - from.getTime() > MAX_KPI_RANGE_MS) throw invalid('from', 'at most 90 days');
        return new RawBody<AlertKpis>(
          await withTenantClient(db.pool, dbContext(ctx), (client) =>
            alertKpisJson(client, { from, to, staleAfterS: query.staleAfterS, zones: zoneLimit(ctx) }),
          ),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/alerts/changes',
      summary: 'Alerts changed after a sequence number (what a reconnecting client missed), in change order',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:read',
      query: alertChangesQuerySchema,
      response: alertChangesSchema,
      handler: async ({ query }, ctx) =>
        new RawBody<AlertChanges>(
          (await readJson(
            db.pool,
            dbContext(ctx),
            alertChangesRead(query.after, query.limit, zoneLimit(ctx)),
          )) ?? emptyChanges,
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/alerts/acknowledge',
      summary: 'Acknowledge several alerts with one comment; those that cannot be are listed with the reason',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:acknowledge',
      body: bulkAcknowledgeSchema,
      response: bulkAcknowledgeResultSchema,
      handler: ({ body }, ctx) => acknowledgeAlerts(deps, ctx, body.ids, body.comment),
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
        const json = await readJson(db.pool, dbContext(ctx), alertDetailRead(params.id, zoneLimit(ctx)));
        if (json === null) throw notFound('Alert');
        return new RawBody<z.infer<typeof alertDetailSchema>>(json);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/alerts/:id/acknowledge',
      summary: 'Acknowledge an alert (a returned one closes), optionally with a comment',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:acknowledge',
      params: idParamsSchema,
      body: acknowledgeAlertSchema,
      idempotent: true,
      response: alertSchema,
      handler: ({ params, body }, ctx) => acknowledgeAlert(deps, ctx, params.id, body.comment),
    }),
    defineRoute({
      method: 'post',
      path: '/alerts/:id/shelve',
      summary: 'Shelve an alert for a while, with a reason; it comes back by itself when the time is up',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:shelve',
      params: idParamsSchema,
      body: shelveAlertSchema,
      response: alertSchema,
      handler: ({ params, body }, ctx) => shelveAlert(deps, ctx, params.id, body.durationS, body.reason),
    }),
    defineRoute({
      method: 'post',
      path: '/alerts/:id/unshelve',
      summary: 'Unshelve an alert before its time is up',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:shelve',
      params: idParamsSchema,
      body: optionalCommentSchema,
      response: alertSchema,
      handler: ({ params, body }, ctx) => unshelveAlert(deps, ctx, params.id, body.comment),
    }),
    defineRoute({
      method: 'post',
      path: '/alerts/:id/out-of-service',
      summary: 'Take an alert out of service (it stays open and silent until returned to service)',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:out_of_service',
      params: idParamsSchema,
      body: alertCommentSchema,
      response: alertSchema,
      handler: ({ params, body }, ctx) => removeFromService(deps, ctx, params.id, body.comment),
    }),
    defineRoute({
      method: 'post',
      path: '/alerts/:id/return-to-service',
      summary: 'Return an out-of-service alert (annunciated again if its condition still holds)',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:out_of_service',
      params: idParamsSchema,
      body: optionalCommentSchema,
      response: alertSchema,
      handler: ({ params, body }, ctx) => returnToService(deps, ctx, params.id, body.comment),
    }),
    defineRoute({
      method: 'post',
      path: '/alerts/:id/comments',
      summary: 'Add a comment to an alert’s history',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:comment',
      params: idParamsSchema,
      body: alertCommentSchema,
      idempotent: true,
      response: alertSchema,
      status: 201,
      handler: ({ params, body }, ctx) => commentOnAlert(deps, ctx, params.id, body.comment),
    }),
  ];
}
