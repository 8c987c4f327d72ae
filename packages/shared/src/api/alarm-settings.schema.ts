import { z } from 'zod';

/**
 * A tenant's alarm-system policy: an alarm of one rule and target raised `chatterRaises` times within
 * `chatterWindowS` seconds is flagged as chattering, and with `chatterShelveMinutes` set it is also shelved for
 * that long, the reason recorded on the shelving.
 */
export const alarmSettingsSchema = z
  .object({
    chatterRaises: z.number().int().min(2).max(100),
    chatterWindowS: z.number().int().min(10).max(3600),
    chatterShelveMinutes: z.number().int().min(1).max(1440).nullable(),
  })
  .meta({ id: 'AlarmSettings' });
export type AlarmSettings = z.infer<typeof alarmSettingsSchema>;

export const updateAlarmSettingsSchema = alarmSettingsSchema
  .partial()
  .strict()
  .refine((body) => Object.keys(body).length > 0, 'at least one setting')
  .meta({ id: 'UpdateAlarmSettings' });
export type UpdateAlarmSettings = z.infer<typeof updateAlarmSettingsSchema>;
