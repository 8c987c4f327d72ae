/**
 * Roles from least to most privileged. The order matters: `roleAtLeast` compares positions.
 * @example roleAtLeast('supervisor', 'operator') // true
 */
export const roles = [
  'viewer',
  'operator',
  'maintenance',
  'supervisor',
  'tenant_admin',
  'super_admin',
] as const;
export type Role = (typeof roles)[number];

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(minimum);
}
