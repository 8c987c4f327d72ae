import { securitySettingsSchema, updateSecuritySettingsSchema } from '@tidewatch/shared';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { readSecuritySettings, updateSecuritySettings } from './security-settings.ts';

/** The tenant's sign-in rules, set by its administrators. */
export function securitySettingsRoutes(deps: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/security-settings',
      summary: 'Who must use two-step verification, and how long each role’s sessions may sit idle',
      tag: 'tenants',
      access: 'tenant',
      permission: 'security_settings:manage',
      response: securitySettingsSchema,
      handler: (_input, ctx) => readSecuritySettings(deps.db, ctx),
    }),
    defineRoute({
      method: 'patch',
      path: '/security-settings',
      summary:
        'Require two-step verification of roles (asked at their next sign-in) and set idle timeouts in minutes ' +
        '(applied to live sessions at once)',
      tag: 'tenants',
      access: 'tenant',
      permission: 'security_settings:manage',
      body: updateSecuritySettingsSchema,
      response: securitySettingsSchema,
      handler: ({ body }, ctx) => updateSecuritySettings(deps, ctx, body),
    }),
  ];
}
