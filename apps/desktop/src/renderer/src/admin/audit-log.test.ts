// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { auditActionLabel, auditResourceLabel } from './audit-labels.ts';
import { toAuditFilters } from './audit-log-view.tsx';

describe('audit log wording', () => {
  it('names known actions in words and still reads one it does not know', () => {
    expect(auditActionLabel('user.create')).toBe('User created');
    expect(auditActionLabel('device.rotate_secret')).toBe('Device secret rotated');
    expect(auditActionLabel('water_meter.recalibrate')).toBe('Water meter: recalibrate');
    expect(auditActionLabel('heartbeat')).toBe('Heartbeat');
    expect(auditResourceLabel('alert_rule')).toBe('Alert rule');
    expect(auditResourceLabel('pump_station')).toBe('Pump station');
  });
});

describe('audit log filters', () => {
  it('sends only what the admin filled in, times as instants', () => {
    const filters = toAuditFilters({
      from: '2026-03-01T08:00',
      to: '',
      actorId: '',
      action: 'user.create',
      resourceType: 'user',
      resourceId: '  42  ',
    });

    expect(filters).toEqual({
      from: new Date('2026-03-01T08:00').toISOString(),
      action: 'user.create',
      resourceType: 'user',
      resourceId: '42',
    });
  });

  it('drops a time it cannot read rather than send it', () => {
    expect(
      toAuditFilters({
        from: 'yesterday',
        to: '',
        actorId: '',
        action: '',
        resourceType: '',
        resourceId: '',
      }),
    ).toEqual({});
  });
});
