import type { AlertRow } from './alert-rows.ts';

/** The alerts of one asset within a flood group. */
export interface AssetGroup {
  readonly label: string;
  readonly rows: readonly AlertRow[];
}

/**
 * Alerts of a flood with a probable common cause: raised in the same zone (one burst main, one lost supply shows
 * as many alarms across a zone), split by asset, the first raised marked: where the operator looks first.
 */
export interface FloodGroup {
  readonly key: string;
  readonly zoneName: string;
  readonly first: AlertRow;
  readonly count: number;
  readonly assets: readonly AssetGroup[];
}

/**
 * Groups the open alerts raised since `sinceMs` by zone, then asset; the largest group (then the earliest)
 * first, and within a group the assets in the order their first alert was raised.
 * @example floodGroups(rows, Date.parse(flood.since) - flood.windowS * 1000)
 */
export function floodGroups(rows: readonly AlertRow[], sinceMs: number): FloodGroup[] {
  const inFlood = rows
    .filter((row) => row.alert.closedAt === null && row.raisedAtMs >= sinceMs)
    .sort((a, b) => a.raisedAtMs - b.raisedAtMs || a.alert.id.localeCompare(b.alert.id));
  const zones = new Map<string, AlertRow[]>();
  for (const row of inFlood) {
    const key = row.alert.zoneId ?? 'none';
    const members = zones.get(key);
    if (members) members.push(row);
    else zones.set(key, [row]);
  }
  const groups: FloodGroup[] = [];
  for (const [key, members] of zones) {
    const first = members[0];
    if (!first) continue;
    const assets = new Map<string, AlertRow[]>();
    for (const row of members) {
      const label = row.assetLabel ?? 'No asset';
      const list = assets.get(label);
      if (list) list.push(row);
      else assets.set(label, [row]);
    }
    groups.push({
      key,
      zoneName: first.zoneName ?? 'No zone',
      first,
      count: members.length,
      assets: [...assets].map(([label, list]) => ({ label, rows: list })),
    });
  }
  return groups.sort((a, b) => b.count - a.count || a.first.raisedAtMs - b.first.raisedAtMs);
}
