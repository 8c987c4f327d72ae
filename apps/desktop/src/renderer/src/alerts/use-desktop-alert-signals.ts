import type { Alert } from '@tidewatch/shared';
import { useEffect, useRef } from 'react';
import { desktopApi } from '../desktop/desktop-bridge.ts';
import { needsAcknowledgement } from './alert-rows.ts';

/** New critical alerts that still need an acknowledgement, among those not seen before. */
export function newCriticalAlerts(alerts: readonly Alert[], seen: ReadonlySet<string>): Alert[] {
  return alerts.filter(
    (alert) => alert.priority === 'critical' && needsAcknowledgement(alert) && !seen.has(alert.id),
  );
}

/**
 * Outside the window: the unacknowledged count on the tray and dock (in a browser, the tab title) and an OS
 * notification for each new critical alert. The first load only records what is
 * there; it does not notify.
 * Only the main window signals, so pop-outs do not repeat every notification.
 */
export function useDesktopAlertSignals(alerts: readonly Alert[] | undefined, enabled: boolean): void {
  const seen = useRef<Set<string> | null>(null);
  const unacknowledged = alerts?.filter(needsAcknowledgement).length ?? 0;

  useEffect(() => {
    if (!enabled) return;
    const desktop = desktopApi();
    if (desktop) void desktop.setBadgeCount(unacknowledged).catch(() => undefined);
    else document.title = unacknowledged > 0 ? `(${unacknowledged}) Tidewatch` : 'Tidewatch';
  }, [unacknowledged, enabled]);

  useEffect(() => {
    if (!enabled || !alerts) return;
    const previous = seen.current;
    if (previous === null) {
      seen.current = new Set(alerts.map((alert) => alert.id));
      return;
    }
    const fresh = newCriticalAlerts(alerts, previous);
    // Only new ids are added: ten thousand alerts are not copied into a new set on every batch of changes.
    for (const alert of alerts) previous.add(alert.id);
    // The sound is the annunciator's (use-annunciator.ts), which repeats until silenced or acknowledged.
    if (fresh.length === 0) return;
    const desktop = desktopApi();
    if (!desktop) return;
    // A flood gets one summary rather than a wall of notifications.
    const notifications =
      fresh.length > 3
        ? [{ title: `${fresh.length} new critical alerts`, body: 'Open the alert console', urgent: true }]
        : fresh.map((alert) => ({ title: `Critical: ${alert.ruleName}`, body: alert.message, urgent: true }));
    for (const notification of notifications) void desktop.notify(notification).catch(() => undefined);
  }, [alerts, enabled]);
}
