import { createAlertRuleSchema, type AlertRule } from '@tidewatch/shared';
import { describe, expect, it } from 'vitest';
import { draftOf, draftProblem, emptyDraft, ruleChange, ruleInput } from './rule-draft.ts';

const saved: AlertRule = {
  id: '7b3c1c9e-55a4-4c59-9d3e-0f1b6e0e8a11',
  name: 'Tank rising fast',
  description: null,
  condition: 'rate_of_change',
  priority: 'medium',
  scope: 'asset_kind',
  seriesId: null,
  assetId: null,
  assetKind: 'tank',
  tag: null,
  zoneId: '0c0e4f25-9d74-4a36-8f43-3c6d3c0b6f10',
  metricId: '3f2a9c3e-2d8b-4b7e-9b1a-6f0e5d4c3b2a',
  setpoint: 40,
  deadband: 5,
  onDelayS: 60,
  offDelayS: 0,
  windowS: 600,
  params: { direction: 'rise' },
  cooldownS: 300,
  escalateAfterS: 900,
  enabled: true,
  version: 3,
  updatedAt: '2026-11-20T06:00:00.000Z',
  archivedAt: null,
};

describe('rule drafts', () => {
  it('send only the target of the chosen scope and the fields of the condition', () => {
    const input = ruleInput({
      ...emptyDraft,
      name: 'Tank high',
      seriesId: '42',
      assetId: 'left over from another scope',
      setpoint: '380',
      windowS: '900',
    });

    expect(input).toMatchObject({
      scope: 'series',
      seriesId: 42,
      assetId: null,
      setpoint: 380,
      windowS: null,
    });
    expect(createAlertRuleSchema.safeParse(input).success).toBe(true);
  });

  it('send a tag rule with its tag and the zone it is narrowed to', () => {
    const input = ruleInput({
      ...emptyDraft,
      name: 'Critical pressure',
      scope: 'tag',
      tag: ' criticality:high ',
      assetKind: 'tank',
      zoneId: saved.zoneId ?? '',
      metricId: saved.metricId ?? '',
      setpoint: '2',
    });

    expect(input).toMatchObject({
      scope: 'tag',
      tag: 'criticality:high',
      assetKind: null,
      zoneId: saved.zoneId,
    });
    expect(createAlertRuleSchema.safeParse(input).success).toBe(true);
  });

  it('give back a saved rule as it was, and change only what a saved rule may change', () => {
    const draft = draftOf(saved);
    const input = ruleInput(draft);

    expect(createAlertRuleSchema.parse(input)).toMatchObject({
      condition: 'rate_of_change',
      scope: 'asset_kind',
      assetKind: 'tank',
      zoneId: saved.zoneId,
      metricId: saved.metricId,
      setpoint: 40,
      deadband: 5,
      windowS: 600,
      params: { direction: 'rise' },
      escalateAfterS: 900,
    });
    expect(Object.keys(ruleChange({ ...draft, setpoint: '45' })).sort()).toEqual(
      [
        'cooldownS',
        'deadband',
        'enabled',
        'name',
        'offDelayS',
        'onDelayS',
        'params',
        'priority',
        'setpoint',
        'windowS',
      ].sort(),
    );
    expect(ruleChange({ ...draft, setpoint: '45' }).setpoint).toBe(45);
  });

  it('say what is missing in the shared schema’s words', () => {
    expect(draftProblem({ ...emptyDraft, name: 'No limit', seriesId: '7' })).toBe(
      'setpoint: this condition needs a setpoint',
    );
    expect(draftProblem({ ...emptyDraft, name: 'Tank', seriesId: '7', setpoint: '1' })).toBeNull();
  });
});

describe('rule kinds of network intelligence', () => {
  it('sends each kind with the parameters its fields hold, as the shared schema accepts', () => {
    const base = { ...emptyDraft, name: 'x', seriesId: '7' };
    const kinds = [
      { ...base, condition: 'anomaly' as const, cycle: 'week' as const },
      { ...base, condition: 'pump_starts' as const, setpoint: '6', windowS: '3600', runningAbove: '2' },
      { ...base, condition: 'forecast' as const, windowS: '900', fullLevel: '390', horizonS: '1800' },
      {
        ...base,
        condition: 'night_flow_step' as const,
        scope: 'zone' as const,
        zoneId: '0c0e4f25-9d74-4a36-8f43-3c6d3c0b6f10',
      },
    ];
    for (const draft of kinds) expect(draftProblem(draft), draft.condition).toBeNull();
    expect(ruleInput(kinds[0] as (typeof kinds)[0]).params).toEqual({ cycle: 'week' });
    expect(ruleInput(kinds[1] as (typeof kinds)[0]).params).toEqual({ runningAbove: 2 });
    expect(ruleInput(kinds[2] as (typeof kinds)[0]).params).toEqual({
      fullLevel: 390,
      emptyLevel: null,
      horizonS: 1800,
    });
  });
});
