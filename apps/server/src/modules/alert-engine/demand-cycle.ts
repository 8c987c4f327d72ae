/*
 * The anomaly rule with the demand cycle: one mean and variance per hour of the week, in the tenant's time zone.
 * Water demand follows the day (low at night, peaks morning and evening) and the week, so one baseline for every
 * hour either alarms at each morning peak or is too wide to see a night flow that belongs to the morning.
 */

/** Hours in a week: Monday 00:00 is bucket 0, Sunday 23:00 is bucket 167. */
export const HOURS_OF_WEEK = 168;

/** What one hour of the week has learnt: mean, variance and how many readings. */
export interface CycleBucket {
  mean: number;
  variance: number;
  n: number;
}

export type Cycle = (CycleBucket | null)[];

export const emptyCycle = (): Cycle => Array.from({ length: HOURS_OF_WEEK }, () => null);

const formatters = new Map<string, Intl.DateTimeFormat>();
const weekdays: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/**
 * The hour of the week of an instant in a time zone, 0 (Monday 00:00–01:00) to 167. The SQL that bootstraps from
 * hourly rollups computes the same: (isodow - 1) * 24 + hour, of the time at the tenant's zone.
 * @example hourOfWeek(Date.parse('2026-12-07T03:30:00Z'), 'UTC') // 3 (a Monday)
 */
export function hourOfWeek(time: number, timeZone: string): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, format);
  }
  let day = 0;
  let hour = 0;
  for (const part of format.formatToParts(time)) {
    if (part.type === 'weekday') day = weekdays[part.value] ?? 0;
    if (part.type === 'hour') hour = Number(part.value) % 24;
  }
  return day * 24 + hour;
}

/** Whether a zone's local hours begin on UTC's whole hours (now; zones with a half-hour offset keep it). */
export function wholeHourZone(timeZone: string, at = Date.now()): boolean {
  const minute = new Intl.DateTimeFormat('en-US', { timeZone, minute: 'numeric' })
    .formatToParts(at)
    .find((part) => part.type === 'minute');
  return Number(minute?.value ?? 0) === new Date(at).getUTCMinutes();
}

/**
 * Folds a reading into its hour's mean and variance. Until an hour has seen 1/alpha readings each weighs equally
 * (a plain mean and population variance, so a few weeks are enough); after that the weight is alpha, so the
 * baseline follows a slow change in demand.
 */
export function learnCycleBucket(bucket: CycleBucket | null, value: number, alpha: number): CycleBucket {
  if (bucket === null || bucket.n === 0) return { mean: value, variance: 0, n: 1 };
  const weight = Math.max(alpha, 1 / (bucket.n + 1));
  const diff = value - bucket.mean;
  const increment = weight * diff;
  return {
    mean: bucket.mean + increment,
    variance: (1 - weight) * (bucket.variance + diff * increment),
    n: bucket.n + 1,
  };
}

/** The cycle as stored (jsonb): 168 entries, each null or [mean, variance, n]. */
export function cycleToJson(cycle: Cycle | null): string | null {
  return cycle === null
    ? null
    : JSON.stringify(cycle.map((b) => (b === null ? null : [b.mean, b.variance, b.n])));
}

export function cycleFromJson(json: unknown): Cycle | null {
  if (!Array.isArray(json) || json.length !== HOURS_OF_WEEK) return null;
  return json.map((entry: unknown) => {
    if (!Array.isArray(entry) || entry.length !== 3) return null;
    const [mean, variance, n] = entry as unknown[];
    return typeof mean === 'number' && typeof variance === 'number' && typeof n === 'number'
      ? { mean, variance, n }
      : null;
  });
}
