import { describe, expect, it } from 'vitest';
import { silenceEpisodes, thresholdEpisodes } from './episodes.ts';

const series = (...values: number[]): Float64Array => Float64Array.from(values);

describe('thresholdEpisodes', () => {
  it('raises once for a value oscillating around the limit inside the deadband', () => {
    const values = series(50, 61, 59, 61, 59, 61, 40);

    const episodes = thresholdEpisodes(values, 'high', 60, 5, 0);

    expect(episodes).toEqual([{ raiseStep: 1, clearStep: 6, raisedValue: 61, lastValue: 40 }]);
  });

  it('waits for the on-delay before raising', () => {
    const values = series(10, 0.8, 1.3, 0.8, 0.7, 0.6, 2);

    const episodes = thresholdEpisodes(values, 'low_low', 1, 0.2, 1);

    expect(episodes).toEqual([{ raiseStep: 4, clearStep: 6, raisedValue: 0.7, lastValue: 2 }]);
  });

  it('leaves an episode open when the value is still in alarm at the end', () => {
    expect(thresholdEpisodes(series(1, 5, 6), 'high', 5, 0, 0)).toEqual([
      { raiseStep: 1, clearStep: null, raisedValue: 5, lastValue: 6 },
    ]);
  });
});

describe('silenceEpisodes', () => {
  it('raises a timeout after the last reading and clears at the next one', () => {
    const values = series(1, 1, NaN, NaN, NaN, NaN, 1, NaN);

    expect(silenceEpisodes(values, 2)).toEqual([
      { raiseStep: 3, clearStep: 6, raisedValue: NaN, lastValue: NaN },
    ]);
  });

  it('keeps a silence that lasts to the end open', () => {
    expect(silenceEpisodes(series(1, NaN, NaN, NaN), 2)).toEqual([
      { raiseStep: 2, clearStep: null, raisedValue: NaN, lastValue: NaN },
    ]);
  });
});
