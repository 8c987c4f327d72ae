import { describeForecast, forecastLevel, type TimedValue } from '../forecast/level-forecast.ts';
import { emptyCycle, learnCycleBucket, type Cycle } from './demand-cycle.ts';
import type { EngineRule } from './rule-cache.ts';

/** What a value rule carries between readings of one target (persisted in alert_rule_states). */
export interface RuleState {
  /** The condition after deadband and delays. */
  active: boolean;
  /** Epoch ms of the reading from which the condition held, waiting out the on-delay. */
  pendingSince: number | null;
  /** Epoch ms of the reading from which the condition cleared beyond the deadband, waiting out the off-delay. */
  clearingSince: number | null;
  /** Epoch ms of the reading the state last changed on. */
  lastTime: number | null;
  lastValue: number | null;
  mean: number | null;
  variance: number | null;
  samples: number;
  /** Anomaly rules with the demand cycle: what each hour of the week has learnt. */
  cycle: Cycle | null;
}

/** A rule and target seen for the first time: normal, nothing learnt (as a new `alert_rule_states` row). */
export const initialRuleState = (): RuleState => ({
  active: false,
  pendingSince: null,
  clearingSince: null,
  lastTime: null,
  lastValue: null,
  mean: null,
  variance: null,
  samples: 0,
  cycle: null,
});

export type Verdict = 'raise' | 'clear' | null;

/** Where a reading stands against a rule: beyond the alarm limit, back beyond the deadband, or in between. */
export interface Judgement {
  readonly on: boolean;
  readonly off: boolean;
  /** For the alert message: what was measured against what. */
  readonly detail: string;
}

/**
 * The latch with deadband and delays. Inactive: the condition must hold from one reading for `onDelayMs` (a
 * reading in between that does not hold restarts it). Active: it must clear beyond the deadband for `offDelayMs`.
 * Readings inside the deadband keep the latch as it is, so a value oscillating around the limit raises once.
 */
export function stepLatch(
  state: RuleState,
  judgement: Pick<Judgement, 'on' | 'off'>,
  time: number,
  onDelayMs: number,
  offDelayMs: number,
): Verdict {
  if (!state.active) {
    state.clearingSince = null;
    if (!judgement.on) {
      state.pendingSince = null;
      return null;
    }
    state.pendingSince ??= time;
    if (time - state.pendingSince < onDelayMs) return null;
    state.pendingSince = null;
    state.active = true;
    return 'raise';
  }
  state.pendingSince = null;
  if (!judgement.off) {
    state.clearingSince = null;
    return null;
  }
  state.clearingSince ??= time;
  if (time - state.clearingSince < offDelayMs) return null;
  state.clearingSince = null;
  state.active = false;
  return 'clear';
}

const format = (value: number): string => String(Math.round(value * 1000) / 1000);

/** High, high-high, low and low-low limits. */
export function judgeThreshold(rule: EngineRule, value: number): Judgement {
  const setpoint = rule.setpoint ?? 0;
  if (rule.condition === 'low' || rule.condition === 'low_low') {
    return {
      on: value < setpoint,
      off: value >= setpoint + rule.deadband,
      detail: `${format(value)} below ${format(setpoint)}`,
    };
  }
  return {
    on: value > setpoint,
    off: value <= setpoint - rule.deadband,
    detail: `${format(value)} above ${format(setpoint)}`,
  };
}

/** Change against the first reading of the window; `baseline` null when the window holds no earlier reading. */
export function judgeRate(rule: EngineRule, value: number, baseline: number | null): Judgement {
  if (baseline === null) return { on: false, off: true, detail: '' };
  const change = value - baseline;
  const signed =
    rule.rate.direction === 'rise' ? change : rule.rate.direction === 'fall' ? -change : Math.abs(change);
  const limit = rule.setpoint ?? 0;
  return {
    on: signed > limit,
    off: signed <= limit - rule.deadband,
    detail: `changed by ${format(change)} in ${String(rule.windowS ?? 0)} s (limit ${format(limit)})`,
  };
}

