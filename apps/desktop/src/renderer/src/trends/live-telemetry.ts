import type { LiveReading } from '@tidewatch/shared';
import type { TimeRange } from './trend-range.ts';

/** Pushed readings per series, `[time (epoch ms), value]` oldest first: what live mode draws after the data. */
export type LiveTail = ReadonlyMap<number, readonly (readonly [number, number])[]>;

export const NO_TAIL: LiveTail = new Map();

/** Readings kept per series; live mode asks for its range again long before a tail grows this long. */
const MAX_TAIL = 5000;

/** The tail with pushed readings added in time order; a reading at a time already held replaces it. */
export function appendReadings(tail: LiveTail, readings: readonly LiveReading[]): LiveTail {
  const next = new Map(tail);
  for (const [seriesId, at, value] of readings) {
    const points = [...(next.get(seriesId) ?? [])];
    const last = points[points.length - 1];
    if (!last || last[0] < at) points.push([at, value]);
    else {
      const same = points.findIndex(([time]) => time === at);
      if (same >= 0) points[same] = [at, value];
      else
        points.splice(
          points.findIndex(([time]) => time > at),
          0,
          [at, value],
        );
    }
    next.set(seriesId, points.slice(-MAX_TAIL));
  }
  return next;
}

/** The part of the tail after the queried data ends (the answer's `to`): everything before is in the data. */
export function tailAfter(tail: LiveTail, queriedTo: number): LiveTail {
  const after = new Map<number, readonly (readonly [number, number])[]>();
  for (const [seriesId, points] of tail) {
    const kept = points.filter(([at]) => at >= queriedTo);
    if (kept.length > 0) after.set(seriesId, kept);
  }
  return after;
}

/** The newest reading of each series in the tail. */
export function latestReadings(tail: LiveTail): LiveReading[] {
  return [...tail].flatMap(([seriesId, points]) => {
    const last = points[points.length - 1];
    return last ? [[seriesId, last[0], last[1]] satisfies LiveReading] : [];
  });
}

/** A range of the same span that ends at `end`: where live mode asks the server again, and what it shows. */
export function rangeEndingAt(range: TimeRange, end: number): TimeRange {
  return { from: end - (range.to - range.from), to: end };
}

/** The window a live chart shows: the range's span, ending at its newest reading if that is later than the range. */
export function followingWindow(range: TimeRange, tail: LiveTail): TimeRange {
  const newest = Math.max(range.to, ...latestReadings(tail).map(([, at]) => at));
  return rangeEndingAt(range, newest);
}
