import type { Alert } from '@tidewatch/shared';
import type { EventBus } from '../../events/event-bus.ts';

/** One committed alert change, as the realtime layer receives it. */
export interface AlertChange {
  readonly tenantId: string;
  readonly zoneId: string | null;
  readonly sequence: number;
  readonly alert: Alert;
}

/** A row of the transition statements: the change's sequence and the alert as PostgreSQL serialized it. */
export interface AlertChangeRow {
  readonly sequence: string;
  readonly tenant_id: string;
  readonly zone_id: string | null;
  readonly alert: string;
}

export function toAlertChange(row: AlertChangeRow): AlertChange {
  return {
    tenantId: row.tenant_id,
    zoneId: row.zone_id,
    sequence: Number(row.sequence),
    alert: JSON.parse(row.alert) as Alert,
  };
}

/** Tells the server about changes; call only once their transaction has committed. */
export function publishAlertChanges(bus: EventBus, changes: readonly AlertChange[]): void {
  for (const change of [...changes].sort((a, b) => a.sequence - b.sequence)) {
    bus.emit('alert.changed', change);
  }
}
