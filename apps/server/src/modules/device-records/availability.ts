import type { TenantTransaction } from '@tidewatch/db';
import type { DeviceAvailability, ZoneAvailability } from '@tidewatch/shared';
import { notFound } from '../../http/app-error.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { inZoneLimit } from '../../http/zone-scope.ts';
import { csvText } from '../telemetry/trend-query.ts';
import { findDevice } from '../devices/device.routes.ts';

export interface Period {
  readonly from: string;
  readonly to: string;
}

interface DeviceRow {
  id: string;
  name: string;
  asset_id: string | null;
  period_s: number;
  downtime_s: number;
}

/**
 * Seconds each device existed within the period (from its creation, up to now) and seconds of it offline, from
 * the downtimes the server recorded (silence past DEVICE_OFFLINE_AFTER_S, or `offline` on its status topic); a
 * downtime still open counts up to now.
 */
const availabilitySql = (where: string) => `
  WITH bounds AS (SELECT $1::timestamptz AS p_from, least($2::timestamptz, now()) AS p_to)
  SELECT d.id, d.name, d.asset_id,
         greatest(0, extract(epoch FROM b.p_to - greatest(b.p_from, d.created_at)))::float8 AS period_s,
         coalesce((SELECT sum(greatest(0, extract(epoch FROM least(coalesce(w.ended_at, now()), b.p_to)
                                                      - greatest(w.started_at, b.p_from, d.created_at))))
                     FROM device_downtimes w
                    WHERE w.device_id = d.id AND w.started_at < b.p_to
                      AND coalesce(w.ended_at, 'infinity') > b.p_from), 0)::float8 AS downtime_s
    FROM devices d CROSS JOIN bounds b
   WHERE ${where}
   ORDER BY d.name, d.id`;

const uptime = (periodS: number, downtimeS: number): number | null =>
  periodS > 0 ? Math.round(10_000 * (1 - Math.min(downtimeS, periodS) / periodS)) / 100 : null;

export async function deviceAvailability(
  tx: TenantTransaction,
  ctx: TenantContext,
  deviceId: string,
  period: Period,
): Promise<DeviceAvailability> {
  await findDevice(tx, ctx, deviceId);
  const [row] = await tx.$queryRawUnsafe<DeviceRow[]>(
    availabilitySql('d.id = $3::uuid'),
    period.from,
    period.to,
    deviceId,
  );
  if (!row) throw notFound('Device');
  const downtimes = await tx.deviceDowntime.findMany({
    where: {
      deviceId,
      startedAt: { lt: new Date(period.to) },
      OR: [{ endedAt: null }, { endedAt: { gt: new Date(period.from) } }],
    },
    orderBy: { startedAt: 'asc' },
    take: 10_000,
  });
  return {
    deviceId: row.id,
    name: row.name,
    assetId: row.asset_id,
    from: period.from,
    to: period.to,
    periodS: row.period_s,
    downtimeS: row.downtime_s,
    uptimePercent: uptime(row.period_s, row.downtime_s),
    downtimes: downtimes.map((d) => ({
      id: d.id,
      startedAt: d.startedAt.toISOString(),
      endedAt: d.endedAt?.toISOString() ?? null,
      reason: d.reason,
    })),
  };
}

/** Each device on the zone's assets, and the zone's up time over all of them (weighted by how long each existed). */
export async function zoneAvailability(
  tx: TenantTransaction,
  ctx: TenantContext,
  zoneId: string,
  period: Period,
): Promise<ZoneAvailability> {
  const zone = await tx.zone.findUnique({ where: { id: zoneId }, select: { id: true } });
  if (!zone || !inZoneLimit(ctx, zoneId)) throw notFound('Zone');
  const rows = await tx.$queryRawUnsafe<DeviceRow[]>(
    availabilitySql('d.asset_id IN (SELECT id FROM assets WHERE zone_id = $3::uuid)'),
    period.from,
    period.to,
    zoneId,
  );
  const periodS = rows.reduce((sum, row) => sum + row.period_s, 0);
  const downtimeS = rows.reduce((sum, row) => sum + Math.min(row.downtime_s, row.period_s), 0);
  return {
    zoneId,
    from: period.from,
    to: period.to,
    uptimePercent: uptime(periodS, downtimeS),
    devices: rows.map((row) => ({
      deviceId: row.id,
      name: row.name,
      assetId: row.asset_id,
      from: period.from,
      to: period.to,
      periodS: row.period_s,
      downtimeS: row.downtime_s,
      uptimePercent: uptime(row.period_s, row.downtime_s),
    })),
  };
}

export function deviceAvailabilityCsv(availability: DeviceAvailability): string {
  const lines = ['started_at,ended_at,duration_s,reason'];
  const end = Math.min(Date.parse(availability.to), Date.now());
  for (const d of availability.downtimes) {
    const duration = ((d.endedAt ? Date.parse(d.endedAt) : end) - Date.parse(d.startedAt)) / 1000;
    lines.push(
      [d.startedAt, d.endedAt ?? '', String(Math.max(0, duration)), csvText(d.reason ?? '')].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function zoneAvailabilityCsv(availability: ZoneAvailability): string {
  const lines = ['device_id,device,asset_id,period_s,downtime_s,uptime_percent'];
  for (const d of availability.devices) {
    lines.push(
      [
        d.deviceId,
        csvText(d.name),
        d.assetId ?? '',
        d.periodS.toFixed(0),
        d.downtimeS.toFixed(0),
        d.uptimePercent === null ? '' : d.uptimePercent.toFixed(2),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
