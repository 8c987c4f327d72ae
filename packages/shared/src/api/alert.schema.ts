import { z } from 'zod';
import {
  alertConditions,
  alertPriorities,
  alertStates,
  alertTargetScopes,
  type AlertCondition,
  type AlertTargetScope,
} from '../domain/alerts.ts';
import { assetKinds } from '../domain/assets.ts';
import { tagSchema } from './tag.schema.ts';
import {
  archivedAtSchema,
  archivedQuerySchema,
  jsonbObjectSchema,
  pageQuerySchema,
  safeTextSchema,
} from './common.ts';

export const alertRuleSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    condition: z.enum(alertConditions),
    priority: z.enum(alertPriorities),
    scope: z.enum(alertTargetScopes),
    seriesId: z.number().int().nullable(),
    assetId: z.uuid().nullable(),
    assetKind: z.enum(assetKinds).nullable(),
    tag: z.string().nullable(),
    zoneId: z.uuid().nullable(),
    metricId: z.uuid().nullable(),
    setpoint: z.number().nullable(),
    deadband: z.number(),
    onDelayS: z.number().int(),
    offDelayS: z.number().int(),
    windowS: z.number().int().nullable(),
    params: z.record(z.string(), z.unknown()),
    cooldownS: z.number().int(),
    escalateAfterS: z.number().int().nullable(),
    enabled: z.boolean(),
    version: z.number().int(),
    updatedAt: z.string(),
    archivedAt: archivedAtSchema,
  })
  .meta({ id: 'AlertRule' });
export type AlertRule = z.infer<typeof alertRuleSchema>;

export const alertRuleQuerySchema = pageQuerySchema.extend({ archived: archivedQuerySchema });
export type AlertRuleQuery = z.infer<typeof alertRuleQuerySchema>;

const ruleFields = {
  name: safeTextSchema(200),
  description: z.string().trim().max(2000).nullable().default(null),
  condition: z.enum(alertConditions),
  priority: z.enum(alertPriorities),
  scope: z.enum(alertTargetScopes),
  seriesId: z.number().int().positive().nullable().default(null),
  assetId: z.uuid().nullable().default(null),
  assetKind: z.enum(assetKinds).nullable().default(null),
  tag: tagSchema.nullable().default(null).describe('Scope tag: every asset or device with this tag'),
  zoneId: z.uuid().nullable().default(null),
  metricId: z.uuid().nullable().default(null),
  setpoint: z.number().nullable().default(null),
  deadband: z.number().min(0).default(0),
  onDelayS: z.number().int().min(0).max(86_400).default(0),
  offDelayS: z.number().int().min(0).max(86_400).default(0),
  windowS: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .nullable()
    .default(null),
  params: jsonbObjectSchema(z.json()).default({}),
  cooldownS: z.number().int().min(0).max(86_400).default(0),
  escalateAfterS: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .nullable()
    .default(null),
  enabled: z.boolean().default(true),
};

const thresholdConditions: readonly string[] = [
  'high',
  'high_high',
  'low',
  'low_low',
  'rate_of_change',
  'pump_starts',
];

/** Tuning of an anomaly rule: an EWMA of the series learns its normal level and spread. */
export const anomalyParamsSchema = z.strictObject({
  method: z.literal('ewma').default('ewma'),
  /** Weight of each new reading in the mean and variance. */
  alpha: z.number().gt(0).max(1).default(0.05),
  /** How many standard deviations away a reading is anomalous. */
  sigmas: z.number().gt(0).max(50).default(4),
  /** Below this, the alert clears (the deadband of an anomaly rule); default sigmas - 1. */
  clearSigmas: z.number().min(0).max(50).optional(),
  /** Readings learned before the rule may raise. */
  warmupSamples: z.int().min(2).max(1_000_000).default(288),
  /**
   * `week`: one mean and spread per hour of the week (168, in the tenant's time zone), so the daily demand pattern
   * is normal while a 03:00 flow that belongs at 08:00 is not. `none`: one mean and spread for every hour.
   */
  cycle: z.enum(['none', 'week']).default('none'),
  /** With `cycle: week`, readings an hour of the week must have learned before it may raise. */
  cycleWarmup: z.int().min(1).max(100_000).default(4),
  /** With `cycle: week`, weeks of hourly rollups a new rule learns from before its first reading. */
  historyWeeks: z.int().min(1).max(12).default(2),
  /** With `cycle: week`, the spread is at least this fraction of the hour's mean (a quiet hour is not hair-trigger). */
  minSpreadFraction: z.number().min(0).max(10).default(0.05),
});
export type AnomalyParams = z.infer<typeof anomalyParamsSchema>;

