import { anomalyParamsSchema } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { engineRule } from './engine-rule.fixture.ts';
import { replayTarget } from './rule-preview.ts';

const MINUTE = 60_000;

const rule = engineRule;

const series = (values: readonly number[], startMinute = 0) =>
  values.map((value, i) => ({ time: (startMinute + i) * MINUTE, value }));

describe('replayTarget', () => {
  it('counts a pending raise whose on-delay runs out by the end of the window', () => {
    const replay = replayTarget(rule({ onDelayS: 300 }), series([90, 101]), 0, 10 * MINUTE);

    expect(replay.raises).toEqual([{ at: 6 * MINUTE, value: 101 }]);
    expect(replay.activeAtEnd).toBe(true);
    expect(replay.alarmMs).toBe(4 * MINUTE);
  });

  it('leaves readings before the window to history: an anomaly rule learns from them, then flags a spike', () => {
    const anomaly = rule({
      condition: 'anomaly',
      windowS: 3600,
      anomaly: anomalyParamsSchema.parse({ warmupSamples: 20, sigmas: 4 }),
    });
    const history = series(
      Array.from({ length: 30 }, (_, i) => 50 + (i % 2)),
      -30,
    );
    const window = series([50, 51, 90, 50.5], 0);

    const learned = replayTarget(anomaly, [...history, ...window], 0, 10 * MINUTE);
    const cold = replayTarget(anomaly, window, 0, 10 * MINUTE);

    expect(learned.points).toBe(4);
    expect(learned.raises).toEqual([{ at: 2 * MINUTE, value: 90 }]);
    expect(cold.raises).toEqual([]);
  });
});
