import { withTenant, type AlertRule as AlertRuleRow, type TenantTransaction } from '@tidewatch/db';
import {
  alertRuleSchema,
  createAlertRuleSchema,
  idParamsSchema,
  pageOf,
  pageQuerySchema,
  ruleShapeIssue,
  updateAlertRuleSchema,
  type AlertRule,
} from '@tidewatch/shared';
import { invalid, notFound } from '../../http/app-error.ts';
import { definedOnly } from '../../http/defined.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { requireInTenant } from '../tenant-references.ts';

const toRule = (row: AlertRuleRow): AlertRule => ({
  id: row.id,
  name: row.name,
  description: row.description,
  condition: row.condition,
  priority: row.priority,
  scope: row.scope,
  seriesId: row.seriesId,
  assetId: row.assetId,
  assetKind: row.assetKind,
  zoneId: row.zoneId,
  metricId: row.metricId,
  setpoint: row.setpoint,
  deadband: row.deadband,
  onDelayS: row.onDelayS,
  offDelayS: row.offDelayS,
  windowS: row.windowS,
  params: row.params as Record<string, unknown>,
  cooldownS: row.cooldownS,
  escalateAfterS: row.escalateAfterS,
  enabled: row.enabled,
  version: row.version,
  updatedAt: row.updatedAt.toISOString(),
});

async function findRule(tx: TenantTransaction, id: string): Promise<AlertRuleRow> {
  const row = await tx.alertRule.findUnique({ where: { id } });
  if (!row) throw notFound('Alert rule');
  return row;
}

/** Alarm rules. Every version is kept in the audit log, with the full rule as it was saved. */
export function alertRuleRoutes({ db, bus }: RouteDeps): AnyRoute[] {
  // After the commit: the alert engine reloads the tenant's rules.
  const changed = <T extends { id: string }>(tenantId: string, rule: T): T => {
    bus.emit('alert_rule.changed', { tenantId, ruleId: rule.id });
    return rule;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/alert-rules',
      summary: 'List alert rules',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:read',
      query: pageQuerySchema,
      response: pageOf(alertRuleSchema),
      handler: async ({ query }, ctx) => {
        const rows = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.alertRule.findMany({ orderBy: { id: 'asc' }, ...pageArgs(query) }),
        );
        return toPage(rows, query, toRule);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/alert-rules/:id',
      summary: 'One alert rule',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:read',
      params: idParamsSchema,
      response: alertRuleSchema,
      handler: async ({ params }, ctx) =>
        toRule(await withTenant(db.prisma, dbContext(ctx), (tx) => findRule(tx, params.id))),
    }),
    defineRoute({
      method: 'post',
      path: '/alert-rules',
      summary: 'Create an alert rule',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:write',
      body: createAlertRuleSchema,
      response: alertRuleSchema,
      status: 201,
      handler: async ({ body }, ctx) => {
        const saved = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          if (body.seriesId !== null && (await tx.series.count({ where: { id: body.seriesId } })) === 0) {
            throw invalid('seriesId', 'No such series in this tenant');
          }
          await requireInTenant(tx, 'assets', 'assetId', [body.assetId]);
          await requireInTenant(tx, 'zones', 'zoneId', [body.zoneId]);
          await requireInTenant(tx, 'metrics', 'metricId', [body.metricId]);
          const created = await tx.alertRule.create({
            data: { ...body, tenantId: ctx.tenantId, createdBy: ctx.principal.userId },
          });
          const rule = toRule(created);
          await recordAudit(tx, ctx, {
            action: 'alert_rule.create',
            resourceType: 'alert_rule',
            resourceId: rule.id,
            details: { rule },
          });
          return rule;
        });
        return changed(ctx.tenantId, saved);
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/alert-rules/:id',
      summary: 'Change an alert rule (its version goes up)',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:write',
      params: idParamsSchema,
      body: updateAlertRuleSchema,
      response: alertRuleSchema,
      handler: async ({ params, body }, ctx) => {
        const saved = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const before = await findRule(tx, params.id);
          const merged = { ...toRule(before), ...definedOnly(body) };
          const issue = ruleShapeIssue(merged);
          if (issue) throw invalid(issue.path, issue.message);
          const updated = await tx.alertRule.update({
            where: { id: params.id },
            data: {
              ...definedOnly(body),
              version: before.version + 1,
            },
          });
          const rule = toRule(updated);
          await recordAudit(tx, ctx, {
            action: 'alert_rule.update',
            resourceType: 'alert_rule',
            resourceId: rule.id,
            details: { rule, previousVersion: toRule(before) },
          });
          return rule;
        });
        return changed(ctx.tenantId, saved);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/alert-rules/:id',
      summary: 'Delete an alert rule and its alerts',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:write',
      params: idParamsSchema,
      response: null,
      handler: async ({ params }, ctx) => {
        await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const before = await findRule(tx, params.id);
          await tx.alertRule.delete({ where: { id: params.id } });
          await recordAudit(tx, ctx, {
            action: 'alert_rule.delete',
            resourceType: 'alert_rule',
            resourceId: params.id,
            details: { rule: toRule(before) },
          });
        });
        changed(ctx.tenantId, { id: params.id });
      },
    }),
  ];
}
