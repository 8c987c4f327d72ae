import { anomalyParamsSchema, rateParamsSchema } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { judgeAnomaly, judgeThreshold, learn, stepLatch, type RuleState } from './evaluators.ts';
import type { EngineRule } from './rule-cache.ts';

const fresh = (): RuleState => ({
  active: false,
  pendingSince: null,
  clearingSince: null,
  lastTime: null,
  lastValue: null,
  mean: null,
  variance: null,
  samples: 0,
});

const rule = (fields: Partial<EngineRule>): EngineRule => ({
  id: 'r',
  name: 'r',
  condition: 'high',
  priority: 'high',
  scope: 'series',
  seriesId: 1,
  assetId: null,
  assetKind: null,
  zoneId: null,
  metricId: null,
  setpoint: 100,
  deadband: 5,
  onDelayS: 0,
  offDelayS: 0,
  windowS: null,
  cooldownS: 0,
  anomaly: anomalyParamsSchema.parse({}),
  rate: rateParamsSchema.parse({}),
  ...fields,
});

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
