import type { Prisma, TenantTransaction } from '@tidewatch/db';
import type {
  CreateMaintenanceLog,
  MaintenanceLog,
  MaintenanceLogDetail,
  Page,
  PageQuery,
} from '@tidewatch/shared';
import { conflict, invalid, notFound } from '../../http/app-error.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { inZoneLimit } from '../../http/zone-scope.ts';
import { attachmentsOf } from '../attachments/attachment-service.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { requireAsset } from './asset-access.ts';

type LogRow = Prisma.MaintenanceLogGetPayload<object>;

export const toMaintenanceLog = (row: LogRow): MaintenanceLog => ({
  id: row.id,
  assetId: row.assetId,
  incidentId: row.incidentId,
  maintenancePlanId: row.maintenancePlanId,
  performedBy: row.performedBy,
  workDone: row.workDone,
  partsUsed: row.partsUsed,
  startedAt: row.startedAt.toISOString(),
  finishedAt: row.finishedAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
});

const DAY_MS = 86_400_000;

/**
 * Logs work done on an asset. Naming a plan of the asset completes it: a one-off plan is done, a recurring one is
 * next due its interval after the work finished (or started, for work still going on).
 */
export async function createMaintenanceLog(
  tx: TenantTransaction,
  ctx: TenantContext,
  assetId: string,
  body: CreateMaintenanceLog,
): Promise<MaintenanceLog> {
  await requireAsset(tx, ctx, assetId, 'live');
  if (body.maintenancePlanId) {
    const plan = await tx.maintenancePlan.findFirst({ where: { id: body.maintenancePlanId, assetId } });
    if (!plan) throw invalid('maintenancePlanId', 'No such plan for this asset');
    if (plan.completedAt) throw conflict('The plan is already completed');
    const doneAt = new Date(body.finishedAt ?? body.startedAt);
    await tx.maintenancePlan.update({
      where: { id: plan.id },
      data:
        plan.intervalDays === null
          ? { completedAt: new Date(), updatedAt: new Date() }
          : { dueAt: new Date(doneAt.getTime() + plan.intervalDays * DAY_MS), updatedAt: new Date() },
    });
  }
  const row = await tx.maintenanceLog.create({
    data: {
      tenantId: ctx.tenantId,
      assetId,
      maintenancePlanId: body.maintenancePlanId,
      performedBy: ctx.principal.userId,
      workDone: body.workDone,
      partsUsed: body.partsUsed,
      startedAt: new Date(body.startedAt),
      finishedAt: body.finishedAt === null ? null : new Date(body.finishedAt),
    },
  });
  await recordAudit(tx, ctx, {
    action: 'maintenance_log.create',
    resourceType: 'maintenance_log',
    resourceId: row.id,
    details: { assetId, maintenancePlanId: body.maintenancePlanId },
  });
  return toMaintenanceLog(row);
}

export async function listMaintenanceLogs(
  tx: TenantTransaction,
  ctx: TenantContext,
  assetId: string,
  query: PageQuery,
): Promise<Page<MaintenanceLog>> {
  await requireAsset(tx, ctx, assetId, 'read');
  const rows = await tx.maintenanceLog.findMany({
    where: { assetId },
    orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
    ...pageArgs(query),
  });
  return toPage(rows, query, toMaintenanceLog);
}

/** A log with its files; visible where its asset is (or, without one, where its incident is). */
export async function maintenanceLogDetail(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
): Promise<MaintenanceLogDetail> {
  const row = await tx.maintenanceLog.findUnique({ where: { id } });
  if (!row) throw notFound('Maintenance log');
  const [place] = await tx.$queryRaw<{ zone_id: string | null }[]>`
    SELECT coalesce(a.zone_id, i.zone_id) AS zone_id
      FROM maintenance_logs l LEFT JOIN assets a ON a.id = l.asset_id LEFT JOIN incidents i ON i.id = l.incident_id
     WHERE l.id = ${id}::uuid`;
  if (!inZoneLimit(ctx, place?.zone_id ?? null)) throw notFound('Maintenance log');
  return {
    ...toMaintenanceLog(row),
    attachments: await attachmentsOf(tx, { type: 'maintenance_log', id }),
  };
}
