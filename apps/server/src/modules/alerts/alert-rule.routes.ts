import { withTenant } from '@tidewatch/db';
import {
  alertRuleQuerySchema,
  alertRuleSchema,
  createAlertRuleSchema,
  idParamsSchema,
  pageOf,
  updateAlertRuleSchema,
} from '@tidewatch/shared';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { publishAlertChanges } from '../alert-engine/alert-changes.ts';
import type { RouteDeps } from '../api-routes.ts';
import { createRule, findRule, listRules, removeRule, toRule, updateRule } from './alert-rule-service.ts';

/**
 * Alarm rules. Every version is kept in the audit log, with the full rule as it was saved. Zone-limited users see
 * the rules watching inside their zones (and tenant-wide ones) and change only the former.
 */
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
      summary: 'List alert rules (live ones; archived=true lists the archived)',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:read',
      query: alertRuleQuerySchema,
      response: pageOf(alertRuleSchema),
      handler: ({ query }, ctx) => withTenant(db.prisma, dbContext(ctx), (tx) => listRules(tx, ctx, query)),
    }),
    defineRoute({
      method: 'get',
      path: '/alert-rules/:id',
      summary: 'One alert rule (archived ones too)',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:read',
      params: idParamsSchema,
      response: alertRuleSchema,
      handler: async ({ params }, ctx) =>
        toRule(await withTenant(db.prisma, dbContext(ctx), (tx) => findRule(tx, ctx, params.id))),
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
      handler: async ({ body }, ctx) =>
        changed(ctx.tenantId, await withTenant(db.prisma, dbContext(ctx), (tx) => createRule(tx, ctx, body))),
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
      handler: async ({ params, body }, ctx) =>
        changed(
          ctx.tenantId,
          await withTenant(db.prisma, dbContext(ctx), (tx) => updateRule(tx, ctx, params.id, body)),
        ),
    }),
    defineRoute({
      method: 'delete',
      path: '/alert-rules/:id',
      summary:
        'Remove an alert rule: deleted if it never raised an alert, else archived (disabled for good, its open ' +
        'alerts closed, all its alerts kept); 204 either way, the audit log says which',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:write',
      params: idParamsSchema,
      response: null,
      handler: async ({ params }, ctx) => {
        const { changes } = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          removeRule(tx, ctx, params.id),
        );
        publishAlertChanges(bus, changes);
        changed(ctx.tenantId, { id: params.id });
      },
    }),
  ];
}
