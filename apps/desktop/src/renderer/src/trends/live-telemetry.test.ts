import { describe, expect, it } from 'vitest';
import { appendReadings, followingWindow, latestReadings, NO_TAIL, tailAfter } from './live-telemetry.ts';

describe('the live tail of a trend', () => {
  it('keeps pushed readings in time order, one per time', () => {
    let tail = appendReadings(NO_TAIL, [
      [1, 3000, 30],
      [2, 1000, 5],
    ]);
    tail = appendReadings(tail, [
      [1, 1000, 10],
      [1, 3000, 31],
      [1, 2000, 20],
    ]);
    expect(tail.get(1)).toEqual([
      [1000, 10],
      [2000, 20],
      [3000, 31],
    ]);
    expect(latestReadings(tail)).toEqual([
      [1, 3000, 31],
      [2, 1000, 5],
    ]);
  });

  it('draws only what came after the queried data, and follows the newest reading', () => {
    const tail = appendReadings(NO_TAIL, [
      [1, 900, 9],
      [1, 1000, 10],
      [1, 1500, 15],
    ]);
    expect(tailAfter(tail, 1000).get(1)).toEqual([
      [1000, 10],
      [1500, 15],
    ]);
    expect(tailAfter(tail, 2000).size).toBe(0);
    expect(followingWindow({ from: 0, to: 1000 }, tail)).toEqual({ from: 500, to: 1500 });
    expect(followingWindow({ from: 1000, to: 2000 }, tail)).toEqual({ from: 1000, to: 2000 });
  });
});
