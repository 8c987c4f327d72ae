import type { PointAssetKind } from '@tidewatch/shared';

/** Readings every five minutes over the last seven days. */
export const STEP_MS = 5 * 60_000;
export const STEPS_PER_DAY = 288;
export const HISTORY_STEPS = 7 * STEPS_PER_DAY;

/** A window counted back from the newest reading; `endStepsAgo: 0` means it is still going on. */
export interface Window {
  readonly startStepsAgo: number;
  readonly endStepsAgo: number;
}

export interface AssetRef {
  readonly kind: PointAssetKind;
  readonly ordinal: number;
}

/** The faults a demo tenant lived through, which the history shows and the seeded alerts follow. */
export interface Scenario {
  /** A tank's fill control stuck on: the level climbs to the overflow. */
  readonly overflows: readonly (Window & { readonly tankOrdinal: number })[];
  /** A tank's inlet fails and it drains towards empty. */
  readonly inletFailures: readonly (Window & { readonly tankOrdinal: number })[];
  /** A main bursts: pressure collapses across a zone and flow through its meters jumps. */
  readonly bursts: readonly (Window & { readonly zoneIndex: number })[];
  /** A device stops reporting. */
  readonly silences: readonly (Window & { readonly asset: AssetRef })[];
  /** A logger whose battery runs down over the week. */
  readonly fadingBatteries: readonly AssetRef[];
  /** Pressure loggers at high ground, which dip below the low limit at the morning peak. */
  readonly weakPressurePoints: readonly number[];
  /** A tank whose level stays above the high limit at the end of the history. */
  readonly highNowTank: number | null;
  /**
   * A leak in one DMA that began `startStepsAgo` and grows steadily, day and night, split among the zone's inlet
   * meters: the DMA's night flow climbs night after night, and the live simulator carries it on.
   */
  readonly leak: {
    readonly zoneIndex: number;
    readonly startStepsAgo: number;
    readonly growthLpmPerDay: number;
  };
}

const HOUR = 12;
const DAY = STEPS_PER_DAY;

export const scenarios: Readonly<Record<string, Scenario>> = {
  'hyderabad-west': {
    overflows: [{ tankOrdinal: 2, startStepsAgo: 4 * DAY, endStepsAgo: 4 * DAY - 3 * HOUR }],
    inletFailures: [{ tankOrdinal: 7, startStepsAgo: 5 * HOUR, endStepsAgo: 2 * HOUR }],
    bursts: [{ zoneIndex: 1, startStepsAgo: 2 * DAY + 3 * HOUR, endStepsAgo: 2 * DAY }],
    silences: [
      { asset: { kind: 'flow_meter', ordinal: 3 }, startStepsAgo: 5 * DAY, endStepsAgo: 5 * DAY - 6 * HOUR },
    ],
    fadingBatteries: [{ kind: 'pressure_point', ordinal: 4 }],
    weakPressurePoints: [6],
    highNowTank: 5,
    leak: { zoneIndex: 3, startStepsAgo: 6 * DAY, growthLpmPerDay: 40 },
  },
  'pune-east': {
    overflows: [{ tankOrdinal: 1, startStepsAgo: 3 * DAY, endStepsAgo: 3 * DAY - 3 * HOUR }],
    inletFailures: [{ tankOrdinal: 3, startStepsAgo: 4 * HOUR, endStepsAgo: 0 }],
    bursts: [{ zoneIndex: 2, startStepsAgo: 7, endStepsAgo: 0 }],
    silences: [{ asset: { kind: 'pressure_point', ordinal: 2 }, startStepsAgo: 3 * HOUR, endStepsAgo: 0 }],
    fadingBatteries: [{ kind: 'tank', ordinal: 9 }],
    weakPressurePoints: [11],
    highNowTank: null,
    leak: { zoneIndex: 0, startStepsAgo: 6 * DAY, growthLpmPerDay: 40 },
  },
};

export function stepInWindow(stepsAgo: number, window: Window): boolean {
  return (
    stepsAgo <= window.startStepsAgo && stepsAgo > window.endStepsAgo - (window.endStepsAgo === 0 ? 1 : 0)
  );
}
