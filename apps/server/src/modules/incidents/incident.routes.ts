import { withTenant, type Prisma, type TenantTransaction } from '@tidewatch/db';
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
  type Alert,
  type Incident,
} from '@tidewatch/shared';
import { can } from '@tidewatch/shared';
import { conflict, forbidden, invalid, notFound } from '../../http/app-error.ts';
import { definedOnly } from '../../http/defined.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { inZoneLimit, zoneFilter } from '../../http/zone-scope.ts';
import { alertJson } from '../alerts/alert.queries.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { requireInTenant } from '../tenant-references.ts';

const incidentInclude = { alerts: { select: { alertId: true } } } as const;
type IncidentRow = Prisma.IncidentGetPayload<{ include: typeof incidentInclude }>;

const toIncident = (row: IncidentRow): Incident => ({
  id: row.id,
  number: row.number,
  title: row.title,
  description: row.description,
  status: row.status,
  priority: row.priority,
  zoneId: row.zoneId,
  assetId: row.assetId,
  assigneeId: row.assigneeId,
  openedBy: row.openedBy,
  openedAt: row.openedAt.toISOString(),
  closedAt: row.closedAt?.toISOString() ?? null,
  alertIds: row.alerts.map((a) => a.alertId),
});

async function findIncident(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<IncidentRow> {
  const row = await tx.incident.findUnique({ where: { id }, include: incidentInclude });
  if (!row || !inZoneLimit(ctx, row.zoneId)) throw notFound('Incident');
  return row;
}

async function linkAlerts(
  tx: TenantTransaction,
  ctx: TenantContext,
  incidentId: string,
  alertIds: readonly string[],
): Promise<void> {
  await requireInTenant(tx, 'alerts', 'alertIds', alertIds);
  await tx.incidentAlert.createMany({
    data: alertIds.map((alertId) => ({ tenantId: ctx.tenantId, incidentId, alertId })),
    skipDuplicates: true,
  });
}

async function linkedAlerts(tx: TenantTransaction, incidentId: string): Promise<Alert[]> {
  const rows = await tx.$queryRawUnsafe<{ alert: string }[]>(
    `SELECT (${alertJson})::text AS alert
       FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id JOIN alert_rules r ON r.id = a.rule_id
      WHERE ia.incident_id = $1::uuid
      ORDER BY a.raised_at DESC, a.id DESC`,
    incidentId,
  );
  return rows.map((row) => JSON.parse(row.alert) as Alert);
}

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
      handler: async ({ query }, ctx) => {
        const rows = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.incident.findMany({
            where: { ...zoneFilter(ctx), ...(query.status ? { status: query.status } : {}) },
            include: incidentInclude,
            orderBy: [{ openedAt: 'desc' }, { id: 'desc' }],
            ...pageArgs(query),
          }),
        );
        return toPage(rows, query, toIncident);
      },
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
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const row = await findIncident(tx, ctx, params.id);
          const notes = await tx.incidentNote.findMany({
            where: { incidentId: params.id },
            orderBy: { createdAt: 'asc' },
          });
          const logs = await tx.maintenanceLog.findMany({
            where: { incidentId: params.id },
            orderBy: { startedAt: 'asc' },
          });
          const alerts = await linkedAlerts(tx, params.id);
          return {
            ...toIncident(row),
            notes: notes.map((n) => ({
              id: n.id,
              authorId: n.authorId,
              body: n.body,
              createdAt: n.createdAt.toISOString(),
            })),
            maintenanceLogs: logs.map((l) => ({
              id: l.id,
              assetId: l.assetId,
              performedBy: l.performedBy,
              workDone: l.workDone,
              partsUsed: l.partsUsed,
              startedAt: l.startedAt.toISOString(),
              finishedAt: l.finishedAt?.toISOString() ?? null,
            })),
            alerts,
          };
        }),
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
      handler: async ({ body }, ctx) => {
        const incident = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await requireInTenant(tx, 'assets', 'assetId', [body.assetId]);
          await requireInTenant(tx, 'zones', 'zoneId', [body.zoneId]);
          await requireInTenant(tx, 'alerts', 'alertIds', body.alertIds);
          // Opened from alerts: where it happened is where the first of them is, unless given.
          const first = body.alertIds[0]
            ? await tx.alert.findUnique({
                where: { id: body.alertIds[0] },
                select: { assetId: true, zoneId: true },
              })
            : null;
          // Numbers are per tenant; the unique constraint settles a race between two openings.
          const last = await tx.incident.aggregate({ _max: { number: true } });
          const created = await tx.incident.create({
            data: {
              tenantId: ctx.tenantId,
              number: (last._max.number ?? 0) + 1,
              title: body.title,
              description: body.description,
              priority: body.priority,
              assetId: body.assetId ?? first?.assetId ?? null,
              zoneId: body.zoneId ?? first?.zoneId ?? null,
              openedBy: ctx.principal.userId,
            },
          });
          await linkAlerts(tx, ctx, created.id, body.alertIds);
          await recordAudit(tx, ctx, {
            action: 'incident.open',
            resourceType: 'incident',
            resourceId: created.id,
            details: { number: created.number, alertIds: body.alertIds },
          });
          return toIncident(await findIncident(tx, ctx, created.id));
        });
        return changed(ctx, incident);
      },
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
      handler: async ({ params, body }, ctx) => {
        const incident = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const current = await findIncident(tx, ctx, params.id);
          if (current.status === 'closed') throw conflict('The incident is closed');
          if (body.assigneeId !== undefined && !can(ctx.principal.role, 'incident:assign')) {
            throw forbidden('Your role may not assign incidents');
          }
          if (body.assigneeId) {
            const assignee = await tx.user.count({
              where: { id: body.assigneeId, tenantId: ctx.tenantId, disabledAt: null },
            });
            if (!assignee) throw invalid('assigneeId', 'No such active user in this tenant');
          }
          const { addAlertIds, ...fields } = body;
          await tx.incident.update({
            where: { id: params.id },
            data: {
              ...definedOnly(fields),
              ...(body.status === 'resolved' && current.resolvedAt === null
                ? { resolvedAt: new Date() }
                : {}),
            },
          });
          if (addAlertIds) await linkAlerts(tx, ctx, params.id, addAlertIds);
          await recordAudit(tx, ctx, {
            action: 'incident.update',
            resourceType: 'incident',
            resourceId: params.id,
            details: body,
          });
          return toIncident(await findIncident(tx, ctx, params.id));
        });
        return changed(ctx, incident);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/incidents/:id/notes',
      summary: 'Add a note to an incident',
      tag: 'incidents',
      access: 'tenant',
      permission: 'incident:note',
      params: idParamsSchema,
      body: addIncidentNoteSchema,
      response: incidentSchema,
      status: 201,
      handler: async ({ params, body }, ctx) => {
        const incident = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const current = await findIncident(tx, ctx, params.id);
          if (current.status === 'closed') throw conflict('The incident is closed');
          const note = await tx.incidentNote.create({
            data: {
              tenantId: ctx.tenantId,
              incidentId: params.id,
              authorId: ctx.principal.userId,
              body: body.body,
            },
          });
          await recordAudit(tx, ctx, {
            action: 'incident.note',
            resourceType: 'incident',
            resourceId: params.id,
            details: { noteId: note.id },
          });
          return toIncident(current);
        });
        return changed(ctx, incident);
      },
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
      handler: async ({ params, body }, ctx) => {
        const incident = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const current = await findIncident(tx, ctx, params.id);
          if (current.status === 'closed') throw conflict('The incident is already closed');
          const log = body.maintenanceLog;
          await requireInTenant(tx, 'assets', 'maintenanceLog.assetId', [log.assetId]);
          await tx.maintenanceLog.create({
            data: {
              tenantId: ctx.tenantId,
              incidentId: params.id,
              assetId: log.assetId ?? current.assetId,
              performedBy: ctx.principal.userId,
              workDone: log.workDone,
              partsUsed: log.partsUsed,
              startedAt: new Date(log.startedAt),
              finishedAt: new Date(log.finishedAt),
            },
          });
          const now = new Date();
          await tx.incident.update({
            where: { id: params.id },
            data: {
              status: 'closed',
              closedAt: now,
              closedBy: ctx.principal.userId,
              resolvedAt: current.resolvedAt ?? now,
            },
          });
          await recordAudit(tx, ctx, {
            action: 'incident.close',
            resourceType: 'incident',
            resourceId: params.id,
          });
          return toIncident(await findIncident(tx, ctx, params.id));
        });
        return changed(ctx, incident);
      },
    }),
  ];
}
