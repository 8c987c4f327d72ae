import type { AssetHealthReason } from '@tidewatch/shared';

/** What the score is made from, as the service reads it for one asset. */
export interface HealthFacts {
  /** Series of the asset's enabled devices. */
  readonly seriesCount: number;
  /** Hours of the last 24 with at least one reading, summed over the series. */
  readonly hoursWithData: number;
  /** Lowest latest battery reading: a percentage (`battery_pct`) or volts (`battery_v`). */
  readonly batteryPct: number | null;
  readonly batteryV: number | null;
  readonly devices: number;
  readonly devicesOffline: number;
  /** Open alerts on the asset by priority. */
  readonly openAlerts: Readonly<Partial<Record<'critical' | 'high' | 'medium' | 'low', number>>>;
  /** Days since the asset's oldest latest calibration began (null: none recorded). */
  readonly calibrationAgeDays: number | null;
}

const ALARM_POINTS = { critical: 20, high: 10, medium: 5, low: 2 } as const;

/**
 * The health score, 100 less each reason's penalty: missing data up to 30, a low battery 10 or 20, offline devices
 * up to 30, standing alarms up to 40, a calibration over a year old 10 (over two years 20). The weights say what
 * a control room acts on first: an asset that does not report, then one that is in alarm.
 * @example healthScore({ ...facts, devicesOffline: 1, devices: 1 }) // { score: 70, reasons: [{ code: 'downtime', ... }] }
 */
export function healthScore(facts: HealthFacts): { score: number; reasons: AssetHealthReason[] } {
  const reasons: AssetHealthReason[] = [];
  if (facts.seriesCount > 0) {
    const completeness = Math.min(1, facts.hoursWithData / (24 * facts.seriesCount));
    const penalty = Math.round(30 * (1 - completeness));
    if (penalty > 0) {
      reasons.push({
        code: 'completeness',
        penalty,
        detail: `${String(Math.round(completeness * 100))} % of the last 24 hours have data`,
      });
    }
  }
  const lowBattery =
    facts.batteryPct !== null
      ? facts.batteryPct < 10
        ? 20
        : facts.batteryPct < 25
          ? 10
          : 0
      : facts.batteryV !== null
        ? facts.batteryV < 3.2
          ? 20
          : facts.batteryV < 3.4
            ? 10
            : 0
        : 0;
  if (lowBattery > 0) {
    reasons.push({
      code: 'battery',
      penalty: lowBattery,
      detail:
        facts.batteryPct !== null
          ? `battery at ${String(Math.round(facts.batteryPct))} %`
          : `battery at ${String(facts.batteryV)} V`,
    });
  }
  if (facts.devicesOffline > 0 && facts.devices > 0) {
    reasons.push({
      code: 'downtime',
      penalty: Math.round((30 * facts.devicesOffline) / facts.devices),
      detail: `${String(facts.devicesOffline)} of ${String(facts.devices)} devices offline`,
    });
  }
  const alarmPoints = (Object.keys(ALARM_POINTS) as (keyof typeof ALARM_POINTS)[]).reduce(
    (sum, priority) => sum + ALARM_POINTS[priority] * (facts.openAlerts[priority] ?? 0),
    0,
  );
  if (alarmPoints > 0) {
    const open = Object.values(facts.openAlerts).reduce((sum, n) => sum + n, 0);
    reasons.push({
      code: 'alarms',
      penalty: Math.min(40, alarmPoints),
      detail: `${String(open)} standing alarm${open === 1 ? '' : 's'}`,
    });
  }
  if (facts.calibrationAgeDays !== null && facts.calibrationAgeDays > 365) {
    reasons.push({
      code: 'calibration',
      penalty: facts.calibrationAgeDays > 730 ? 20 : 10,
      detail: `last calibrated ${String(Math.floor(facts.calibrationAgeDays))} days ago`,
    });
  }
  const score = Math.max(0, 100 - reasons.reduce((sum, r) => sum + r.penalty, 0));
  return { score, reasons };
}
