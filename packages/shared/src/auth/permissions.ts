import type { Role } from '../domain/roles.ts';

/**
 * Everything a user may be allowed to do, named `resource:action`. The server checks these on every route
 * and socket event; the console uses the same matrix to hide what a user cannot do.
 */
export const permissions = [
  'tenant:read',
  'tenant:manage',
  'zone:read',
  'zone:write',
  'user:read',
  'user:write',
  'asset:read',
  'asset:write',
  'asset:maintenance',
  'device:read',
  'device:write',
  'metric:read',
  'metric:write',
  'integration:read',
  'integration:write',
  'telemetry:read',
  'alert_rule:read',
  'alert_rule:write',
  'alert:read',
  'notification:webhook',
  'alert:acknowledge',
  'alert:comment',
  'alert:shelve',
  'alert:shelve_long',
  'alert:out_of_service',
  'incident:read',
  'incident:create',
  'incident:note',
  'incident:assign',
  'incident:close',
  'maintenance_log:write',
  'command:read',
  'command:send',
  'audit:read',
  'security_settings:manage',
] as const;
export type Permission = (typeof permissions)[number];

const viewer: readonly Permission[] = [
  'tenant:read',
  'zone:read',
  'asset:read',
  'device:read',
  'metric:read',
  'telemetry:read',
  'alert_rule:read',
  'alert:read',
  'incident:read',
  'command:read',
];

// Operators run the shift: acknowledge, comment, shelve briefly, open incidents.
const operator: readonly Permission[] = [
  ...viewer,
  'alert:acknowledge',
  'alert:comment',
  'alert:shelve',
  'incident:create',
  'incident:note',
];

// Maintenance crews log their work and put assets in maintenance mode; they do not run the alarm console.
const maintenance: readonly Permission[] = [
  ...viewer,
  'alert:comment',
  'incident:note',
  'maintenance_log:write',
  'asset:maintenance',
];

const supervisor: readonly Permission[] = [
  ...new Set([
    ...operator,
    ...maintenance,
    'alert:shelve_long',
    'alert:out_of_service',
    'alert_rule:write',
    'incident:assign',
    'incident:close',
    'command:send',
  ] as const),
];

const tenantAdmin: readonly Permission[] = [
  ...supervisor,
  'zone:write',
  'user:read',
  'user:write',
  'asset:write',
  'device:write',
  'metric:write',
  'integration:read',
  'integration:write',
  'audit:read',
  'security_settings:manage',
  // A webhook makes the server call an address a user chose: only those who run the tenant's integrations.
  'notification:webhook',
];

/** The one permission matrix. */
export const rolePermissions: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(viewer),
  operator: new Set(operator),
  maintenance: new Set(maintenance),
  supervisor: new Set(supervisor),
  tenant_admin: new Set(tenantAdmin),
  super_admin: new Set(permissions),
};

/**
 * @example can('operator', 'alert:acknowledge') // true
 */
export function can(role: Role, permission: Permission): boolean {
  return rolePermissions[role].has(permission);
}

/** Longest shelving without `alert:shelve_long`. */
export const OPERATOR_MAX_SHELVE_SECONDS = 3600;
/** Longest shelving anyone may set; a shelved alert always comes back. */
export const MAX_SHELVE_SECONDS = 7 * 24 * 3600;
