import type { Alert, AlertPriority, AlertState } from '@tidewatch/shared';

/** What the map shows of an asset's open alerts: the worst level (1 low … 4 critical) and whether it is unseen. */
export interface AlarmState {
  readonly alarm: number;
  /** The worst alert is not yet acknowledged. */
  readonly unacknowledged: boolean;
}

const priorityLevel: Readonly<Record<AlertPriority, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
/** States that colour the map, as on the server's tiles: shelved, suppressed and out-of-service ones do not. */
const colouring: ReadonlySet<AlertState> = new Set([
  'active_unacknowledged',
  'active_acknowledged',
  'returned_unacknowledged',
]);
const unseen: ReadonlySet<AlertState> = new Set(['active_unacknowledged', 'returned_unacknowledged']);

/**
 * The alarm state of every asset with an open alert, from the console's live alert feed: the map colours its
 * tiles' features by these (MapLibre feature state), so a change shows without fetching a tile.
 */
export function alarmStates(alerts: readonly Alert[]): Map<string, AlarmState> {
  const states = new Map<string, AlarmState>();
  for (const alert of alerts) {
    if (alert.assetId === null || alert.closedAt !== null || !colouring.has(alert.state)) continue;
    const level = priorityLevel[alert.priority];
    const open = unseen.has(alert.state);
    const held = states.get(alert.assetId);
    // Unacknowledged counts for the worst level only: the pulse means "the worst here is not yet seen".
    if (!held || level > held.alarm) states.set(alert.assetId, { alarm: level, unacknowledged: open });
    else if (level === held.alarm && open && !held.unacknowledged)
      states.set(alert.assetId, { alarm: level, unacknowledged: true });
  }
  return states;
}

/** The assets whose state differs between two moments (cleared ones as alarm 0), to update only those. */
export function changedStates(
  before: ReadonlyMap<string, AlarmState>,
  after: ReadonlyMap<string, AlarmState>,
): Map<string, AlarmState> {
  const changed = new Map<string, AlarmState>();
  for (const [id, state] of after) {
    const held = before.get(id);
    if (!held || held.alarm !== state.alarm || held.unacknowledged !== state.unacknowledged)
      changed.set(id, state);
  }
  for (const id of before.keys()) {
    if (!after.has(id)) changed.set(id, { alarm: 0, unacknowledged: false });
  }
  return changed;
}

/** The assets that pulse: their worst alert is critical and unacknowledged. */
export function pulsingIds(states: ReadonlyMap<string, AlarmState>): string[] {
  const ids: string[] = [];
  for (const [id, state] of states) if (state.alarm === 4 && state.unacknowledged) ids.push(id);
  return ids;
}
