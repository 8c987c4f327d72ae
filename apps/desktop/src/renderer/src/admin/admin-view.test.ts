// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { adminTabs } from './admin-view.tsx';

describe('admin tabs', () => {
  it('follow the permission matrix', () => {
    expect(adminTabs('operator')).toEqual([]);
    // Supervisors tune the alarm system: escalation, on-call duty and the chattering policy are theirs.
    expect(adminTabs('supervisor')).toEqual(['escalation']);
    expect(adminTabs('tenant_admin')).toEqual(['network', 'users', 'escalation', 'security', 'audit']);
    expect(adminTabs('super_admin')).toEqual(['network', 'users', 'escalation', 'security', 'audit']);
  });
});
