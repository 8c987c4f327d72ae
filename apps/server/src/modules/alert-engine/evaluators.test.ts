import { anomalyParamsSchema } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { initialRuleState, judgeAnomaly, judgeThreshold, learn, stepLatch } from './evaluators.ts';
import { engineRule } from './engine-rule.fixture.ts';
import type { EngineRule } from './rule-cache.ts';

const fresh = initialRuleState;

const rule = (fields: Partial<EngineRule>): EngineRule => engineRule({ deadband: 5, ...fields });

describe('evaluators', () => {
  it('latch: a value oscillating inside the deadband raises once and clears beyond it', () => {
    const high = rule({});
    const state = fresh();
    const verdicts = [101, 97, 103, 96, 101, 94].map((v, i) =>
      stepLatch(state, judgeThreshold(high, v), i * 1000, 0, 0),
    );

    expect(verdicts).toEqual(['raise', null, null, null, null, 'clear']);
  });

  it('latch: the on-delay restarts when the condition lapses', () => {
    const state = fresh();
    const on = { on: true, off: false };
    const off = { on: false, off: true };

    expect(stepLatch(state, on, 0, 60_000, 0)).toBeNull();
    expect(stepLatch(state, off, 30_000, 60_000, 0)).toBeNull();
    expect(stepLatch(state, on, 40_000, 60_000, 0)).toBeNull();
    expect(stepLatch(state, on, 90_000, 60_000, 0)).toBeNull();
    expect(stepLatch(state, on, 100_000, 60_000, 0)).toBe('raise');
  });

  it('anomaly: nothing before the warm-up, then far readings only', () => {
    const anomaly = rule({ condition: 'anomaly', anomaly: anomalyParamsSchema.parse({ warmupSamples: 10 }) });
    const state = fresh();
    for (let i = 0; i < 9; i += 1) learn(state, 50 + (i % 2), 0.1);
    expect(judgeAnomaly(anomaly, state, 500).on).toBe(false);
    learn(state, 50, 0.1);

    expect(judgeAnomaly(anomaly, state, 50.5).on).toBe(false);
    expect(judgeAnomaly(anomaly, state, 500).on).toBe(true);
  });
});
