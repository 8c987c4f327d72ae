import { z } from 'zod';

/** Why an asset's health score is below 100: what was found, and the points it costs. */
export const assetHealthReasonSchema = z.object({
  code: z.enum(['completeness', 'battery', 'downtime', 'alarms', 'calibration']),
  penalty: z.int().min(0).max(100),
  detail: z.string(),
});
export type AssetHealthReason = z.infer<typeof assetHealthReasonSchema>;

/**
 * A pump's run record over the period, from its run-state, power or flow series: running while the value is above
 * `runningAbove`. `availability` is the share of the period the pump reported (a reading holds for at most the
 * gap the service allows); a start is a reading running after one that was not.
 */
export const pumpRuntimeSchema = z.object({
  seriesId: z.int(),
  metricKey: z.string(),
  runningAbove: z.number(),
  periodH: z.number(),
  runtimeHours: z.number(),
  starts: z.int(),
  startsPerHour: z.number(),
  availability: z.number().min(0).max(1),
  running: z.boolean().nullable(),
});
export type PumpRuntime = z.infer<typeof pumpRuntimeSchema>;

export const assetHealthSchema = z
  .object({
    assetId: z.uuid(),
    name: z.string(),
    kind: z.string(),
    /** 100 less the reasons' penalties, never below 0. */
    score: z.int().min(0).max(100),
    reasons: z.array(assetHealthReasonSchema),
    pump: pumpRuntimeSchema.nullable(),
    at: z.iso.datetime(),
  })
  .meta({ id: 'AssetHealth' });
export type AssetHealth = z.infer<typeof assetHealthSchema>;

/** Every asset's score, for colouring the map. */
export const assetHealthListSchema = z
  .object({
    items: z.array(z.object({ assetId: z.uuid(), score: z.int().min(0).max(100) })),
    at: z.iso.datetime(),
  })
  .meta({ id: 'AssetHealthList' });
export type AssetHealthList = z.infer<typeof assetHealthListSchema>;