/** Tuning of a rate-of-change rule: which direction of change counts. */
export const rateParamsSchema = z.strictObject({
  direction: z.enum(['rise', 'fall', 'both']).default('both'),
});
export type RateParams = z.infer<typeof rateParamsSchema>;

/**
 * Tuning of a night-flow step rule on a DMA: each night's minimum night flow against the median of the nights
 * before it (nights it flagged left out), with a tolerance learnt from their spread.
 */
export const nightFlowStepParamsSchema = z.strictObject({
  /** Nights before the one judged that set its usual level. */
  historyNights: z.int().min(3).max(60).default(14),
  /** Judged nights of history needed before the rule may raise. */
  minHistoryNights: z.int().min(3).max(60).default(7),
  /** How many robust standard deviations (1.4826 × median absolute deviation) above usual is a step. */
  sigmas: z.number().gt(0).max(50).default(4),
  /** A rise smaller than this, in litres per hour, is never a step, however quiet the history. */
  minStepLph: z.number().min(0).max(1e9).default(0),
  /** Nor is a rise smaller than this fraction of the usual night flow. */
  minStepFraction: z.number().min(0).max(10).default(0.05),
});
export type NightFlowStepParams = z.infer<typeof nightFlowStepParamsSchema>;

/**
 * Tuning of a forecast rule on a level: a robust (Theil–Sen) line through the readings of the rule's window,
 * extended to the full or empty level. Give at least one of them, in the metric's unit.
 */
export const forecastParamsSchema = z
  .strictObject({
    /** Raises when the level is predicted to reach full or empty within this many seconds. */
    horizonS: z
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(1800),
    fullLevel: z.number().nullable().default(null),
    emptyLevel: z.number().nullable().default(null),
    /** Readings in the window needed for a prediction. */
    minPoints: z.int().min(3).max(100_000).default(5),
  })
  .refine((p) => p.fullLevel !== null || p.emptyLevel !== null, {
    message: 'give fullLevel, emptyLevel or both',
  })
  .refine((p) => p.fullLevel === null || p.emptyLevel === null || p.emptyLevel < p.fullLevel, {
    message: 'emptyLevel must be below fullLevel',
  });
export type ForecastParams = z.infer<typeof forecastParamsSchema>;

/**
 * Tuning of a pump-starts rule: the setpoint is the most starts allowed within the rule's window. The pump runs
 * while its series is above `runningAbove`: 0.5 for a run-state (0 stopped, 1 running), a minimum flow or power
 * for a flow or power series. A start is a reading above it after one at or below it.
 */
export const pumpStartsParamsSchema = z.strictObject({
  runningAbove: z.number().min(-1e9).max(1e9).default(0.5),
});
export type PumpStartsParams = z.infer<typeof pumpStartsParamsSchema>;

/** The fields that decide whether a rule is coherent, as created or after a change. */
export interface RuleShape {
  readonly condition: AlertCondition;
  readonly scope: AlertTargetScope;
  readonly seriesId: number | null;
  readonly assetId: string | null;
  readonly assetKind: string | null;
  readonly tag?: string | null;
  /** The zone a rule is narrowed to, or (scope `zone`) the DMA it watches. */
  readonly zoneId?: string | null;
  readonly metricId: string | null;
  readonly setpoint: number | null;
  readonly windowS: number | null;
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * What is wrong with a rule, as `{ path, message }`, or null when it is coherent. Used by the create schema and
 * by rule changes, which are checked on the merged result.
 * @example ruleShapeIssue({ ...rule, condition: 'no_data', windowS: null }) // { path: 'windowS', ... }
 */
export function ruleShapeIssue(r: RuleShape): { path: string; message: string } | null {
  if (
    (r.scope === 'series') !== (r.seriesId !== null) ||
    (r.scope === 'asset') !== (r.assetId !== null) ||
    (r.scope === 'asset_kind') !== (r.assetKind !== null) ||
    (r.scope === 'tag') !== ((r.tag ?? null) !== null)
  ) {
    return {
      path: 'scope',
      message: 'give exactly the target of the scope: seriesId, assetId, assetKind or tag',
    };
  }
  if ((r.scope === 'zone') !== (r.condition === 'night_flow_step')) {
    return { path: 'scope', message: 'a night-flow step rule, and only it, watches a DMA: scope zone' };
  }
  if (r.scope === 'zone' && (r.zoneId ?? null) === null) {
    return { path: 'zoneId', message: 'a night-flow step rule names the DMA (zoneId) it watches' };
  }
  if (thresholdConditions.includes(r.condition) && r.setpoint === null) {
    return { path: 'setpoint', message: 'this condition needs a setpoint' };
  }
  if (
    !['device_offline', 'no_data', 'night_flow_step'].includes(r.condition) &&
    r.scope !== 'series' &&
    r.metricId === null
  ) {
    return { path: 'metricId', message: 'a rule on an asset, asset kind or tag names the metric it watches' };
  }
  if (['rate_of_change', 'no_data', 'forecast', 'pump_starts'].includes(r.condition) && r.windowS === null) {
    return { path: 'windowS', message: 'this condition needs a window in seconds' };
  }
  const params =
    r.condition === 'anomaly'
      ? anomalyParamsSchema.safeParse(r.params)
      : r.condition === 'rate_of_change'
        ? rateParamsSchema.safeParse(r.params)
        : r.condition === 'night_flow_step'
          ? nightFlowStepParamsSchema.safeParse(r.params)
          : r.condition === 'forecast'
            ? forecastParamsSchema.safeParse(r.params)
            : r.condition === 'pump_starts'
              ? pumpStartsParamsSchema.safeParse(r.params)
              : z.strictObject({}).safeParse(r.params);
  if (!params.success) {
    const issue = params.error.issues[0];
    return {
      path: ['params', ...(issue?.path ?? []).map(String)].join('.'),
      message: issue?.message ?? 'not valid for this condition',
    };
  }
  return null;
}

export const createAlertRuleSchema = z
  .strictObject(ruleFields)
  .superRefine((rule, ctx) => {
    const issue = ruleShapeIssue(rule);
    if (issue) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path.split('.') });
  })
  .meta({ id: 'CreateAlertRule' });