/**
 * Distance from the learned mean in standard deviations; nothing is anomalous before the warm-up. A series that
 * never varied has a tiny spread, so any change in it is far out.
 */
export function judgeAnomaly(rule: EngineRule, state: RuleState, value: number): Judgement {
  const { sigmas, warmupSamples } = rule.anomaly;
  const clearSigmas = rule.anomaly.clearSigmas ?? Math.max(sigmas - 1, 0);
  if (state.mean === null || state.variance === null || state.samples < warmupSamples) {
    return { on: false, off: true, detail: '' };
  }
  const spread = Math.max(Math.sqrt(state.variance), Math.abs(state.mean) * 1e-9, 1e-9);
  const z = Math.abs(value - state.mean) / spread;
  return {
    on: z > sigmas,
    off: z <= clearSigmas,
    detail: `${format(value)} is ${z.toFixed(1)} standard deviations from its usual ${format(state.mean)}`,
  };
}

/**
 * Anomaly with the demand cycle: distance from the mean of the reading's hour of the week, in that hour's standard
 * deviations (at least `minSpreadFraction` of its mean). An hour that has not learnt `cycleWarmup` readings judges
 * nothing yet.
 */
export function judgeCycleAnomaly(
  rule: EngineRule,
  state: RuleState,
  value: number,
  hour: number | undefined,
): Judgement {
  const { sigmas, cycleWarmup, minSpreadFraction } = rule.anomaly;
  const clearSigmas = rule.anomaly.clearSigmas ?? Math.max(sigmas - 1, 0);
  const bucket = hour === undefined ? null : (state.cycle?.[hour] ?? null);
  if (bucket === null || bucket.n < cycleWarmup) return { on: false, off: true, detail: '' };
  const spread = Math.max(
    Math.sqrt(bucket.variance),
    Math.abs(bucket.mean) * minSpreadFraction,
    Math.abs(bucket.mean) * 1e-9,
    1e-9,
  );
  const z = Math.abs(value - bucket.mean) / spread;
  return {
    on: z > sigmas,
    off: z <= clearSigmas,
    detail: `${format(value)} is ${z.toFixed(1)} standard deviations from its usual ${format(bucket.mean)} at this hour of the week`,
  };
}

/** Folds a reading into its hour of the week; `samples` counts every reading learnt. */
export function learnCycle(state: RuleState, value: number, hour: number, alpha: number): void {
  const cycle = state.cycle ?? emptyCycle();
  cycle[hour] = learnCycleBucket(cycle[hour] ?? null, value, alpha);
  state.cycle = cycle;
  state.samples += 1;
}

/**
 * Pump starts within the window: readings above `runningAbove` after one at or below it, in `recent` (oldest
 * first, the window up to the reading; its first reading only sets the state the pump was in).
 */
export function countStarts(recent: readonly TimedValue[], runningAbove: number): number {
  let starts = 0;
  for (let i = 1; i < recent.length; i += 1) {
    const before = recent[i - 1] as TimedValue;
    const now = recent[i] as TimedValue;
    if (now.value > runningAbove && before.value <= runningAbove) starts += 1;
  }
  return starts;
}

/** More starts in the window than the setpoint allows; clears once they fall to setpoint - deadband. */
export function judgePumpStarts(rule: EngineRule, recent: readonly TimedValue[]): Judgement {
  const starts = countStarts(recent, rule.pumpStarts.runningAbove);
  const limit = rule.setpoint ?? 0;
  return {
    on: starts > limit,
    off: starts <= limit - rule.deadband,
    detail: `${String(starts)} starts in ${String(Math.round((rule.windowS ?? 0) / 60))} min (limit ${format(limit)})`,
  };
}

/** Folds a reading into the exponentially weighted mean and variance. */
export function learn(state: RuleState, value: number, alpha: number): void {
  if (state.mean === null || state.variance === null || state.samples === 0) {
    state.mean = value;
    state.variance = 0;
    state.samples = 1;
    return;
  }
  const diff = value - state.mean;
  const increment = alpha * diff;
  state.mean += increment;
  state.variance = (1 - alpha) * (state.variance + diff * increment);
  state.samples += 1;
}

