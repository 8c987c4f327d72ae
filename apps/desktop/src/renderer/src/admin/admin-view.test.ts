// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { adminTabs } from './admin-view.tsx';

describe('admin tabs', () => {
  it('follow the permission matrix', () => {
    expect(adminTabs('operator')).toEqual([]);
    expect(adminTabs('supervisor')).toEqual([]);
    expect(adminTabs('tenant_admin')).toEqual(['network', 'users', 'security', 'audit']);
    expect(adminTabs('super_admin')).toEqual(['network', 'users', 'security', 'audit']);
  });
});
