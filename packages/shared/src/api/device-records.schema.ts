import { z } from 'zod';
import { timestampSchema } from './common.ts';

export const calibrationSchema = z
  .object({
    id: z.uuid(),
    seriesId: z.int(),
    metricKey: z.string(),
    scale: z.number(),
    offset: z.number(),
    validFrom: z.string().nullable(),
    /** Null: still in force. */
    validTo: z.string().nullable(),
    note: z.string().nullable(),
    createdBy: z.uuid().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Calibration' });
export type Calibration = z.infer<typeof calibrationSchema>;

/**
 * A new calibration of one series from `validFrom` on: ingest stores `raw * scale + offset` for readings at or
 * after it. The calibration in force then ends where this one starts; one starting later is refused (409).
 */
export const createCalibrationSchema = z
  .strictObject({
    seriesId: z.int().positive(),
    scale: z
      .number()
      .refine(
        (v) => Number.isFinite(v) && v !== 0 && Math.abs(v) <= 1e6,
        'a finite number, not 0, within ±1e6',
      ),
    offset: z.number().refine((v) => Number.isFinite(v) && Math.abs(v) <= 1e9, 'a finite number within ±1e9'),
    validFrom: timestampSchema,
    note: z.string().trim().max(2000).nullable().default(null),
  })
  .meta({ id: 'CreateCalibration' });
export type CreateCalibration = z.infer<typeof createCalibrationSchema>;

export const firmwareRecordSchema = z
  .object({
    id: z.uuid(),
    deviceId: z.uuid(),
    version: z.string(),
    installedAt: z.string(),
    note: z.string().nullable(),
    recordedBy: z.uuid().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'FirmwareRecord' });
export type FirmwareRecord = z.infer<typeof firmwareRecordSchema>;

/** A firmware installed on a device; the newest by `installedAt` becomes the device's current version. */
export const createFirmwareRecordSchema = z
  .strictObject({
    version: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/, 'letters, digits and . _ + - only, at most 100'),
    installedAt: timestampSchema.optional().describe('Default: now'),
    note: z.string().trim().max(2000).nullable().default(null),
  })
  .meta({ id: 'CreateFirmwareRecord' });

/** A period to measure availability over: at most 366 days; by default the 30 days up to now. */
export const availabilityQuerySchema = z
  .strictObject({
    from: timestampSchema.optional().describe('Default: 30 days before `to`'),
    to: timestampSchema.optional().describe('Default: now'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  .transform((q, ctx) => {
    const to = q.to ?? new Date().toISOString();
    const from = q.from ?? new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
    if (Date.parse(to) <= Date.parse(from))
      ctx.addIssue({ code: 'custom', message: 'to must be after from', path: ['to'] });
    if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) {
      ctx.addIssue({ code: 'custom', message: 'at most 366 days', path: ['from'] });
    }
    return { from, to, format: q.format };
  });

export const downtimeSchema = z
  .object({
    id: z.uuid(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'Downtime' });

export const deviceAvailabilitySchema = z
  .object({
    deviceId: z.uuid(),
    name: z.string(),
    assetId: z.uuid().nullable(),
    from: z.string(),
    to: z.string(),
    /** Seconds of the period the device existed (from its creation on). */
    periodS: z.number(),
    downtimeS: z.number(),
    /** Null when the device did not exist during the period. */
    uptimePercent: z.number().nullable(),
    downtimes: z.array(downtimeSchema),
  })
  .meta({ id: 'DeviceAvailability' });
export type DeviceAvailability = z.infer<typeof deviceAvailabilitySchema>;

export const zoneAvailabilitySchema = z
  .object({
    zoneId: z.uuid(),
    from: z.string(),
    to: z.string(),
    /** Up time over the summed periods of the zone's devices; null without devices. */
    uptimePercent: z.number().nullable(),
    devices: z.array(deviceAvailabilitySchema.omit({ downtimes: true })),
  })
  .meta({ id: 'ZoneAvailability' });
export type ZoneAvailability = z.infer<typeof zoneAvailabilitySchema>;
