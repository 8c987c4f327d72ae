import type { TenantTransaction } from '@tidewatch/db';
import type { Calibration, CreateCalibration } from '@tidewatch/shared';
import { conflict, invalid } from '../../http/app-error.ts';
import type { TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { findDevice } from '../devices/device.routes.ts';

interface CalibrationRow {
  id: string;
  series_id: number;
  metric_key: string;
  scale: number;
  offset: number;
  valid_from: Date | null;
  valid_to: Date | null;
  note: string | null;
  created_by: string | null;
  created_at: Date;
}

const toCalibration = (row: CalibrationRow): Calibration => ({
  id: row.id,
  seriesId: row.series_id,
  metricKey: row.metric_key,
  scale: row.scale,
  offset: row.offset,
  validFrom: row.valid_from?.toISOString() ?? null,
  validTo: row.valid_to?.toISOString() ?? null,
  note: row.note,
  createdBy: row.created_by,
  createdAt: row.created_at.toISOString(),
});

/** Every calibration of the device's series, newest first: the history, and which is in force when. */
export async function listCalibrations(
  tx: TenantTransaction,
  ctx: TenantContext,
  deviceId: string,
): Promise<Calibration[]> {
  await findDevice(tx, ctx, deviceId);
  const rows = await tx.$queryRaw<CalibrationRow[]>`
    SELECT c.id, c.series_id, m.key AS metric_key, c.scale, c."offset", lower(c.valid_during) AS valid_from,
           upper(c.valid_during) AS valid_to, c.note, c.created_by, c.created_at
      FROM calibrations c JOIN series s ON s.id = c.series_id JOIN metrics m ON m.id = s.metric_id
     WHERE s.device_id = ${deviceId}::uuid
     ORDER BY lower(c.valid_during) DESC NULLS LAST, c.created_at DESC`;
  return rows.map(toCalibration);
}

/**
 * Calibrates one series of the device from `validFrom` on. Ingest applies the calibration in force at each
 * reading's time as the reading arrives (readings stored before are not recomputed); the one in force until now
 * ends where this one starts. A calibration already starting at or after `validFrom` is not overwritten (409).
 */
export async function createCalibration(
  tx: TenantTransaction,
  ctx: TenantContext,
  deviceId: string,
  body: CreateCalibration,
): Promise<Calibration> {
  await findDevice(tx, ctx, deviceId);
  const series = await tx.series.findFirst({ where: { id: body.seriesId, deviceId }, select: { id: true } });
  if (!series) throw invalid('seriesId', 'No such series on this device');
  const validFrom = new Date(body.validFrom);
  const later = await tx.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM calibrations
     WHERE series_id = ${body.seriesId} AND lower(valid_during) >= ${validFrom}`;
  if (Number(later[0]?.n ?? 0) > 0) {
    throw conflict('A calibration of this series starts at or after that time');
  }
  await tx.$executeRaw`
    UPDATE calibrations SET valid_during = tstzrange(lower(valid_during), ${validFrom}, '[)')
     WHERE series_id = ${body.seriesId} AND valid_during @> ${validFrom}::timestamptz`;
  const [created] = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO calibrations (tenant_id, series_id, scale, "offset", valid_during, note, created_by)
    VALUES (${ctx.tenantId}::uuid, ${body.seriesId}, ${body.scale}, ${body.offset},
            tstzrange(${validFrom}, NULL, '[)'), ${body.note}, ${ctx.principal.userId}::uuid)
    RETURNING id`;
  if (!created) throw new Error('the calibration was not stored');
  await recordAudit(tx, ctx, {
    action: 'calibration.create',
    resourceType: 'device',
    resourceId: deviceId,
    details: {
      calibrationId: created.id,
      seriesId: body.seriesId,
      scale: body.scale,
      offset: body.offset,
      validFrom: body.validFrom,
    },
  });
  const all = await listCalibrations(tx, ctx, deviceId);
  const calibration = all.find((c) => c.id === created.id);
  if (!calibration) throw new Error('the calibration just stored is not readable');
  return calibration;
}
