import type { AlertCondition, AlertPriority, PointAssetKind } from '@tidewatch/shared';

export interface DemoRule {
  readonly name: string;
  readonly description: string;
  readonly condition: AlertCondition;
  readonly priority: AlertPriority;
  readonly assetKind: PointAssetKind;
  readonly metricKey: string | null;
  readonly setpoint: number | null;
  readonly deadband: number;
  readonly onDelayS: number;
  readonly windowS: number | null;
  readonly params: Record<string, unknown>;
  readonly cooldownS: number;
  readonly escalateAfterS: number | null;
}

const rule = (
  fields: Partial<DemoRule> & Pick<DemoRule, 'name' | 'description' | 'condition' | 'priority' | 'assetKind'>,
): DemoRule => ({
  metricKey: null,
  setpoint: null,
  deadband: 0,
  onDelayS: 0,
  windowS: null,
  params: {},
  cooldownS: 300,
  escalateAfterS: null,
  ...fields,
});

/** Every demo tenant gets the same rule book, each rule covering all assets of a kind. */
export const demoRules: readonly DemoRule[] = [
  rule({
    name: 'Tank overflow',
    description: 'Level at the overflow pipe: stop the inlet pump.',
    condition: 'high_high',
    priority: 'critical',
    assetKind: 'tank',
    metricKey: 'level_cm',
    setpoint: 380,
    deadband: 5,
    escalateAfterS: 900,
  }),
  rule({
    name: 'Tank level high',
    description: 'Fill control should have stopped the pump by now.',
    condition: 'high',
    priority: 'high',
    assetKind: 'tank',
    metricKey: 'level_cm',
    setpoint: 360,
    deadband: 10,
  }),
  rule({
    name: 'Tank overflow forecast',
    description:
      'The level trend reaches the overflow within 12 minutes: stop the inlet before it spills. Ordinary fill ' +
      'cycles stop at 340 cm and never come that close.',
    condition: 'forecast',
    priority: 'high',
    assetKind: 'tank',
    metricKey: 'level_cm',
    windowS: 600,
    params: { fullLevel: 390, horizonS: 720 },
  }),
  rule({
    name: 'Tank level low',
    description: 'Supply to the tank is not keeping up with demand.',
    condition: 'low',
    priority: 'medium',
    assetKind: 'tank',
    metricKey: 'level_cm',
    setpoint: 60,
    deadband: 10,
  }),
  rule({
    name: 'Tank level low-low',
    description: 'Consumers downstream are about to lose supply.',
    condition: 'low_low',
    priority: 'high',
    assetKind: 'tank',
    metricKey: 'level_cm',
    setpoint: 30,
    deadband: 10,
  }),
  rule({
    name: 'Network pressure low-low',
    description: 'Pressure collapse: likely burst main. Check flow meters of the zone.',
    condition: 'low_low',
    priority: 'critical',
    assetKind: 'pressure_point',
    metricKey: 'pressure_bar',
    setpoint: 1,
    deadband: 0.2,
    onDelayS: 300,
    escalateAfterS: 900,
  }),
  rule({
    name: 'Network pressure low',
    description: 'Pressure below the service standard.',
    condition: 'low',
    priority: 'medium',
    assetKind: 'pressure_point',
    metricKey: 'pressure_bar',
    setpoint: 1.5,
    deadband: 0.15,
    onDelayS: 300,
  }),
  rule({
    name: 'Logger battery low',
    description: 'Replace the pressure logger battery on the next visit.',
    condition: 'low',
    priority: 'low',
    assetKind: 'pressure_point',
    metricKey: 'battery_v',
    setpoint: 3.45,
    deadband: 0.05,
    onDelayS: 900,
  }),
  rule({
    name: 'Tank node battery low',
    description: 'Replace the tank level node battery on the next visit.',
    condition: 'low',
    priority: 'low',
    assetKind: 'tank',
    metricKey: 'battery_v',
    setpoint: 3.45,
    deadband: 0.05,
    onDelayS: 900,
  }),
  rule({
    name: 'Reservoir level low',
    description: 'Service reservoir below its operating band.',
    condition: 'low',
    priority: 'high',
    assetKind: 'reservoir',
    metricKey: 'level_cm',
    setpoint: 450,
    deadband: 20,
  }),
  rule({
    name: 'Pressure logger offline',
    description: 'No message from the logger for 15 minutes.',
    condition: 'device_offline',
    priority: 'high',
    assetKind: 'pressure_point',
    windowS: 900,
  }),
  rule({
    name: 'Flow meter offline',
    description: 'No message from the meter for 15 minutes.',
    condition: 'device_offline',
    priority: 'high',
    assetKind: 'flow_meter',
    windowS: 900,
  }),
  rule({
    name: 'Tank node offline',
    description: 'No message from the tank level node for 15 minutes.',
    condition: 'device_offline',
    priority: 'high',
    assetKind: 'tank',
    windowS: 900,
  }),
  rule({
    name: 'Flow surge',
    description: 'Flow rose faster than demand can explain: possible burst downstream.',
    condition: 'rate_of_change',
    priority: 'high',
    assetKind: 'flow_meter',
    metricKey: 'flow_lpm',
    setpoint: 300,
    windowS: 600,
  }),
  rule({
    name: 'Flow anomaly',
    description: 'Flow far from what this meter usually reads at this time.',
    condition: 'anomaly',
    priority: 'medium',
    assetKind: 'flow_meter',
    metricKey: 'flow_lpm',
    windowS: 86_400,
    params: { method: 'ewma', alpha: 0.05, sigmas: 4, warmupSamples: 288 },
  }),
];
