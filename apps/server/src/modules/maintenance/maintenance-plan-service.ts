import type { Prisma, TenantTransaction } from '@tidewatch/db';
import type {
  createMaintenancePlanSchema,
  MaintenancePlan,
  maintenancePlanQuerySchema,
  updateMaintenancePlanSchema,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { conflict, notFound } from '../../http/app-error.ts';
import { definedOnly } from '../../http/defined.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { requireAsset } from './asset-access.ts';

type CreatePlan = z.infer<typeof createMaintenancePlanSchema>;
type UpdatePlan = z.infer<typeof updateMaintenancePlanSchema>;
type PlanQuery = z.infer<typeof maintenancePlanQuerySchema>;
type PlanRow = Prisma.MaintenancePlanGetPayload<object>;

export const toMaintenancePlan = (row: PlanRow): MaintenancePlan => ({
  id: row.id,
  assetId: row.assetId,
  title: row.title,
  description: row.description,
  intervalDays: row.intervalDays,
  dueAt: row.dueAt.toISOString(),
  remindBeforeS: row.remindBeforeS,
  remindedFor: row.remindedFor?.toISOString() ?? null,
  completedAt: row.completedAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
});

export async function createMaintenancePlan(
  tx: TenantTransaction,
  ctx: TenantContext,
  assetId: string,
  body: CreatePlan,
): Promise<MaintenancePlan> {
  await requireAsset(tx, ctx, assetId, 'live');
  const row = await tx.maintenancePlan.create({
    data: {
      tenantId: ctx.tenantId,
      assetId,
      title: body.title,
      description: body.description,
      intervalDays: body.intervalDays,
      dueAt: new Date(body.dueAt),
      remindBeforeS: body.remindBeforeS,
      createdBy: ctx.principal.userId,
    },
  });
  await recordAudit(tx, ctx, {
    action: 'maintenance_plan.create',
    resourceType: 'maintenance_plan',
    resourceId: row.id,
    details: { assetId, dueAt: body.dueAt, intervalDays: body.intervalDays },
  });
  return toMaintenancePlan(row);
}

async function findPlan(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<PlanRow> {
  const row = await tx.maintenancePlan.findUnique({ where: { id } });
  if (!row) throw notFound('Maintenance plan');
  await requireAsset(tx, ctx, row.assetId, 'read').catch(() => {
    throw notFound('Maintenance plan');
  });
  return row;
}

export async function maintenancePlan(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
): Promise<MaintenancePlan> {
  return toMaintenancePlan(await findPlan(tx, ctx, id));
}

/** Changes an open plan; a new due date may be reminded of again. */
export async function updateMaintenancePlan(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
  body: UpdatePlan,
): Promise<MaintenancePlan> {
  const current = await findPlan(tx, ctx, id);
  if (current.completedAt) throw conflict('The plan is completed');
  const { dueAt, ...fields } = body;
  const row = await tx.maintenancePlan.update({
    where: { id },
    data: { ...definedOnly(fields), ...(dueAt ? { dueAt: new Date(dueAt) } : {}), updatedAt: new Date() },
  });
  await recordAudit(tx, ctx, {
    action: 'maintenance_plan.update',
    resourceType: 'maintenance_plan',
    resourceId: id,
    details: body,
  });
  return toMaintenancePlan(row);
}

export async function listAssetPlans(
  tx: TenantTransaction,
  ctx: TenantContext,
  assetId: string,
): Promise<MaintenancePlan[]> {
  await requireAsset(tx, ctx, assetId, 'read');
  const rows = await tx.maintenancePlan.findMany({
    where: { assetId },
    orderBy: [{ completedAt: { sort: 'desc', nulls: 'first' } }, { dueAt: 'asc' }],
    take: 500,
  });
  return rows.map(toMaintenancePlan);
}

/** The tenant's open plans (at most 500), soonest due first; `due`: only those whose reminder time has come. */
export async function listPlans(
  tx: TenantTransaction,
  ctx: TenantContext,
  query: PlanQuery,
): Promise<MaintenancePlan[]> {
  const zones = zoneLimit(ctx);
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT p.id FROM maintenance_plans p JOIN assets a ON a.id = p.asset_id
     WHERE p.completed_at IS NULL
       AND (${query.due ?? false} = false OR p.due_at - make_interval(secs => p.remind_before_s) <= now())
       AND (${zones === null ? null : [...zones]}::uuid[] IS NULL OR a.zone_id = ANY(${zones === null ? null : [...zones]}::uuid[]))
     ORDER BY p.due_at, p.id
     LIMIT 500`;
  const plans = await tx.maintenancePlan.findMany({ where: { id: { in: rows.map((row) => row.id) } } });
  const byId = new Map(plans.map((plan) => [plan.id, plan]));
  return rows.flatMap((row) => {
    const plan = byId.get(row.id);
    return plan ? [toMaintenancePlan(plan)] : [];
  });
}
