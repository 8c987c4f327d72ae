import { alertPriorities, type Alert, type AlertPriority, type AlertState } from '@tidewatch/shared';

/** An alert as the console shows it: with the names of its asset and zone, and the text search looks in. */
export interface AlertRow {
  readonly alert: Alert;
  readonly assetLabel: string | null;
  readonly zoneName: string | null;
  readonly searchText: string;
  /** Priority, then state, as one number: the default sort compares numbers, not strings. */
  readonly urgency: number;
  readonly raisedAtMs: number;
}

export interface AssetLabel {
  readonly code: string;
  readonly name: string;
}

export interface AlertFilter {
  /** Empty: every priority. */
  readonly priorities: readonly AlertPriority[];
  /** Empty: the standing alerts (shelved, suppressed and out-of-service ones are set aside until chosen). */
  readonly states: readonly AlertState[];
  readonly zoneId: string | null;
  readonly assetId: string | null;
  readonly text: string;
}

export const emptyFilter: AlertFilter = { priorities: [], states: [], zoneId: null, assetId: null, text: '' };

export const sortKeys = ['priority', 'state', 'raisedAt', 'asset', 'zone', 'rule', 'value'] as const;
export type SortKey = (typeof sortKeys)[number];
export interface AlertSort {
  readonly key: SortKey;
  readonly descending: boolean;
}
/** ISA-18.2 habit: the most urgent first, then what still needs an acknowledgement, then the newest. */
export const defaultSort: AlertSort = { key: 'priority', descending: false };

/** Open states in the order an operator should look at them. */
export const openStatesByUrgency = [
  'active_unacknowledged',
  'returned_unacknowledged',
  'active_acknowledged',
  'shelved',
  'suppressed',
  'out_of_service',
] as const satisfies readonly AlertState[];

const stateRank: Readonly<Record<AlertState, number>> = {
  active_unacknowledged: 0,
  returned_unacknowledged: 1,
  active_acknowledged: 2,
  shelved: 3,
  suppressed: 4,
  out_of_service: 5,
  normal: 6,
};
const priorityRank: Readonly<Record<AlertPriority, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Still waiting for an operator: active or returned, and not acknowledged. */
export function needsAcknowledgement(alert: Pick<Alert, 'state'>): boolean {
  return alert.state === 'active_unacknowledged' || alert.state === 'returned_unacknowledged';
}

/** Shown in the header counts: open and not set aside (shelved, suppressed, out of service). */
export function isStanding(alert: Pick<Alert, 'state'>): boolean {
  return (
    alert.state === 'active_unacknowledged' ||
    alert.state === 'returned_unacknowledged' ||
    alert.state === 'active_acknowledged'
  );
}

function toRow(
  alert: Alert,
  assets: ReadonlyMap<string, AssetLabel>,
  zones: ReadonlyMap<string, string>,
): AlertRow {
  const asset = alert.assetId ? assets.get(alert.assetId) : undefined;
  const assetLabel = asset ? `${asset.code} ${asset.name}` : null;
  const zoneName = alert.zoneId ? (zones.get(alert.zoneId) ?? null) : null;
  const searchText = [alert.ruleName, alert.message, assetLabel, zoneName, alert.condition]
    .filter(Boolean)
    .join('\n')
    .toLowerCase();
  return {
    alert,
    assetLabel,
    zoneName,
    searchText,
    urgency: priorityRank[alert.priority] * 8 + stateRank[alert.state],
    raisedAtMs: Date.parse(alert.raisedAt),
  };
}

export function toRows(
  alerts: readonly Alert[],
  assets: ReadonlyMap<string, AssetLabel>,
  zones: ReadonlyMap<string, string>,
): AlertRow[] {
  return alerts.map((alert) => toRow(alert, assets, zones));
}

/**
 * `toRows` that remembers: an alert object the socket did not replace keeps its row, so a batch of changes
 * among ten thousand alerts builds only the changed rows. Start a new one when the names change.
 */
export function rowBuilder(
  assets: ReadonlyMap<string, AssetLabel>,
  zones: ReadonlyMap<string, string>,
): (alerts: readonly Alert[]) => AlertRow[] {
  let built = new Map<string, AlertRow>();
  return (alerts) => {
    const rows = alerts.map((alert) => {
      const known = built.get(alert.id);
      if (known?.alert === alert) return known;
      const row = toRow(alert, assets, zones);
      built.set(alert.id, row);
      return row;
    });
    // Closed alerts leave rows behind; start afresh once they outnumber the open ones.
    if (built.size > 2 * rows.length + 100) built = new Map(rows.map((row) => [row.alert.id, row]));
    return rows;
  };
}

/** The rows `filter` lets through; the words of its text are split once, not once per row. */
export function filterRows(rows: readonly AlertRow[], filter: AlertFilter): AlertRow[] {
  const words = filter.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return rows.filter((row) => matchesFilter(row, filter, words));
}

export function matchesFilter(
  row: AlertRow,
  filter: AlertFilter,
  words: readonly string[] = filter.text.trim().toLowerCase().split(/\s+/).filter(Boolean),
): boolean {
  const { alert } = row;
  if (filter.priorities.length > 0 && !filter.priorities.includes(alert.priority)) return false;
  if (filter.states.length > 0 ? !filter.states.includes(alert.state) : !isStanding(alert)) return false;
  if (filter.zoneId !== null && alert.zoneId !== filter.zoneId) return false;
  if (filter.assetId !== null && alert.assetId !== filter.assetId) return false;
  return words.every((word) => row.searchText.includes(word));
}

const byText = (a: string | null, b: string | null): number => {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a.localeCompare(b);
};

function compareBy(key: SortKey, a: AlertRow, b: AlertRow): number {
  switch (key) {
    case 'priority':
      return a.urgency - b.urgency;
    case 'state':
      return stateRank[a.alert.state] - stateRank[b.alert.state];
    case 'raisedAt':
      return a.raisedAtMs - b.raisedAtMs;
    case 'asset':
      return byText(a.assetLabel, b.assetLabel);
    case 'zone':
      return byText(a.zoneName, b.zoneName);
    case 'rule':
      return a.alert.ruleName.localeCompare(b.alert.ruleName);
    case 'value':
      return (a.alert.lastValue ?? -Infinity) - (b.alert.lastValue ?? -Infinity);
  }
}

/** Sorted by `sort`, then newest first, then by id, so equal rows never swap places between refreshes. */
export function sortRows(rows: readonly AlertRow[], sort: AlertSort): AlertRow[] {
  const direction = sort.descending ? -1 : 1;
  return [...rows].sort(
    (a, b) =>
      direction * compareBy(sort.key, a, b) ||
      compareBy('raisedAt', b, a) ||
      (a.alert.id < b.alert.id ? -1 : a.alert.id > b.alert.id ? 1 : 0),
  );
}

export type PriorityCounts = Record<AlertPriority, { standing: number; unacknowledged: number }>;

export function priorityCounts(alerts: readonly Alert[]): PriorityCounts {
  const counts = Object.fromEntries(
    alertPriorities.map((priority) => [priority, { standing: 0, unacknowledged: 0 }]),
  ) as PriorityCounts;
  for (const alert of alerts) {
    if (!isStanding(alert)) continue;
    counts[alert.priority].standing += 1;
    if (needsAcknowledgement(alert)) counts[alert.priority].unacknowledged += 1;
  }
  return counts;
}
