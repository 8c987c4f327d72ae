import type { Alert } from '@tidewatch/shared';

let sequence = 0;
/** An open alert for tests, with a fresh id; `change` overrides any field. */
export function makeAlert(change: Partial<Alert> = {}): Alert {
  sequence += 1;
  const id = `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
  return {
    id,
    ruleId: '10000000-0000-4000-8000-000000000001',
    ruleName: 'Tank level high',
    condition: 'high',
    state: 'active_unacknowledged',
    priority: 'high',
    originalPriority: 'high',
    message: 'Tank level high: 370 cm',
    conditionActive: true,
    seriesId: 1,
    deviceId: null,
    assetId: 'a0000000-0000-4000-8000-000000000001',
    zoneId: 'b0000000-0000-4000-8000-000000000001',
    raisedAt: '2026-11-21T10:00:00.000Z',
    raisedValue: 370,
    lastValue: 371,
    returnedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    shelvedUntil: null,
    shelveReason: null,
    escalatedAt: null,
    chatteringSince: null,
    closedAt: null,
    ...change,
  };
}
