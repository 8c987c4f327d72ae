import { z } from 'zod';
import { alertConditions, alertPriorities, alertStates, alertTargetScopes } from '../domain/alerts.ts';
import { assetKinds } from '../domain/assets.ts';
import { pageQuerySchema, safeTextSchema } from './common.ts';

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
  })
  .meta({ id: 'AlertRule' });
export type AlertRule = z.infer<typeof alertRuleSchema>;

const ruleFields = {
  name: safeTextSchema(200),
  description: z.string().trim().max(2000).nullable().default(null),
  condition: z.enum(alertConditions),
  priority: z.enum(alertPriorities),
  scope: z.enum(alertTargetScopes),
  seriesId: z.number().int().positive().nullable().default(null),
  assetId: z.uuid().nullable().default(null),
  assetKind: z.enum(assetKinds).nullable().default(null),
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
  params: z.record(z.string(), z.json()).default({}),
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

const thresholdConditions: readonly string[] = ['high', 'high_high', 'low', 'low_low', 'rate_of_change'];

export const createAlertRuleSchema = z
  .strictObject(ruleFields)
  .refine(
    (r) =>
      (r.scope === 'series') === (r.seriesId !== null) &&
      (r.scope === 'asset') === (r.assetId !== null) &&
      (r.scope === 'asset_kind') === (r.assetKind !== null),
    { message: 'give exactly the target of the scope: seriesId, assetId or assetKind', path: ['scope'] },
  )
  .refine((r) => !thresholdConditions.includes(r.condition) || r.setpoint !== null, {
    message: 'this condition needs a setpoint',
    path: ['setpoint'],
  })
  .refine(
    (r) => ['device_offline', 'no_data'].includes(r.condition) || r.scope === 'series' || r.metricId !== null,
    {
      message: 'a rule on an asset or asset kind names the metric it watches',
      path: ['metricId'],
    },
  )
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
    params: z.record(z.string(), z.json()).optional(),
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
