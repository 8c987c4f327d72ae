import {
  anomalyParamsSchema,
  nightFlowStepParamsSchema,
  pumpStartsParamsSchema,
  rateParamsSchema,
} from '@tidewatch/shared';
import type { EngineRule } from './rule-cache.ts';

/** A high-level rule on series 1 at 100, no deadband, delays or cooldown, for tests; `fields` override. */
export const engineRule = (fields: Partial<EngineRule>): EngineRule => ({
  id: 'r',
  name: 'r',
  condition: 'high',
  priority: 'high',
  scope: 'series',
  seriesId: 1,
  assetId: null,
  assetKind: null,
  tag: null,
  zoneId: null,
  metricId: null,
  setpoint: 100,
  deadband: 0,
  onDelayS: 0,
  offDelayS: 0,
  windowS: null,
  cooldownS: 0,
  anomaly: anomalyParamsSchema.parse({}),
  rate: rateParamsSchema.parse({}),
  forecast: { horizonS: 1800, fullLevel: null, emptyLevel: null, minPoints: 5 },
  nightFlow: nightFlowStepParamsSchema.parse({}),
  pumpStarts: pumpStartsParamsSchema.parse({}),
  ...fields,
});
