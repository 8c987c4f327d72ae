import type { NightFlowStepParams } from '@tidewatch/shared';
import { median } from '../forecast/theil-sen.ts';

/** One night of a DMA as the step rule reads it. */
export interface NightFlow {
  readonly date: string;
  /** Epoch ms the night's window ended: the earliest a step in it can be known. */
  readonly windowEnd: number;
  /** Null when the night is incomplete (a meter silent): it is neither judged nor learnt from. */
  readonly minNightFlowLph: number | null;
}

export interface JudgedNight extends NightFlow {
  /** The median of the history it was judged against; null while the rule is still learning. */
  readonly usualLph: number | null;
  readonly toleranceLph: number | null;
  readonly stepped: boolean;
}

/** 1.4826 × MAD estimates the standard deviation of normally spread values, unmoved by a few outliers. */
const MAD_TO_SIGMA = 1.4826;

/**
 * Judges each complete night, oldest first, against the nights before it: a step is a minimum night flow above
 * the median of the last `historyNights` unflagged nights by more than the tolerance (the larger of `sigmas`
 * robust standard deviations of that history, `minStepLph`, and `minStepFraction` of the median). A flagged night
 * is left out of later histories, so a burst that is not repaired stays a step rather than becoming the usual.
 * @example judgeNights(nights, nightFlowStepParamsSchema.parse({})).at(-1)?.stepped // true after a burst
 */
export function judgeNights(nights: readonly NightFlow[], params: NightFlowStepParams): JudgedNight[] {
  const history: number[] = [];
  const judged: JudgedNight[] = [];
  for (const night of nights) {
    const flow = night.minNightFlowLph;
    if (flow === null) {
      judged.push({ ...night, usualLph: null, toleranceLph: null, stepped: false });
      continue;
    }
    const recent = history.slice(-params.historyNights);
    if (recent.length < params.minHistoryNights) {
      judged.push({ ...night, usualLph: null, toleranceLph: null, stepped: false });
      history.push(flow);
      continue;
    }
    const usual = median(recent);
    const spread = MAD_TO_SIGMA * median(recent.map((value) => Math.abs(value - usual)));
    const tolerance = Math.max(
      params.minStepLph,
      params.sigmas * spread,
      params.minStepFraction * Math.abs(usual),
    );
    const stepped = flow - usual > tolerance;
    judged.push({ ...night, usualLph: usual, toleranceLph: tolerance, stepped });
    if (!stepped) history.push(flow);
  }
  return judged;
}

const litres = (value: number): string => `${String(Math.round(value))} L/h`;

/** For the alert message: the night's flow against its usual level. */
export function describeStep(night: JudgedNight): string {
  if (night.minNightFlowLph === null || night.usualLph === null) return '';
  return (
    `minimum night flow ${litres(night.minNightFlowLph)} on the night of ${night.date}, ` +
    `up ${litres(night.minNightFlowLph - night.usualLph)} on its usual ${litres(night.usualLph)} ` +
    `(tolerance ${litres(night.toleranceLph ?? 0)})`
  );
}

/** How many nights a rule reads to judge the last one: enough for its history to have settled. */
export const nightsToRead = (params: NightFlowStepParams): number =>
  Math.min(90, params.historyNights * 3 + 1);
