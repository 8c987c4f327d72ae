import { describe, expect, it } from 'vitest';
import { pointsForWidth, presetRange, zoomedRange } from './trend-range.ts';

describe('trend ranges', () => {
  it('turns a preset into a range that ends now', () => {
    expect(presetRange('7d', 1_000_000_000_000)).toEqual({
      from: 1_000_000_000_000 - 7 * 86_400_000,
      to: 1_000_000_000_000,
    });
  });

  it('turns a zoom window into the range to query again, never under a minute', () => {
    const loaded = { from: 0, to: 1_000_000 };
    expect(zoomedRange(loaded, 25, 75)).toEqual({ from: 250_000, to: 750_000 });
    expect(zoomedRange(loaded, 50, 50)).toEqual({ from: 500_000, to: 560_000 });
  });

  it('asks for about a point per two pixels, within the server limits', () => {
    expect(pointsForWidth(1200)).toBe(600);
    expect(pointsForWidth(50)).toBe(100);
  });
});
