import type { TenantTransaction } from '@tidewatch/db';
import type { AssetTimeline, TimelineEntry, TimelineKind } from '@tidewatch/shared';
import type { TenantContext } from '../../http/request-context.ts';
import { requireAsset } from './asset-access.ts';

interface EntryRow {
  kind: TimelineKind;
  id: string;
  at: Date;
  end_at: Date | null;
  title: string;
  detail: string | null;
  device_id: string | null;
}

/**
 * Everything that happened to an asset, newest first, in one list: work logged on it, its alerts, and for the
 * devices on it now their calibrations, downtimes, commands and firmware. Each source is read newest first and
 * cut at the page size before they are merged, so a long history costs one page per source.
 */
export async function assetTimeline(
  tx: TenantTransaction,
  ctx: TenantContext,
  assetId: string,
  query: { readonly before?: string | undefined; readonly limit: number },
): Promise<AssetTimeline> {
  await requireAsset(tx, ctx, assetId, 'read');
  const before = query.before ? new Date(query.before) : new Date(Date.now() + 1000);
  const limit = query.limit;
  const rows = await tx.$queryRaw<EntryRow[]>`
    WITH dev AS (SELECT id, name FROM devices WHERE asset_id = ${assetId}::uuid)
    SELECT * FROM (
      (SELECT 'maintenance' AS kind, l.id::text AS id, l.started_at AS at, l.finished_at AS end_at,
              'Maintenance' AS title,
              l.work_done || coalesce(E'\nParts: ' || l.parts_used, '') AS detail, NULL::uuid AS device_id
         FROM maintenance_logs l
        WHERE l.asset_id = ${assetId}::uuid AND l.started_at < ${before}
        ORDER BY l.started_at DESC LIMIT ${limit})
      UNION ALL
      (SELECT 'alert', a.id::text, a.raised_at, a.closed_at,
              initcap(a.priority::text) || ' alert: ' || a.message, replace(a.state::text, '_', ' '), a.device_id
         FROM alerts a
        WHERE a.asset_id = ${assetId}::uuid AND a.raised_at < ${before}
        ORDER BY a.raised_at DESC LIMIT ${limit})
      UNION ALL
      (SELECT 'calibration', c.id::text, lower(c.valid_during), upper(c.valid_during),
              dev.name || ': calibration of ' || m.key,
              'value × ' || c.scale::text || ' + ' || c."offset"::text || coalesce(E'\n' || c.note, ''), s.device_id
         FROM calibrations c JOIN series s ON s.id = c.series_id JOIN dev ON dev.id = s.device_id
         JOIN metrics m ON m.id = s.metric_id
        WHERE lower(c.valid_during) < ${before}
        ORDER BY lower(c.valid_during) DESC LIMIT ${limit})
      UNION ALL
      (SELECT 'downtime', d.id::text, d.started_at, d.ended_at, dev.name || ' offline', d.reason, d.device_id
         FROM device_downtimes d JOIN dev ON dev.id = d.device_id
        WHERE d.started_at < ${before}
        ORDER BY d.started_at DESC LIMIT ${limit})
      UNION ALL
      (SELECT 'command', c.id::text, c.requested_at, coalesce(c.acknowledged_at, c.delivered_at),
              dev.name || ': command ' || c.command, c.state::text || coalesce(' (' || c.failure_reason || ')', ''),
              c.device_id
         FROM device_commands c JOIN dev ON dev.id = c.device_id
        WHERE c.requested_at < ${before}
        ORDER BY c.requested_at DESC LIMIT ${limit})
      UNION ALL
      (SELECT 'firmware', f.id::text, f.installed_at, NULL, dev.name || ': firmware ' || f.version, f.note, f.device_id
         FROM device_firmware f JOIN dev ON dev.id = f.device_id
        WHERE f.installed_at < ${before}
        ORDER BY f.installed_at DESC LIMIT ${limit})
    ) entries
    ORDER BY at DESC, id DESC
    LIMIT ${limit + 1}`;
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const items = page.map((row): TimelineEntry => ({
    kind: row.kind,
    id: row.id,
    at: row.at.toISOString(),
    endAt: row.end_at?.toISOString() ?? null,
    title: row.title,
    detail: row.detail,
    deviceId: row.device_id,
  }));
  // The next page starts before the last entry's time (entries of one microsecond on a page's edge are rare).
  return { items, nextBefore: more ? (items.at(-1)?.at ?? null) : null };
}
