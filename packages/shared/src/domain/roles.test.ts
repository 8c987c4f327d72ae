import { describe, expect, it } from 'vitest';
import { roleAtLeast, roles } from './roles.ts';

describe('roleAtLeast', () => {
  it('orders roles from viewer to super_admin', () => {
    expect(roleAtLeast('supervisor', 'operator')).toBe(true);
    expect(roleAtLeast('operator', 'supervisor')).toBe(false);
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
    expect(roles.every((role) => roleAtLeast('super_admin', role))).toBe(true);
  });
});
