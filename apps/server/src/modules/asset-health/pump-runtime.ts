/*
 * What counts as a pump running. A pump's device reports one of these metrics; the first one found is used:
 *   pump_state / run_state / running: 0 stopped, 1 running (running above 0.5)
 *   power_kw: running above 0.5 kW (a stopped pump's controller draws less)
 *   flow_lpm: running above 1 l/min (a closed non-return valve may weep)
 * The pump_starts rule takes the same threshold as its `runningAbove` parameter.
 */
export const RUNNING_METRICS: readonly { readonly key: string; readonly runningAbove: number }[] = [
  { key: 'pump_state', runningAbove: 0.5 },
  { key: 'run_state', runningAbove: 0.5 },
  { key: 'running', runningAbove: 0.5 },
  { key: 'power_kw', runningAbove: 0.5 },
  { key: 'flow_lpm', runningAbove: 1 },
];

export interface TimedValue {
  /** Epoch ms. */
  readonly time: number;
  readonly value: number;
}

export interface RuntimeTotals {
  readonly runtimeHours: number;
  readonly starts: number;
  readonly startsPerHour: number;
  /** Share of [from, to) in which the pump's state was known. */
  readonly availability: number;
  /** The state at `to`, or null when the last reading is older than the gap allowed. */
  readonly running: boolean | null;
}

const HOUR_MS = 3_600_000;

/**
 * Runtime, starts and availability over [from, to) from readings oldest first (the last one before `from`
 * included, which sets the state the period opens in). Each reading's state holds until the next reading, or for
 * at most `maxGapMs`: past that the pump is unknown (a silent pump is not available).
 * @example pumpRuntime([{ time: 0, value: 1 }, { time: 1_800_000, value: 0 }], 0, 3_600_000, 0.5, 3_600_000)
 *   // runtime 0.5 h, 0 starts (it was running when the period opened), availability 1
 */
export function pumpRuntime(
  points: readonly TimedValue[],
  from: number,
  to: number,
  runningAbove: number,
  maxGapMs: number,
): RuntimeTotals {
  let runningMs = 0;
  let knownMs = 0;
  let starts = 0;
  let previous: boolean | null = null;
  for (let i = 0; i < points.length; i += 1) {
    const point = points[i] as TimedValue;
    if (point.time >= to) break;
    const running = point.value > runningAbove;
    if (point.time >= from && running && previous === false) starts += 1;
    previous = running;
    const next = points[i + 1];
    const end = Math.min(next ? next.time : to, point.time + maxGapMs, to);
    const span = Math.max(0, end - Math.max(point.time, from));
    knownMs += span;
    if (running) runningMs += span;
  }
  const last = points.filter((p) => p.time < to).at(-1);
  const periodH = (to - from) / HOUR_MS;
  return {
    runtimeHours: runningMs / HOUR_MS,
    starts,
    startsPerHour: periodH > 0 ? starts / periodH : 0,
    availability: to > from ? knownMs / (to - from) : 0,
    running: last && to - last.time <= maxGapMs ? last.value > runningAbove : null,
  };
}
