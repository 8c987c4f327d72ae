import { alarmSettingsSchema, updateAlarmSettingsSchema } from '@tidewatch/shared';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { readAlarmSettings, updateAlarmSettings } from './alarm-settings.ts';

/** The tenant's alarm-system policy (chattering), read by whoever reads rules, set by whoever writes them. */
export function alarmSettingsRoutes(deps: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/alarm-settings',
      summary: 'When an alarm counts as chattering, and whether chattering alarms are shelved automatically',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:read',
      response: alarmSettingsSchema,
      handler: (_input, ctx) => readAlarmSettings(deps.db, ctx),
    }),
    defineRoute({
      method: 'patch',
      path: '/alarm-settings',
      summary: 'Change the chattering policy (applied from the next raise on)',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert_rule:write',
      body: updateAlarmSettingsSchema,
      response: alarmSettingsSchema,
      handler: ({ body }, ctx) => updateAlarmSettings(deps.db, ctx, body),
    }),
  ];
}
