import { withTenant } from '@tidewatch/db';
import {
  createZoneSchema,
  idParamsSchema,
  pageOf,
  updateZoneSchema,
  zoneQuerySchema,
  zoneSchema,
} from '@tidewatch/shared';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { createZone, listZones, readZone, removeZone, updateZone } from './zone-service.ts';

/** Zones (districts, DMAs) as polygons; zone-limited users see and change only theirs. */
export function zoneRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/zones',
      summary: 'List zones (live ones; archived=true lists the archived)',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:read',
      query: zoneQuerySchema,
      response: pageOf(zoneSchema),
      handler: ({ query }, ctx) => withTenant(db.prisma, dbContext(ctx), (tx) => listZones(tx, ctx, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/zones/:id',
      summary: 'One zone with its polygon (archived ones too)',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:read',
      params: idParamsSchema,
      response: zoneSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => readZone(tx, ctx, params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/zones',
      summary: 'Create a zone',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:write',
      body: createZoneSchema,
      response: zoneSchema,
      status: 201,
      handler: ({ body }, ctx) => withTenant(db.prisma, dbContext(ctx), (tx) => createZone(tx, ctx, body)),
    }),
    defineRoute({
      method: 'patch',
      path: '/zones/:id',
      summary: 'Rename or reshape a zone',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:write',
      params: idParamsSchema,
      body: updateZoneSchema,
      response: zoneSchema,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => updateZone(tx, ctx, params.id, body)),
    }),
    defineRoute({
      method: 'delete',
      path: '/zones/:id',
      summary:
        'Remove a zone: its assets stay, without a zone. A zone that alerts, incidents, rules or user limits ' +
        'name is archived rather than deleted (204 either way; the audit log says which)',
      tag: 'zones',
      access: 'tenant',
      permission: 'zone:write',
      params: idParamsSchema,
      response: null,
      handler: async ({ params }, ctx) => {
        await withTenant(db.prisma, dbContext(ctx), (tx) => removeZone(tx, ctx, params.id));
      },
    }),
  ];
}