export type CreateAlertRule = z.infer<typeof createAlertRuleSchema>;

export const updateAlertRuleSchema = z
  .strictObject({
    name: ruleFields.name.optional(),
    description: z.string().trim().max(2000).nullable().optional(),
    priority: z.enum(alertPriorities).optional(),
    setpoint: z.number().nullable().optional(),
    deadband: z.number().min(0).optional(),
    onDelayS: z.number().int().min(0).max(86_400).optional(),
    offDelayS: z.number().int().min(0).max(86_400).optional(),
    windowS: z
      .number()
      .int()
      .min(1)
      .max(30 * 86_400)
      .nullable()
      .optional(),
    params: jsonbObjectSchema(z.json()).optional(),
    cooldownS: z.number().int().min(0).max(86_400).optional(),
    escalateAfterS: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .nullable()
      .optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateAlertRule' });
export type UpdateAlertRule = z.infer<typeof updateAlertRuleSchema>;

export const alertSchema = z
  .object({
    id: z.uuid(),
    ruleId: z.uuid(),
    ruleName: z.string(),
    condition: z.enum(alertConditions),
    state: z.enum(alertStates),
    priority: z.enum(alertPriorities),
    originalPriority: z.enum(alertPriorities),
    message: z.string(),
    conditionActive: z.boolean(),
    seriesId: z.number().int().nullable(),
    deviceId: z.uuid().nullable(),
    assetId: z.uuid().nullable(),
    zoneId: z.uuid().nullable(),
    raisedAt: z.string(),
    raisedValue: z.number().nullable(),
    lastValue: z.number().nullable(),
    returnedAt: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    acknowledgedBy: z.uuid().nullable(),
    shelvedUntil: z.string().nullable(),
    shelveReason: z.string().nullable(),
    escalatedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    /** When the alarm was found chattering (raised again and again within a short window), or null. */
    chatteringSince: z.string().nullable(),
  })
  .meta({ id: 'Alert' });
export type Alert = z.infer<typeof alertSchema>;

export const alertTransitionSchema = z
  .object({
    id: z.string(),
    fromState: z.enum(alertStates).nullable(),
    toState: z.enum(alertStates),
    at: z.string(),
    userId: z.uuid().nullable(),
    /** Who made it, by name (null for the system's own transitions). */
    userName: z.string().nullable(),
    comment: z.string().nullable(),
    value: z.number().nullable(),
  })
  .meta({ id: 'AlertTransition' });

export const alertDetailSchema = alertSchema
  .extend({ transitions: z.array(alertTransitionSchema) })
  .meta({ id: 'AlertDetail' });

const csv = <const T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((text) => text.split(','))
    .pipe(z.array(z.enum(values)).min(1).max(20));

export const alertQuerySchema = pageQuerySchema.extend({
  open: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('true: only open alerts; false: only closed'),
  state: csv(alertStates).optional(),
  priority: csv(alertPriorities).optional(),
  zoneId: z.uuid().optional(),
  assetId: z.uuid().optional(),
});
export type AlertQuery = z.infer<typeof alertQuerySchema>;

/** What an operator writes on an alert; kept with the transition. */
const commentSchema = z.string().trim().min(1).max(2000);

export const acknowledgeAlertSchema = z
  .strictObject({ comment: commentSchema.optional() })
  .meta({ id: 'AcknowledgeAlert' });
export type AcknowledgeAlert = z.infer<typeof acknowledgeAlertSchema>;

export const bulkAcknowledgeSchema = z
  .strictObject({ ids: z.array(z.uuid()).min(1).max(500), comment: commentSchema.optional() })
  .meta({ id: 'BulkAcknowledge' });
export type BulkAcknowledge = z.infer<typeof bulkAcknowledgeSchema>;

export const bulkAcknowledgeResultSchema = z
  .object({
    acknowledged: z.array(alertSchema),
    /** Alerts left as they were: not found (or not visible), or in a state that needs no acknowledgement. */
    skipped: z.array(z.object({ id: z.uuid(), reason: z.enum(['not_found', 'not_unacknowledged']) })),
  })
  .meta({ id: 'BulkAcknowledgeResult' });
export type BulkAcknowledgeResult = z.infer<typeof bulkAcknowledgeResultSchema>;

export const shelveAlertSchema = z
  .strictObject({
    /** Longer than OPERATOR_MAX_SHELVE_SECONDS needs `alert:shelve_long`. */
    durationS: z
      .int()
      .min(60)
      .max(7 * 24 * 3600),
    reason: commentSchema,
  })
  .meta({ id: 'ShelveAlert' });
export type ShelveAlert = z.infer<typeof shelveAlertSchema>;

export const alertCommentSchema = z.strictObject({ comment: commentSchema }).meta({ id: 'AlertComment' });
export type AlertComment = z.infer<typeof alertCommentSchema>;

export const optionalCommentSchema = z
  .strictObject({ comment: commentSchema.optional() })
  .meta({ id: 'OptionalComment' });

export const alertFloodSchema = z
  .object({
    active: z.boolean(),
    /** New alerts in the window, as of the last evaluation. */
    count: z.int(),
    threshold: z.int(),
    windowS: z.int(),
    since: z.string().nullable(),
    changedAt: z.string().nullable(),
  })
  .meta({ id: 'AlertFlood' });
export type AlertFlood = z.infer<typeof alertFloodSchema>;

export const alertKpiQuerySchema = z.object({
  from: z.iso.datetime({ offset: true }).optional().describe('default: 24 hours before `to`'),
  to: z.iso.datetime({ offset: true }).optional().describe('default: now'),
  staleAfterS: z.coerce
    .number()
    .int()
    .min(60)
    .max(90 * 86_400)
    .default(86_400)
    .describe('an open alert older than this is standing (stale)'),
});
export type AlertKpiQuery = z.infer<typeof alertKpiQuerySchema>;

export const alertKpisSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    alertsPerHour: z.array(z.object({ hour: z.string(), count: z.int() })),
    /** Average alerts per hour over the range: ISA-18.2 aims at no more than about 6 per operator. */
    averagePerHour: z.number(),
    timeToAcknowledge: z.object({
      count: z.int(),
      meanS: z.number().nullable(),
      medianS: z.number().nullable(),
      p90S: z.number().nullable(),
    }),
    standing: z.object({
      count: z.int(),
      staleAfterS: z.int(),
      oldest: z.array(alertSchema).describe('up to 20, oldest first'),
    }),
    topFrequent: z.array(
      z.object({
        ruleId: z.uuid(),
        ruleName: z.string(),
        targetKey: z.string(),
        /** What the operator knows it by: the asset (or device) and the metric, e.g. "OHT Kondapur 3 · Level". */
        targetName: z.string(),
        assetId: z.uuid().nullable(),
        count: z.int(),
      }),
    ),
  })
  .meta({ id: 'AlertKpis' });
export type AlertKpis = z.infer<typeof alertKpisSchema>;

export const alertChangesQuerySchema = z.object({
  after: z.coerce.number().int().min(0).describe('the last sequence the client saw'),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

/** One alert change: the alert as it is now, and the sequence of its newest change in this range. */
export const alertChangeSchema = z
  .object({ sequence: z.int(), alert: alertSchema })
  .meta({ id: 'AlertChange' });

export const alertChangesSchema = z
  .object({
    items: z.array(alertChangeSchema),
    /** Pass as `after` for the next call; equals `after` when nothing changed. */
    lastSequence: z.int(),
    /** More changes wait beyond `limit`. */
    more: z.boolean(),
  })
  .meta({ id: 'AlertChanges' });
export type AlertChanges = z.infer<typeof alertChangesSchema>;
