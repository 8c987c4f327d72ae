import { withTenant } from '@tidewatch/db';
import {
  addIncidentNoteSchema,
  closeIncidentSchema,
  createIncidentSchema,
  idParamsSchema,
  incidentDetailSchema,
  incidentQuerySchema,
  incidentSchema,
  pageOf,
  updateIncidentSchema,
  type Incident,
} from '@tidewatch/shared';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import {
  addIncidentNote,
  closeIncident,
  createIncident,
  incidentDetail,
  listIncidents,
  updateIncident,
} from './incident-service.ts';

/** Incidents group alerts, carry notes and an assignee, and close with a maintenance log. */
export function incidentRoutes({ db, bus }: RouteDeps): AnyRoute[] {
  // After the commit: the realtime layer shows the incident as it now is.
  const changed = (ctx: TenantContext, incident: Incident): Incident => {
    bus.emit('incident.changed', { tenantId: ctx.tenantId, incident });
    return incident;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/incidents',
      summary: 'List incidents, newest first',
      tag: 'incidents',
      access: 'tenant',
      permission: 'incident:read',
      query: incidentQuerySchema,
      response: pageOf(incidentSchema),
      handler: ({ query }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => listIncidents(tx, ctx, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/incidents/:id',
      summary: 'One incident with its notes and maintenance logs',
      tag: 'incidents',
      access: 'tenant',
      permission: 'incident:read',
      params: idParamsSchema,
      response: incidentDetailSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), (tx) => incidentDetail(tx, ctx, params.id)),
    }),
    defineRoute({
      method: 'post',
      path: '/incidents',
      summary: 'Open an incident, optionally from alerts',
      tag: 'incidents',
      access: 'tenant',
      permission: 'incident:create',
      body: createIncidentSchema,
      response: incidentSchema,
      status: 201,
      handler: async ({ body }, ctx) =>
        changed(ctx, await withTenant(db.prisma, dbContext(ctx), (tx) => createIncident(tx, ctx, body))),
    }),
    defineRoute({
      method: 'patch',
      path: '/incidents/:id',
      summary: 'Change an incident’s title, priority, status or assignee, or link more alerts',
      tag: 'incidents',
      access: 'tenant',
      permission: 'incident:note',
      params: idParamsSchema,
      body: updateIncidentSchema,
      response: incidentSchema,
      handler: async ({ params, body }, ctx) =>
        changed(
          ctx,
          await withTenant(db.prisma, dbContext(ctx), (tx) => updateIncident(tx, ctx, params.id, body)),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/incidents/:id/notes',
      summary: 'Add a note to an incident, with files uploaded to it beforehand',
      tag: 'incidents',
      access: 'tenant',
      permission: 'incident:note',
      idempotent: true,
      params: idParamsSchema,
      body: addIncidentNoteSchema,
      response: incidentSchema,
      status: 201,
      handler: async ({ params, body }, ctx) =>
        changed(
          ctx,
          await withTenant(db.prisma, dbContext(ctx), (tx) => addIncidentNote(tx, ctx, params.id, body)),
        ),
    }),
    defineRoute({
      method: 'post',
      path: '/incidents/:id/close',
      summary: 'Close an incident with the maintenance log of the work done',
      tag: 'incidents',
      access: 'tenant',
      permission: 'incident:close',
      params: idParamsSchema,
      body: closeIncidentSchema,
      response: incidentSchema,
      handler: async ({ params, body }, ctx) =>
        changed(
          ctx,
          await withTenant(db.prisma, dbContext(ctx), (tx) => closeIncident(tx, ctx, params.id, body)),
        ),
    }),
  ];
}
