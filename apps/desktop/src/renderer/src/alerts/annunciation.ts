import type { Alert, AlertPriority } from '@tidewatch/shared';
import { needsAcknowledgement } from './alert-rows.ts';
import { tones } from './alert-sound.ts';

/** Alerts the annunciator sounds for: unacknowledged, of a priority that has a tone, not silenced. */
export function soundingAlerts(alerts: readonly Alert[], silenced: ReadonlySet<string>): Alert[] {
  return alerts.filter(
    (alert) => needsAcknowledgement(alert) && tones[alert.priority] !== undefined && !silenced.has(alert.id),
  );
}

/** The tone to sound: the most urgent priority among the sounding alerts, or null for silence. */
export function soundingPriority(alerts: readonly Alert[]): AlertPriority | null {
  if (alerts.some((alert) => alert.priority === 'critical')) return 'critical';
  if (alerts.some((alert) => alert.priority === 'high')) return 'high';
  return null;
}
