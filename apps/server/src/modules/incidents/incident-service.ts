import type { Prisma, TenantTransaction } from '@tidewatch/db';
import {
  can,
  type addIncidentNoteSchema,
  type Alert,
  type closeIncidentSchema,
  type createIncidentSchema,
  type Incident,
  type IncidentDetail,
  type incidentQuerySchema,
  type Page,
  type updateIncidentSchema,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { conflict, forbidden, invalid, notFound } from '../../http/app-error.ts';
import { definedOnly } from '../../http/defined.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { inZoneLimit, zoneFilter, zoneLimit } from '../../http/zone-scope.ts';
import { alertJson } from '../alerts/alert.queries.ts';
import { attachmentsOf, linkToNote } from '../attachments/attachment-service.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { toMaintenanceLog } from '../maintenance/maintenance-log-service.ts';
import { requireInZones } from '../tenant-references.ts';

type CreateIncident = z.infer<typeof createIncidentSchema>;
type UpdateIncident = z.infer<typeof updateIncidentSchema>;
type AddIncidentNote = z.infer<typeof addIncidentNoteSchema>;
type CloseIncident = z.infer<typeof closeIncidentSchema>;
type IncidentQuery = z.infer<typeof incidentQuerySchema>;

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

/** An incident the caller may see: zone-limited users only those in their zones. */
async function findIncident(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<IncidentRow> {
  const row = await tx.incident.findUnique({ where: { id }, include: incidentInclude });
  if (!row || !inZoneLimit(ctx, row.zoneId)) throw notFound('Incident');
  return row;
}

async function openIncident(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<IncidentRow> {
  const row = await findIncident(tx, ctx, id);
  if (row.status === 'closed') throw conflict('The incident is closed');
  return row;
}

/**
 * Links alerts to an incident. They must be alerts the caller can see: a zone-limited user cannot pull another
 * zone's alert into their incident (nor learn from the answer that it exists).
 */
async function linkAlerts(
  tx: TenantTransaction,
  ctx: TenantContext,
  incidentId: string,
  alertIds: readonly string[],
): Promise<void> {
  await requireInZones(tx, zoneLimit(ctx), 'alerts', 'alertIds', alertIds);
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

export async function listIncidents(
  tx: TenantTransaction,
  ctx: TenantContext,
  query: IncidentQuery,
): Promise<Page<Incident>> {
  const rows = await tx.incident.findMany({
    where: { ...zoneFilter(ctx), ...(query.status ? { status: query.status } : {}) },
    include: incidentInclude,
    orderBy: [{ openedAt: 'desc' }, { id: 'desc' }],
    ...pageArgs(query),
  });
  return toPage(rows, query, toIncident);
}

export async function incidentDetail(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
): Promise<IncidentDetail> {
  const row = await findIncident(tx, ctx, id);
  const notes = await tx.incidentNote.findMany({ where: { incidentId: id }, orderBy: { createdAt: 'asc' } });
  const logs = await tx.maintenanceLog.findMany({ where: { incidentId: id }, orderBy: { startedAt: 'asc' } });
  return {
    ...toIncident(row),
    notes: notes.map((n) => ({
      id: n.id,
      authorId: n.authorId,
      body: n.body,
      createdAt: n.createdAt.toISOString(),
    })),
    maintenanceLogs: logs.map(toMaintenanceLog),
    attachments: await attachmentsOf(tx, { type: 'incident', id }),
    alerts: await linkedAlerts(tx, id),
  };
}

/**
 * Opens an incident, optionally from alerts. Where it happened is the first alert's place unless given; a
 * zone-limited user's incident must land in one of their zones, or they could not see it once opened.
 */
export async function createIncident(
  tx: TenantTransaction,
  ctx: TenantContext,
  body: CreateIncident,
): Promise<Incident> {
  const zones = zoneLimit(ctx);
  await requireInZones(tx, zones, 'assets', 'assetId', [body.assetId]);
  await requireInZones(tx, zones, 'zones', 'zoneId', [body.zoneId]);
  await requireInZones(tx, zones, 'alerts', 'alertIds', body.alertIds);
  const first = body.alertIds[0]
    ? await tx.alert.findUnique({ where: { id: body.alertIds[0] }, select: { assetId: true, zoneId: true } })
    : null;
  const asset = body.assetId
    ? await tx.asset.findUnique({ where: { id: body.assetId }, select: { zoneId: true } })
    : null;
  const zoneId = body.zoneId ?? first?.zoneId ?? asset?.zoneId ?? null;
  if (!inZoneLimit(ctx, zoneId)) throw invalid('zoneId', 'Choose one of your zones for the incident');
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
      zoneId,
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
}

export async function updateIncident(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
  body: UpdateIncident,
): Promise<Incident> {
  const current = await openIncident(tx, ctx, id);
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
    where: { id },
    data: {
      ...definedOnly(fields),
      ...(body.status === 'resolved' && current.resolvedAt === null ? { resolvedAt: new Date() } : {}),
    },
  });
  if (addAlertIds) await linkAlerts(tx, ctx, id, addAlertIds);
  await recordAudit(tx, ctx, {
    action: 'incident.update',
    resourceType: 'incident',
    resourceId: id,
    details: body,
  });
  return toIncident(await findIncident(tx, ctx, id));
}

export async function addIncidentNote(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
  body: AddIncidentNote,
): Promise<Incident> {
  const current = await openIncident(tx, ctx, id);
  const note = await tx.incidentNote.create({
    data: { tenantId: ctx.tenantId, incidentId: id, authorId: ctx.principal.userId, body: body.body },
  });
  await linkToNote(tx, ctx, id, note.id, body.attachmentIds);
  await recordAudit(tx, ctx, {
    action: 'incident.note',
    resourceType: 'incident',
    resourceId: id,
    details: { noteId: note.id, attachmentIds: body.attachmentIds },
  });
  return toIncident(current);
}

/** Closes an incident with the maintenance log of the work done (on an asset the caller can see). */
export async function closeIncident(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
  body: CloseIncident,
): Promise<Incident> {
  const current = await findIncident(tx, ctx, id);
  if (current.status === 'closed') throw conflict('The incident is already closed');
  const log = body.maintenanceLog;
  await requireInZones(tx, zoneLimit(ctx), 'assets', 'maintenanceLog.assetId', [log.assetId]);
  await tx.maintenanceLog.create({
    data: {
      tenantId: ctx.tenantId,
      incidentId: id,
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
    where: { id },
    data: {
      status: 'closed',
      closedAt: now,
      closedBy: ctx.principal.userId,
      resolvedAt: current.resolvedAt ?? now,
    },
  });
  await recordAudit(tx, ctx, { action: 'incident.close', resourceType: 'incident', resourceId: id });
  return toIncident(await findIncident(tx, ctx, id));
}
