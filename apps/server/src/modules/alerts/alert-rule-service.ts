import type { AlertRule as AlertRuleRow, TenantTransaction } from '@tidewatch/db';
import {
  ruleShapeIssue,
  type AlertRule,
  type AlertRuleQuery,
  type createAlertRuleSchema,
  type Page,
  type updateAlertRuleSchema,
} from '@tidewatch/shared';
import type { z } from 'zod';
import { conflict, forbidden, invalid, notFound } from '../../http/app-error.ts';
import { definedOnly } from '../../http/defined.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { AlertChange } from '../alert-engine/alert-changes.ts';
import { retireRuleAlerts } from '../alert-engine/alert-lifecycle.ts';
import { numberAlertChanges } from '../alert-engine/alert-transaction.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { deleteOrArchive, type Removal } from '../records/delete-or-archive.ts';
import { checkRuleReferences, ruleWithinZones, visibleRules } from './rule-references.ts';

type CreateAlertRule = z.infer<typeof createAlertRuleSchema>;
type UpdateAlertRule = z.infer<typeof updateAlertRuleSchema>;

export const toRule = (row: AlertRuleRow): AlertRule => ({
  id: row.id,
  name: row.name,
  description: row.description,
  condition: row.condition,
  priority: row.priority,
  scope: row.scope,
  seriesId: row.seriesId,
  assetId: row.assetId,
  assetKind: row.assetKind,
  tag: row.tag,
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
  archivedAt: row.archivedAt?.toISOString() ?? null,
});

/** A rule the caller may see, archived or not (the alerts it raised still name it). */
export async function findRule(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<AlertRuleRow> {
  const row = await tx.alertRule.findFirst({
    where: { AND: [{ id }, await visibleRules(tx, zoneLimit(ctx))] },
  });
  if (!row) throw notFound('Alert rule');
  return row;
}

/** A live rule the caller may change: a zone-limited caller only those watching inside their zones. */
async function writableRule(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<AlertRuleRow> {
  // Locked first, so a concurrent change or removal is seen whole: a rule removed meanwhile is a 404, one archived
  // meanwhile a 409, never a write to a row that is gone or retired.
  await tx.$executeRaw`SELECT 1 FROM alert_rules WHERE id = ${id}::uuid FOR UPDATE`;
  const row = await findRule(tx, ctx, id);
  if (row.archivedAt !== null) throw conflict('The alert rule is archived');
  if (!(await ruleWithinZones(tx, zoneLimit(ctx), id))) {
    throw forbidden('This rule watches outside your zones');
  }
  return row;
}

export async function listRules(
  tx: TenantTransaction,
  ctx: TenantContext,
  query: AlertRuleQuery,
): Promise<Page<AlertRule>> {
  const rows = await tx.alertRule.findMany({
    where: {
      archivedAt: query.archived ? { not: null } : null,
      ...(await visibleRules(tx, zoneLimit(ctx))),
    },
    orderBy: { id: 'asc' },
    ...pageArgs(query),
  });
  return toPage(rows, query, toRule);
}

export async function createRule(
  tx: TenantTransaction,
  ctx: TenantContext,
  body: CreateAlertRule,
): Promise<AlertRule> {
  await checkRuleReferences(tx, zoneLimit(ctx), body);
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
}

export async function updateRule(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
  body: UpdateAlertRule,
): Promise<AlertRule> {
  const before = await writableRule(tx, ctx, id);
  const merged = { ...toRule(before), ...definedOnly(body) };
  const issue = ruleShapeIssue(merged);
  if (issue) throw invalid(issue.path, issue.message);
  await checkRuleReferences(tx, zoneLimit(ctx), merged);
  const updated = await tx.alertRule.update({
    where: { id },
    data: { ...definedOnly(body), version: before.version + 1 },
  });
  const rule = toRule(updated);
  await recordAudit(tx, ctx, {
    action: 'alert_rule.update',
    resourceType: 'alert_rule',
    resourceId: rule.id,
    details: { rule, previousVersion: toRule(before) },
  });
  return rule;
}

/**
 * Takes a rule out of use. A rule that never raised an alert is deleted; one that did is archived, so its alerts
 * keep naming it: it is disabled for good and leaves the rule list. Its open alerts close now, each with a last
 * transition saying who archived the rule (it will never be evaluated again to clear them). The caller publishes
 * the returned alert changes after the commit.
 */
export async function removeRule(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
): Promise<{ removal: Removal; changes: AlertChange[] }> {
  const before = await writableRule(tx, ctx, id);
  const changes = await retireRuleAlerts(tx, id, {
    userId: ctx.principal.userId,
    comment: 'Alert rule archived',
  });
  const removal = await deleteOrArchive(tx, 'alert_rules', id, ctx.principal.userId);
  await recordAudit(tx, ctx, {
    action: removal === 'deleted' ? 'alert_rule.delete' : 'alert_rule.archive',
    resourceType: 'alert_rule',
    resourceId: id,
    details: { rule: toRule(before), alertsClosed: changes.map((change) => change.alert.id) },
  });
  // Last, so the tenant's alert sequence is locked only for Prisma's commit.
  return { removal, changes: await numberAlertChanges((sql) => tx.$queryRawUnsafe(sql), changes) };
}
