import type { AlertCondition } from '@tidewatch/shared';

/** A stretch of time in alarm, in steps of the simulation grid; `clearStep: null` is still in alarm. */
export interface Episode {
  readonly raiseStep: number;
  readonly clearStep: number | null;
  readonly raisedValue: number;
  readonly lastValue: number;
}

/**
 * Where a threshold rule would have been in alarm: it raises once the condition has held for the
 * on-delay and clears only beyond the deadband, so a value hovering at the limit raises once.
 */
export function thresholdEpisodes(
  values: Float64Array,
  condition: AlertCondition,
  setpoint: number,
  deadband: number,
  onDelaySteps: number,
): Episode[] {
  const high = condition === 'high' || condition === 'high_high';
  const inAlarm = (v: number): boolean => (high ? v >= setpoint : v <= setpoint);
  const cleared = (v: number): boolean => (high ? v < setpoint - deadband : v > setpoint + deadband);
  const episodes: Episode[] = [];
  let held = 0;
  let open: { raiseStep: number; raisedValue: number } | null = null;
  let lastValue = Number.NaN;
  for (let step = 0; step < values.length; step += 1) {
    const value = values[step] ?? Number.NaN;
    if (Number.isNaN(value)) continue;
    lastValue = value;
    if (open) {
      if (cleared(value)) {
        episodes.push({ ...open, clearStep: step, lastValue: value });
        open = null;
        held = 0;
      }
    } else {
      held = inAlarm(value) ? held + 1 : 0;
      if (held > onDelaySteps) open = { raiseStep: step, raisedValue: value };
    }
  }
  if (open) episodes.push({ ...open, clearStep: null, lastValue });
  return episodes;
}

/** Silences longer than `timeoutSteps`: raised that long after the last reading, cleared by the next one. */
export function silenceEpisodes(values: Float64Array, timeoutSteps: number): Episode[] {
  const episodes: Episode[] = [];
  let silentFrom = -1;
  for (let step = 0; step <= values.length; step += 1) {
    const silent = step < values.length && Number.isNaN(values[step] ?? Number.NaN);
    if (silent && silentFrom < 0) silentFrom = step;
    if (!silent && silentFrom > 0) {
      const raiseStep = silentFrom - 1 + timeoutSteps;
      if (raiseStep < step) {
        episodes.push({
          raiseStep,
          clearStep: step < values.length ? step : null,
          raisedValue: Number.NaN,
          lastValue: Number.NaN,
        });
      }
      silentFrom = -1;
    }
  }
  return episodes;
}
