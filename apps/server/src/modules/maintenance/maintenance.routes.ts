import { withTenant } from '@tidewatch/db';
import {
  createMaintenanceLogSchema,
  createMaintenancePlanSchema,
  idParamsSchema,
  maintenanceLogDetailSchema,
  maintenanceLogSchema,
  maintenancePlanListSchema,
  maintenancePlanQuerySchema,
  maintenancePlanSchema,
  pageOf,
  pageQuerySchema,
  timelineQuerySchema,
  timelineSchema,
  updateMaintenancePlanSchema,
} from '@tidewatch/shared';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { assetTimeline } from './asset-timeline.ts';
import {
  createMaintenanceLog,
  listMaintenanceLogs,
  maintenanceLogDetail,
} from './maintenance-log-service.ts';
import {
  createMaintenancePlan,
  listAssetPlans,
  listPlans,
  maintenancePlan,
  updateMaintenancePlan,
} from './maintenance-plan-service.ts';

/** Maintenance logs and plans of assets, and each asset's history in one timeline. */
export function maintenanceRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post',
      path: '/assets/:id/maintenance-logs',
      summary: 'Log work done on an asset (naming a plan completes it, or moves a recurring one on)',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'maintenance_log:write',
      params: idParamsSchema,
      body: createMaintenanceLogSchema,
      idempotent: true,
      response: maintenanceLogSchema,
      status: 201,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => createMaintenanceLog(tx, ctx, params.id, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/assets/:id/maintenance-logs',
      summary: 'Work logged on an asset, newest first',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      query: pageQuerySchema,
      response: pageOf(maintenanceLogSchema),
      handler: ({ params, query }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => listMaintenanceLogs(tx, ctx, params.id, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/maintenance-logs/:id',
      summary: 'One maintenance log with its photos and documents',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      response: maintenanceLogDetailSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => maintenanceLogDetail(tx, ctx, params.id)),
    }),
    defineRoute({
      method: 'get',
      path: '/assets/:id/timeline',
      summary:
        'The asset’s history, newest first: maintenance, alerts, calibrations, downtime, commands, firmware',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      query: timelineQuerySchema,
      response: timelineSchema,
      handler: ({ params, query }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => assetTimeline(tx, ctx, params.id, query)),
    }),
    defineRoute({
      method: 'post',
      path: '/assets/:id/maintenance-plans',
      summary: 'Plan maintenance of an asset: a due date, a reminder before it, optionally recurring',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'maintenance_log:write',
      params: idParamsSchema,
      body: createMaintenancePlanSchema,
      response: maintenancePlanSchema,
      status: 201,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => createMaintenancePlan(tx, ctx, params.id, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/assets/:id/maintenance-plans',
      summary: 'The asset’s maintenance plans, open ones first by due date',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      response: maintenancePlanListSchema,
      handler: async ({ params }, ctx) => ({
        items: await withTenant(db.prisma, dbContext(ctx), (tx) => listAssetPlans(tx, ctx, params.id)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/maintenance-plans',
      summary:
        'Open maintenance plans in the caller’s zones, soonest due first (`due=true`: reminder time come)',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'asset:read',
      query: maintenancePlanQuerySchema,
      response: maintenancePlanListSchema,
      handler: async ({ query }, ctx) => ({
        items: await withTenant(db.prisma, dbContext(ctx), (tx) => listPlans(tx, ctx, query)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/maintenance-plans/:id',
      summary: 'One maintenance plan',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'asset:read',
      params: idParamsSchema,
      response: maintenancePlanSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => maintenancePlan(tx, ctx, params.id)),
    }),
    defineRoute({
      method: 'patch',
      path: '/maintenance-plans/:id',
      summary: 'Change an open maintenance plan (a new due date is reminded of again)',
      tag: 'maintenance',
      access: 'tenant',
      permission: 'maintenance_log:write',
      params: idParamsSchema,
      body: updateMaintenancePlanSchema,
      response: maintenancePlanSchema,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => updateMaintenancePlan(tx, ctx, params.id, body)),
    }),
  ];
}
