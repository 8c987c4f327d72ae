import { ALERT_RULE_PREVIEW_DAYS, alertRulePreviewSchema, previewAlertRuleSchema } from '@tidewatch/shared';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { previewAlertRule } from './rule-preview.ts';

/** A rule tried on stored readings before it is saved. */
export function alertRulePreviewRoutes({ db, config }: RouteDeps): AnyRoute[] {
  const limits = { maxTargets: config.ALERT_PREVIEW_MAX_TARGETS, maxPoints: config.ALERT_PREVIEW_MAX_POINTS };
  return [
    defineRoute({
      method: 'post',
      path: '/alert-rules/preview',
      summary: `How often a rule would have raised on its targets' readings of the last ${String(ALERT_RULE_PREVIEW_DAYS)} days (nothing is saved)`,
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:write',
      body: previewAlertRuleSchema,
      response: alertRulePreviewSchema,
      handler: ({ body }, ctx) => previewAlertRule(db, dbContext(ctx), zoneLimit(ctx), body, limits),
    }),
  ];
}
