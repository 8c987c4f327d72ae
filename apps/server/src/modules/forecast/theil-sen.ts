export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Line {
  /** Change of y per unit of x. */
  readonly slope: number;
  /** y at x = 0. */
  readonly intercept: number;
}

/** The median of a list (the mean of the middle two for an even count); NaN for an empty one. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The Theil–Sen line: the median of the slopes between every pair of points, and the median intercept under it.
 * A spike or a stuck reading among many moves it little, where least squares would follow it. Pairs at the same x
 * are skipped; null with fewer than two distinct x. Quadratic in the points: callers keep them to a window.
 * @example theilSen([0, 1, 2, 3, 4].map((x) => ({ x, y: x === 4 ? 100 : 1 + 2 * x }))) // { slope: 2, intercept: 1 }
 */
export function theilSen(points: readonly Point[]): Line | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i += 1) {
    const a = points[i] as Point;
    for (let j = i + 1; j < points.length; j += 1) {
      const b = points[j] as Point;
      if (b.x !== a.x) slopes.push((b.y - a.y) / (b.x - a.x));
    }
  }
  if (slopes.length === 0) return null;
  const slope = median(slopes);
  return { slope, intercept: median(points.map((p) => p.y - slope * p.x)) };
}
