import { z } from 'zod';
import { retentionLimits } from '../domain/retention.ts';

const days = (kind: 'raw' | 'minute' | 'hour') =>
  z.number().int().min(retentionLimits[kind].floorDays).max(retentionLimits[kind].ceilingDays);

const retentionDaysSchema = z.object({
  rawDays: z.number().int(),
  minuteDays: z.number().int(),
  /** null: hourly rollups are kept forever. */
  hourDays: z.number().int().nullable(),
});

export const tenantRetentionSchema = z
  .object({
    /** The tenant's own settings; null follows the server's. */
    settings: z.object({
      rawDays: z.number().int().nullable(),
      minuteDays: z.number().int().nullable(),
      hourDays: z.number().int().nullable(),
    }),
    /** What applies: the tenant's settings, else the server's, a coarser resolution never before a finer one. */
    effective: retentionDaysSchema,
    serverDefaults: retentionDaysSchema,
    /** A shorter setting saved on purpose and not yet applied by the retention job. */
    cutPending: z.boolean(),
  })
  .meta({ id: 'TenantRetention' });
export type TenantRetention = z.infer<typeof tenantRetentionSchema>;

/** Days of raw readings, 1-minute and hourly rollups for one tenant; null follows the server's setting. */
export const updateTenantRetentionSchema = z
  .strictObject({
    rawDays: days('raw').nullable(),
    minuteDays: days('minute').nullable(),
    hourDays: days('hour').nullable(),
  })
  .meta({ id: 'UpdateTenantRetention' });
export type UpdateTenantRetention = z.infer<typeof updateTenantRetentionSchema>;
