import { useQuery } from '@tanstack/react-query';
import type { CommonUpstream } from '@tidewatch/shared';
import { useMemo } from 'react';
import { apiRequest } from '../api/api-client.ts';
import { useAlertConsoleStore } from '../alerts/alert-console-store.ts';
import { useAlertFlood } from '../alerts/alert-flood.ts';
import type { AlertRow } from '../alerts/alert-rows.ts';
import { floodGroups, type FloodGroup } from '../alerts/flood-groups.ts';
import { formatTime } from './format.ts';

/** The pipe that feeds every alarmed asset of the group: where one fault would explain them all. */
function CommonSupply({ group }: { group: FloodGroup }) {
  const assetIds = [
    ...new Set(
      group.assets.flatMap((asset) =>
        asset.rows.flatMap((row) => (row.alert.assetId ? [row.alert.assetId] : [])),
      ),
    ),
  ].sort();
  const upstream = useQuery({
    queryKey: ['spatial', 'common-upstream', assetIds.join(',')],
    queryFn: ({ signal }) =>
      apiRequest<CommonUpstream>('/spatial/common-upstream', { method: 'POST', body: { assetIds }, signal }),
    enabled: assetIds.length >= 2,
    staleTime: 60_000,
  });
  const pipe = upstream.data?.pipe;
  if (!pipe) return null;
  return (
    <span className="flood-group__cause" title="Every alarmed asset of this group is fed through this pipe">
      probable cause upstream: {pipe.code} {pipe.name}
    </span>
  );
}

/**
 * During an alarm flood: the flood's alerts by probable common cause (zone), then asset, the first raised in each
 * group marked, so the operator starts from the cause rather than the newest row.
 */
export function FloodGroupsPanel({ tenantId, rows }: { tenantId: string; rows: readonly AlertRow[] }) {
  const flood = useAlertFlood(tenantId).data;
  const openDetail = useAlertConsoleStore((state) => state.openDetail);
  const setCursor = useAlertConsoleStore((state) => state.setCursor);
  const since = flood?.active && flood.since ? Date.parse(flood.since) - flood.windowS * 1000 : null;
  const groups = useMemo(() => (since === null ? [] : floodGroups(rows, since)), [rows, since]);
  if (groups.length === 0) return null;
  return (
    <section className="flood-groups" aria-label="Flood by probable cause">
      <h2 className="flood-groups__title">Alarm flood by zone and asset</h2>
      <ul className="flood-groups__list">
        {groups.map((group) => (
          <li key={group.key} className="flood-group" data-testid="flood-group">
            <span className="flood-group__zone">
              {group.zoneName} <span className="flood-group__count">{group.count}</span>
            </span>
            <button
              type="button"
              className="flood-group__first"
              title="Open the first alert of this group"
              onClick={() => {
                setCursor(group.first.alert.id);
                openDetail(group.first.alert.id);
              }}
            >
              <span className="flood-group__first-mark">First</span> {formatTime(group.first.alert.raisedAt)}{' '}
              {group.first.alert.ruleName} · {group.first.assetLabel ?? '—'}
            </button>
            <CommonSupply group={group} />
            <span className="flood-group__assets">
              {group.assets.map((asset) => `${asset.label} (${String(asset.rows.length)})`).join(', ')}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
