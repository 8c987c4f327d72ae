import type { Alert } from '@tidewatch/shared';

/**
 * The sequences the console holds: per alert, the newest change applied, so an older event (instances' events
 * may interleave, a replay may repeat a live event) never overwrites a newer state; and overall, the highest
 * sequence seen, sent as `lastSequence` when the socket reconnects.
 */
export class AlertLedger {
  private readonly held = new Map<string, number>();
  private highest = 0;
  private started = false;

  /** The highest sequence the console is up to date with, or undefined before the first `session:ready`. */
  get lastSequence(): number | undefined {
    return this.started ? this.highest : undefined;
  }

  /** The stream stands at `sequence` (a `session:ready`, a resync page): nothing before it is missing. */
  advanceTo(sequence: number): void {
    this.started = true;
    this.highest = Math.max(this.highest, sequence);
  }

  /** Whether a change of `alertId` at `sequence` is newer than what is held; if so it is now held. */
  accept(alertId: string, sequence: number): boolean {
    const held = this.held.get(alertId);
    if (held !== undefined && sequence <= held) return false;
    this.held.set(alertId, sequence);
    this.highest = Math.max(this.highest, sequence);
    return true;
  }

  /** The server's stream restarted below what is held (restored database): start over from `sequence`. */
  restart(sequence: number): void {
    this.held.clear();
    this.highest = sequence;
    this.started = true;
  }
}

/**
 * The open-alert list after `changed` (each the alert as it now is): changed alerts replace theirs in place,
 * new open ones are added, closed ones leave. Returns `current` itself when nothing differs.
 * @example mergeAlerts([a1, a2], [{ ...a2, closedAt: now }, a3]) // [a1, a3]
 */
export function mergeAlerts(current: Alert[], changed: ReadonlyMap<string, Alert>): Alert[] {
  if (changed.size === 0) return current;
  const remaining = new Map(changed);
  const next: Alert[] = [];
  for (const alert of current) {
    const update = remaining.get(alert.id);
    if (update === undefined) {
      next.push(alert);
      continue;
    }
    remaining.delete(alert.id);
    if (update.closedAt === null) next.push(update);
  }
  for (const alert of remaining.values()) if (alert.closedAt === null) next.push(alert);
  return next;
}
