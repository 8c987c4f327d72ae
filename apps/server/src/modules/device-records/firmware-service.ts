import type { Prisma, TenantTransaction } from '@tidewatch/db';
import type { createFirmwareRecordSchema, FirmwareRecord } from '@tidewatch/shared';
import type { z } from 'zod';
import type { TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { findDevice } from '../devices/device.routes.ts';

type CreateFirmware = z.infer<typeof createFirmwareRecordSchema>;
type FirmwareRow = Prisma.DeviceFirmwareGetPayload<object>;

const toFirmware = (row: FirmwareRow): FirmwareRecord => ({
  id: row.id,
  deviceId: row.deviceId,
  version: row.version,
  installedAt: row.installedAt.toISOString(),
  note: row.note,
  recordedBy: row.recordedBy,
  createdAt: row.createdAt.toISOString(),
});

/** The firmware versions a device ran, newest first. */
export async function listFirmware(
  tx: TenantTransaction,
  ctx: TenantContext,
  deviceId: string,
): Promise<FirmwareRecord[]> {
  await findDevice(tx, ctx, deviceId);
  const rows = await tx.deviceFirmware.findMany({
    where: { deviceId },
    orderBy: [{ installedAt: 'desc' }, { createdAt: 'desc' }],
    take: 500,
  });
  return rows.map(toFirmware);
}

/** Records a firmware installed on a device; the newest installation is the device's current version. */
export async function recordFirmware(
  tx: TenantTransaction,
  ctx: TenantContext,
  deviceId: string,
  body: CreateFirmware,
): Promise<FirmwareRecord> {
  await findDevice(tx, ctx, deviceId);
  const installedAt = body.installedAt ? new Date(body.installedAt) : new Date();
  const row = await tx.deviceFirmware.create({
    data: {
      tenantId: ctx.tenantId,
      deviceId,
      version: body.version,
      installedAt,
      note: body.note,
      recordedBy: ctx.principal.userId,
    },
  });
  const newest = await tx.deviceFirmware.findFirst({
    where: { deviceId },
    orderBy: [{ installedAt: 'desc' }, { createdAt: 'desc' }],
    select: { version: true },
  });
  await tx.device.update({
    where: { id: deviceId },
    data: { firmwareVersion: newest?.version ?? body.version, updatedAt: new Date() },
  });
  await recordAudit(tx, ctx, {
    action: 'device.firmware',
    resourceType: 'device',
    resourceId: deviceId,
    details: { version: body.version, installedAt: installedAt.toISOString() },
  });
  return toFirmware(row);
}
