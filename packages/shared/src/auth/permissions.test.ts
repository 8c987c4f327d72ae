import { describe, expect, it } from 'vitest';
import { roles } from '../domain/roles.ts';
import { can, permissions, rolePermissions } from './permissions.ts';

describe('the permission matrix', () => {
  it('grants each role at least what the role below it has, except maintenance beside operator', () => {
    const ladder = roles.filter((role) => role !== 'maintenance');
    for (let i = 1; i < ladder.length; i += 1) {
      const lower = rolePermissions[ladder[i - 1] ?? 'viewer'];
      const higher = rolePermissions[ladder[i] ?? 'viewer'];
      expect([...lower].filter((p) => !higher.has(p))).toEqual([]);
    }
    expect([...rolePermissions.maintenance].filter((p) => !rolePermissions.supervisor.has(p))).toEqual([]);
  });

  it('matches the brief for the decisive rights', () => {
    expect(can('viewer', 'alert:acknowledge')).toBe(false);
    expect(can('operator', 'alert:acknowledge')).toBe(true);
    expect(can('operator', 'alert:shelve_long')).toBe(false);
    expect(can('maintenance', 'asset:maintenance')).toBe(true);
    expect(can('maintenance', 'alert:acknowledge')).toBe(false);
    expect(can('supervisor', 'command:send')).toBe(true);
    expect(can('supervisor', 'user:write')).toBe(false);
    expect(can('tenant_admin', 'device:write')).toBe(true);
    expect(can('tenant_admin', 'tenant:manage')).toBe(false);
    expect(can('supervisor', 'notification:webhook')).toBe(false);
    expect(can('tenant_admin', 'notification:webhook')).toBe(true);
    expect(permissions.every((p) => can('super_admin', p))).toBe(true);
  });
});
