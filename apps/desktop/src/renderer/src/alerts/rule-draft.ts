import {
  createAlertRuleSchema,
  type AlertCondition,
  type AlertPriority,
  type AlertRule,
  type AlertTargetScope,
  type AssetKind,
} from '@tidewatch/shared';
import type { RuleChange, RuleInput } from './alert-rule-queries.ts';

export type RateDirection = 'rise' | 'fall' | 'both';
type RuleParams = NonNullable<RuleInput['params']>;

/** A rule as the editor holds it: numbers as typed, every target field kept while the scope changes. */
export interface RuleDraft {
  readonly name: string;
  readonly condition: AlertCondition;
  readonly priority: AlertPriority;
  readonly scope: AlertTargetScope;
  readonly seriesId: string;
  readonly assetId: string;
  readonly assetKind: AssetKind | '';
  readonly tag: string;
  readonly zoneId: string;
  readonly metricId: string;
  readonly setpoint: string;
  readonly deadband: string;
  readonly onDelayS: string;
  readonly offDelayS: string;
  readonly windowS: string;
  readonly cooldownS: string;
  readonly direction: RateDirection;
  /** An anomaly rule's tuning, kept as it was saved (the editor changes only its cycle). */
  readonly anomalyParams: RuleParams;
  /** Anomaly: one baseline (`none`) or one per hour of the week (`week`, the demand cycle). */
  readonly cycle: 'none' | 'week';
  /** Pump starts: the value above which the pump runs. */
  readonly runningAbove: string;
  /** Forecast: the levels and the horizon. */
  readonly fullLevel: string;
  readonly emptyLevel: string;
  readonly horizonS: string;
  /** Other kinds' tuning (night-flow step), kept as it was saved. */
  readonly otherParams: RuleParams;
  readonly escalateAfterS: number | null;
  readonly description: string | null;
  readonly enabled: boolean;
}

export const conditionLabels: Readonly<Record<AlertCondition, string>> = {
  high: 'High',
  high_high: 'High-high',
  low: 'Low',
  low_low: 'Low-low',
  rate_of_change: 'Rate of change',
  no_data: 'No data',
  device_offline: 'Device offline',
  anomaly: 'Anomaly',
  night_flow_step: 'Night flow step (DMA)',
  forecast: 'Forecast (time to full or empty)',
  pump_starts: 'Pump starts (too many in the window)',
};

export const scopeLabels: Readonly<Record<AlertTargetScope, string>> = {
  series: 'One series',
  asset: 'A metric on an asset',
  asset_kind: 'A metric on every asset of a kind',
  zone: 'A district metered area',
  tag: 'A metric on every asset or device with a tag',
};

const limitConditions: readonly AlertCondition[] = [
  'high',
  'high_high',
  'low',
  'low_low',
  'rate_of_change',
  'pump_starts',
];

/** Which fields a condition uses, so the editor shows only those. */
export const usesLimit = (condition: AlertCondition): boolean => limitConditions.includes(condition);
export const usesDelays = (condition: AlertCondition): boolean =>
  condition !== 'no_data' && condition !== 'device_offline';
export const usesWindow = (condition: AlertCondition): boolean =>
  ['rate_of_change', 'no_data', 'device_offline', 'anomaly', 'forecast', 'pump_starts'].includes(condition);
/** The preview replays stored readings: rules about silence have none to replay. */
export const canPreview = (condition: AlertCondition): boolean => usesDelays(condition);

export const emptyDraft: RuleDraft = {
  name: '',
  condition: 'high',
  priority: 'high',
  scope: 'series',
  seriesId: '',
  assetId: '',
  assetKind: '',
  tag: '',
  zoneId: '',
  metricId: '',
  setpoint: '',
  deadband: '0',
  onDelayS: '0',
  offDelayS: '0',
  windowS: '',
  cooldownS: '0',
  direction: 'both',
  anomalyParams: {},
  cycle: 'week',
  runningAbove: '0.5',
  fullLevel: '',
  emptyLevel: '',
  horizonS: '1800',
  otherParams: {},
  escalateAfterS: null,
  description: null,
  enabled: true,
};

const text = (value: number | null): string => (value === null ? '' : String(value));

const paramText = (value: unknown, fallback: string): string =>
  typeof value === 'number' ? String(value) : fallback;

