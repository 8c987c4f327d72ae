import { describe, expect, it } from 'vitest';
import { healthScore, type HealthFacts } from './health-score.ts';
import { pumpRuntime } from './pump-runtime.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

const healthy: HealthFacts = {
  seriesCount: 2,
  hoursWithData: 48,
  batteryPct: null,
  batteryV: 3.6,
  devices: 1,
  devicesOffline: 0,
  openAlerts: {},
  calibrationAgeDays: 100,
};

describe('healthScore', () => {
  it('is 100 with no reasons for an asset that reports, is charged, online, quiet and calibrated', () => {
    expect(healthScore(healthy)).toEqual({ score: 100, reasons: [] });
  });

  it('subtracts each reason with its known penalty', () => {
    const result = healthScore({
      ...healthy,
      hoursWithData: 36, // 75 %: 30 × 0.25 = 7.5 → 8
      batteryV: 3.3, // low: 10
      devices: 2,
      devicesOffline: 1, // half: 15
      openAlerts: { high: 1, low: 1 }, // 10 + 2
      calibrationAgeDays: 800, // over two years: 20
    });
    expect(result.reasons.map((r) => [r.code, r.penalty])).toEqual([
      ['completeness', 8],
      ['battery', 10],
      ['downtime', 15],
      ['alarms', 12],
      ['calibration', 20],
    ]);
    expect(result.score).toBe(100 - 8 - 10 - 15 - 12 - 20);
  });

  it('never goes below 0, and caps standing alarms at 40', () => {
    const result = healthScore({
      ...healthy,
      hoursWithData: 0,
      batteryPct: 5,
      devicesOffline: 1,
      openAlerts: { critical: 5 },
      calibrationAgeDays: 1000,
    });
    expect(result.reasons.find((r) => r.code === 'alarms')?.penalty).toBe(40);
    expect(result.score).toBe(0);
  });
});

describe('pumpRuntime', () => {
  // One hour: running from 0 (state before the period) to 10 min, stopped to 20, running 20–30, stopped 30–40,
  // running 40–50, then silent from 50 (last reading) with a 5-minute gap allowed.
  const points = [
    { time: -2 * MIN, value: 1 },
    { time: 10 * MIN, value: 0 },
    { time: 20 * MIN, value: 1 },
    { time: 30 * MIN, value: 0 },
    { time: 40 * MIN, value: 1 },
    { time: 50 * MIN, value: 0 },
  ];

  it('counts runtime, starts and availability to the minute', () => {
    const result = pumpRuntime(points, 0, HOUR, 0.5, 5 * MIN);
    // Running: 0–3 (the reading 2 min before the period holds 5 min only), 20–25, 40–45 → 13 min.
    expect(result.runtimeHours).toBeCloseTo(13 / 60, 9);
    expect(result.starts).toBe(2);
    expect(result.startsPerHour).toBe(2);
    // Known: 0–3, 10–15, 20–25, 30–35, 40–45, 50–55 → 28 of 60 min.
    expect(result.availability).toBeCloseTo(28 / 60, 9);
    expect(result.running).toBeNull();
  });

  it('holds each state until the next reading when the gap allowed is long', () => {
    const result = pumpRuntime(points, 0, HOUR, 0.5, HOUR);
    expect(result.runtimeHours).toBeCloseTo(30 / 60, 9);
    expect(result.availability).toBe(1);
    expect(result.running).toBe(false);
  });

  it('takes a flow or power series by its threshold', () => {
    const flow = points.map((p) => ({ time: p.time, value: p.value * 40 + 0.5 }));
    expect(pumpRuntime(flow, 0, HOUR, 1, HOUR).starts).toBe(2);
  });
});
