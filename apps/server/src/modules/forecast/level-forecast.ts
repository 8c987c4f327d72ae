import { theilSen } from './theil-sen.ts';

export interface TimedValue {
  /** Epoch ms. */
  readonly time: number;
  readonly value: number;
}

export interface LevelForecast {
  /** The fitted level at the time asked for. */
  readonly level: number;
  /** Change per minute. */
  readonly ratePerMin: number;
  /** Seconds until the level reaches full (0 when already there); null when it is not rising towards it. */
  readonly timeToFullS: number | null;
  readonly timeToEmptyS: number | null;
  /** Readings the line went through. */
  readonly points: number;
}

/** Theil–Sen is quadratic in its points: a longer window is thinned evenly to this many. */
const MAX_FIT_POINTS = 90;

function thin(points: readonly TimedValue[]): readonly TimedValue[] {
  if (points.length <= MAX_FIT_POINTS) return points;
  const step = (points.length - 1) / (MAX_FIT_POINTS - 1);
  return Array.from({ length: MAX_FIT_POINTS }, (_, i) => points[Math.round(i * step)] as TimedValue);
}

/**
 * Where a level is heading: a Theil–Sen line through `points`, read at `at`, and the time it takes that line to
 * reach `full` (rising) or `empty` (falling). A line does not know a pump will stop: this is the time to full if
 * nothing changes, which is what an operator needs to act on. Null with fewer than `minPoints` readings.
 * @example forecastLevel(fillingAt2PerMin, now, 390, 0, 5)?.timeToFullS // (390 - level) / 2 * 60
 */
export function forecastLevel(
  points: readonly TimedValue[],
  at: number,
  full: number | null,
  empty: number | null,
  minPoints: number,
): LevelForecast | null {
  if (points.length < minPoints) return null;
  const fitted = thin(points);
  const line = theilSen(fitted.map((p) => ({ x: (p.time - at) / 60_000, y: p.value })));
  if (line === null) return null;
  const level = line.intercept;
  const rate = line.slope;
  const timeTo = (limit: number | null, rising: boolean): number | null => {
    if (limit === null) return null;
    if (rising ? level >= limit : level <= limit) return 0;
    if (rising ? rate <= 0 : rate >= 0) return null;
    return ((limit - level) / rate) * 60;
  };
  return {
    level,
    ratePerMin: rate,
    timeToFullS: timeTo(full, true),
    timeToEmptyS: timeTo(empty, false),
    points: fitted.length,
  };
}

const minutes = (seconds: number): string => `${String(Math.max(0, Math.round(seconds / 60)))} min`;
const round = (value: number): string => String(Math.round(value * 100) / 100);

/**
 * The sooner of overflow and empty, for alert messages and the asset detail.
 * @example describeForecast(forecast, 390, 0) // 'overflows in 23 min (352 rising 1.65/min to 390)'
 */
export function describeForecast(forecast: LevelForecast, full: number | null, empty: number | null): string {
  const toFull = forecast.timeToFullS;
  const toEmpty = forecast.timeToEmptyS;
  if (toFull !== null && (toEmpty === null || toFull <= toEmpty)) {
    return `overflows in ${minutes(toFull)} (${round(forecast.level)} rising ${round(forecast.ratePerMin)}/min to ${round(full ?? 0)})`;
  }
  if (toEmpty !== null) {
    return `runs empty in ${minutes(toEmpty)} (${round(forecast.level)} falling ${round(-forecast.ratePerMin)}/min to ${round(empty ?? 0)})`;
  }
  return `steady at ${round(forecast.level)} (${round(forecast.ratePerMin)}/min)`;
}