export function draftOf(rule: AlertRule): RuleDraft {
  const direction = rule.params.direction;
  return {
    name: rule.name,
    condition: rule.condition,
    priority: rule.priority,
    scope: rule.scope,
    seriesId: text(rule.seriesId),
    assetId: rule.assetId ?? '',
    assetKind: rule.assetKind ?? '',
    tag: rule.tag ?? '',
    zoneId: rule.zoneId ?? '',
    metricId: rule.metricId ?? '',
    setpoint: text(rule.setpoint),
    deadband: String(rule.deadband),
    onDelayS: String(rule.onDelayS),
    offDelayS: String(rule.offDelayS),
    windowS: text(rule.windowS),
    cooldownS: String(rule.cooldownS),
    direction: direction === 'rise' || direction === 'fall' ? direction : 'both',
    // As the server saved them: JSON by construction.
    anomalyParams: rule.condition === 'anomaly' ? (rule.params as RuleParams) : {},
    cycle: rule.params.cycle === 'week' ? 'week' : 'none',
    runningAbove: paramText(rule.params.runningAbove, '0.5'),
    fullLevel: paramText(rule.params.fullLevel, ''),
    emptyLevel: paramText(rule.params.emptyLevel, ''),
    horizonS: paramText(rule.params.horizonS, '1800'),
    otherParams: rule.condition === 'night_flow_step' ? (rule.params as RuleParams) : {},
    escalateAfterS: rule.escalateAfterS,
    description: rule.description,
    enabled: rule.enabled,
  };
}

/** A typed number, or null for an empty field (NaN stays, so the shared schema names the field). */
const numberOrNull = (value: string): number | null => (value.trim() === '' ? null : Number(value));
const orNull = (value: string): string | null => (value === '' ? null : value);

function params(draft: RuleDraft): RuleParams {
  if (draft.condition === 'rate_of_change') return { direction: draft.direction };
  if (draft.condition === 'anomaly') return { ...draft.anomalyParams, cycle: draft.cycle };
  if (draft.condition === 'pump_starts') return { runningAbove: numberOrNull(draft.runningAbove) ?? 0.5 };
  if (draft.condition === 'forecast') {
    return {
      fullLevel: numberOrNull(draft.fullLevel),
      emptyLevel: numberOrNull(draft.emptyLevel),
      horizonS: numberOrNull(draft.horizonS) ?? 1800,
    };
  }
  if (draft.condition === 'night_flow_step') return { ...draft.otherParams };
  return {};
}

/**
 * The rule to create or preview: only the target of the chosen scope, only the fields the condition uses.
 * @example ruleInput({ ...emptyDraft, name: 'Tank high', seriesId: '7', setpoint: '380' }).seriesId // 7
 */
export function ruleInput(draft: RuleDraft): RuleInput {
  const limit = usesLimit(draft.condition);
  const delays = usesDelays(draft.condition);
  return {
    name: draft.name,
    description: draft.description,
    condition: draft.condition,
    priority: draft.priority,
    scope: draft.scope,
    seriesId: draft.scope === 'series' ? numberOrNull(draft.seriesId) : null,
    assetId: draft.scope === 'asset' ? orNull(draft.assetId) : null,
    assetKind: draft.scope === 'asset_kind' && draft.assetKind !== '' ? draft.assetKind : null,
    tag: draft.scope === 'tag' ? orNull(draft.tag.trim()) : null,
    zoneId:
      draft.scope === 'asset_kind' || draft.scope === 'zone' || draft.scope === 'tag'
        ? orNull(draft.zoneId)
        : null,
    metricId: draft.scope === 'series' ? null : orNull(draft.metricId),
    setpoint: limit ? numberOrNull(draft.setpoint) : null,
    deadband: limit ? (numberOrNull(draft.deadband) ?? 0) : 0,
    onDelayS: delays ? (numberOrNull(draft.onDelayS) ?? 0) : 0,
    offDelayS: delays ? (numberOrNull(draft.offDelayS) ?? 0) : 0,
    windowS: usesWindow(draft.condition) ? numberOrNull(draft.windowS) : null,
    params: params(draft),
    cooldownS: numberOrNull(draft.cooldownS) ?? 0,
    escalateAfterS: draft.escalateAfterS,
    enabled: draft.enabled,
  };
}

/** What a saved rule may change: its target and condition stay as they were created. */
export function ruleChange(draft: RuleDraft): RuleChange {
  const input = ruleInput(draft);
  return {
    name: input.name,
    priority: input.priority,
    setpoint: input.setpoint ?? null,
    deadband: input.deadband ?? 0,
    onDelayS: input.onDelayS ?? 0,
    offDelayS: input.offDelayS ?? 0,
    windowS: input.windowS ?? null,
    params: input.params ?? {},
    cooldownS: input.cooldownS ?? 0,
    enabled: input.enabled ?? true,
  };
}

/** What is wrong with the draft before it is sent, in the shared schema's words, or null. */
export function draftProblem(draft: RuleDraft): string | null {
  const parsed = createAlertRuleSchema.safeParse(ruleInput(draft));
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  return issue ? `${issue.path.join('.') || 'rule'}: ${issue.message}` : 'The rule is not complete';
}
