import { z } from 'zod';
import { createAlertRuleSchema } from './alert.schema.ts';

/** How far back a rule preview looks. */
export const ALERT_RULE_PREVIEW_DAYS = 7;
/** Raise times a preview lists at most (the counts are always complete). */
export const ALERT_RULE_PREVIEW_MAX_RAISES = 100;

/** A rule preview takes a rule as it would be created; nothing is saved. */
export const previewAlertRuleSchema = createAlertRuleSchema;
export type PreviewAlertRule = z.infer<typeof previewAlertRuleSchema>;

/** Which readings a preview evaluated: the stored ones, or the 1-minute rollup when there were too many. */
export const alertRulePreviewResolutions = ['raw', '1m'] as const;
export type AlertRulePreviewResolution = (typeof alertRulePreviewResolutions)[number];

export const alertRulePreviewTargetSchema = z.object({
  /** `series:<id>` (`zone:<id>` for a DMA), as the alerts of the rule would name it. */
  targetKey: z.string(),
  /** 0 for a DMA. */
  seriesId: z.int(),
  /** Null for a DMA. */
  deviceId: z.uuid().nullable(),
  assetId: z.uuid().nullable(),
  /** The asset's name, else the device's. */
  label: z.string(),
  metricKey: z.string().nullable(),
  /** Readings evaluated. */
  points: z.int(),
  /** Times the rule would have raised (or annunciated again) for this target. */
  raiseCount: z.int(),
  timeInAlarmS: z.number(),
  /** In alarm at the end of the window. */
  activeAtEnd: z.boolean(),
});
export type AlertRulePreviewTarget = z.infer<typeof alertRulePreviewTargetSchema>;

export const alertRulePreviewSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    resolution: z.enum(alertRulePreviewResolutions),
    /** Readings evaluated over all targets. */
    points: z.int(),
    totalRaises: z.int(),
    timeInAlarmS: z.number(),
    raises: z
      .array(z.object({ at: z.string(), seriesId: z.int(), value: z.number().nullable() }))
      .describe(`the earliest raises over all targets, at most ${String(ALERT_RULE_PREVIEW_MAX_RAISES)}`),
    /** More raises happened than `raises` lists. */
    raisesTruncated: z.boolean(),
    targets: z.array(alertRulePreviewTargetSchema),
  })
  .meta({
    id: 'AlertRulePreview',
    description:
      'How often a rule would have raised on the stored readings of its targets, from a normal state, with ' +
      'each alert assumed closed when its condition cleared (for the cooldown)',
  });
export type AlertRulePreview = z.infer<typeof alertRulePreviewSchema>;