/**
 * Whether the level's trend over the rule's window (`recent`, oldest first, up to the reading) reaches full or
 * empty within the horizon. Without enough readings for a line there is no prediction, which clears.
 */
export function judgeForecast(rule: EngineRule, recent: readonly TimedValue[], time: number): Judgement {
  const { fullLevel, emptyLevel, horizonS, minPoints } = rule.forecast;
  const forecast = forecastLevel(recent, time, fullLevel, emptyLevel, minPoints);
  if (forecast === null) return { on: false, off: true, detail: '' };
  const soonest = Math.min(forecast.timeToFullS ?? Infinity, forecast.timeToEmptyS ?? Infinity);
  return {
    on: soonest <= horizonS,
    off: soonest > horizonS,
    detail: describeForecast(forecast, fullLevel, emptyLevel),
  };
}

/** What a reading is judged with besides its value: a rate's baseline, a forecast's window of readings. */
export interface ReadingContext {
  readonly baseline: number | null;
  /** Readings of the rule's window up to and including this one, oldest first (forecast, pump starts). */
  readonly recent?: readonly TimedValue[];
  /** The reading's hour of the week in the tenant's time zone (anomaly rules with the demand cycle). */
  readonly hourOfWeek?: number;
}

/** A reading against its rule: rate of change against its baseline, anomaly against what was learned, else a limit. */
export function judgeReading(
  rule: EngineRule,
  state: RuleState,
  reading: TimedValue,
  context: ReadingContext,
): Judgement {
  switch (rule.condition) {
    case 'rate_of_change':
      return judgeRate(rule, reading.value, context.baseline);
    case 'anomaly':
      return rule.anomaly.cycle === 'week'
        ? judgeCycleAnomaly(rule, state, reading.value, context.hourOfWeek)
        : judgeAnomaly(rule, state, reading.value);
    case 'forecast':
      return judgeForecast(rule, context.recent ?? [], reading.time);
    case 'pump_starts':
      return judgePumpStarts(rule, context.recent ?? []);
    default:
      return judgeThreshold(rule, reading.value);
  }
}

/**
 * One reading of one target through its rule, as the engine applies it: judged, latched with the rule's deadband
 * and delays, and (anomaly rules) learned after judging. Changes `state`; the caller acts on the verdict.
 */
export function stepReading(
  rule: EngineRule,
  state: RuleState,
  reading: TimedValue,
  context: ReadingContext | number | null,
): { verdict: Verdict; judgement: Judgement } {
  const given = typeof context === 'number' || context === null ? { baseline: context } : context;
  const judgement = judgeReading(rule, state, reading, given);
  const verdict = stepLatch(state, judgement, reading.time, rule.onDelayS * 1000, rule.offDelayS * 1000);
  // A value the rule flags is not learnt: a standing anomaly must not become the new normal.
  if (rule.condition === 'anomaly' && !judgement.on) {
    if (rule.anomaly.cycle !== 'week') learn(state, reading.value, rule.anomaly.alpha);
    else if (given.hourOfWeek !== undefined) {
      learnCycle(state, reading.value, given.hourOfWeek, rule.anomaly.alpha);
    }
  }
  return { verdict, judgement };
}

/**
 * A raise refused by the rule's cooldown: the latch stays off with its on-delay already served (pending since
 * it began), so the next reading that holds, or the delay job, raises at once when the cooldown is over.
 */
export function holdForCooldown(state: RuleState, pendingSince: number | null, time: number): void {
  state.active = false;
  state.pendingSince = pendingSince ?? time;
}

/**
 * When a delay that is running comes due without a new reading (epoch ms), or null: the on-delay of a pending
 * raise, the off-delay of a pending clear. The engine's delay job acts on the same condition in SQL.
 */
export function delayDueAt(state: RuleState, onDelayMs: number, offDelayMs: number): number | null {
  if (!state.active && state.pendingSince !== null) return state.pendingSince + onDelayMs;
  if (state.active && state.clearingSince !== null) return state.clearingSince + offDelayMs;
  return null;
}
