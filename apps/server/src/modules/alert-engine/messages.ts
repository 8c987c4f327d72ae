import type { EngineRule, Target } from './rule-cache.ts';

const conditionNames: Record<EngineRule['condition'], string> = {
  high: 'high',
  high_high: 'high-high',
  low: 'low',
  low_low: 'low-low',
  rate_of_change: 'rate of change',
  no_data: 'no data',
  device_offline: 'offline',
  anomaly: 'anomaly',
  night_flow_step: 'night flow step',
  forecast: 'forecast',
  pump_starts: 'pump starts',
};

const isThreshold = (rule: EngineRule): boolean =>
  ['high', 'high_high', 'low', 'low_low'].includes(rule.condition);

/**
 * The one line an operator reads first: where, what, and the numbers.
 * @example alertMessage(rule, target, '392.4 above 380') // 'Tank T-12: level_cm 392.4 above 380 (high-high, Tank overflow)'
 */
export function alertMessage(rule: EngineRule, target: Target, detail: string): string {
  const what =
    rule.condition === 'device_offline'
      ? `device offline for at least ${String(rule.windowS ?? 0)} s`
      : rule.condition === 'no_data'
        ? `no ${target.metricKey ?? 'data'} for ${String(rule.windowS ?? 0)} s`
        : rule.condition === 'night_flow_step'
          ? detail
          : `${target.metricKey ?? 'value'} ${detail}${target.unit && isThreshold(rule) ? ` ${target.unit}` : ''}`;
  return `${target.label}: ${what} (${conditionNames[rule.condition]}, ${rule.name})`;
}
