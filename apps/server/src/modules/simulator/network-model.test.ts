import { describe, expect, it } from 'vitest';
import { demandAt } from './demand-curve.ts';
import type { DemoDevice } from './demo-fleet.ts';
import {
  CREEPING_TANK_ORDINAL,
  leakLpm,
  NetworkModel,
  SeededRandom,
  SHORT_CYCLING_PUMP_ORDINAL,
} from './network-model.ts';
import { startEvent, type EventHost } from './scripted-events.ts';

const device = (
  id: string,
  assetKind: string,
  metrics: Record<string, number | null>,
  extra: Partial<DemoDevice> = {},
): DemoDevice => ({
  id,
  tenantId: 't1',
  timeZone: 'Asia/Kolkata',
  assetCode: `HYD-${id}`,
  assetKind,
  ordinal: 0,
  zoneId: 'z1',
  properties: {},
  metrics: new Map(
    Object.entries(metrics).map(([key, value]) => [key, value === null ? null : { value, time: Date.now() }]),
  ),
  ...extra,
});

// 2026-12-07 07:00 in Kolkata (morning peak) and 03:00 (night minimum).
const morningPeak = Date.parse('2026-12-07T01:30:00Z');
const night = Date.parse('2026-12-06T21:30:00Z');

describe('the simulated network', () => {
  it('follows the daily demand cycle in the tenant’s local time', () => {
    expect(demandAt(morningPeak, 'Asia/Kolkata')).toBeGreaterThan(1.2);
    expect(demandAt(night, 'Asia/Kolkata')).toBeLessThan(0.4);
    const model = new NetworkModel(
      [device('p1', 'pressure_point', { pressure_bar: 2.5, battery_v: 3.9 })],
      night,
    );
    const atNight = model.read('p1', night + 60_000)?.pressure_bar ?? 0;
    const atPeak = model.read('p1', morningPeak)?.pressure_bar ?? 0;
    expect(atNight - atPeak).toBeGreaterThan(0.5);
  });

  it('fills a low tank with its pump and stops the pump above the high set level', () => {
    const tank = device('t1', 'tank', { level_cm: 100, battery_v: 3.95 });
    const pump = device('p1', 'pump', { pump_state: 0, flow_lpm: 0 }, { properties: { ratedFlowLpm: 1400 } });
    const model = new NetworkModel([tank, pump], night, new SeededRandom(7));
    let at = night;
    const levels: number[] = [];
    const pumpStates: number[] = [];
    for (let minute = 0; minute < 240; minute += 1) {
      at += 60_000;
      levels.push(model.read('t1', at)?.level_cm ?? 0);
      pumpStates.push(model.read('p1', at)?.pump_state ?? -1);
    }
    expect(Math.max(...levels)).toBeGreaterThan(330);
    expect(Math.max(...levels)).toBeLessThan(360);
    expect(pumpStates).toContain(1);
    expect(pumpStates).toContain(0);
    expect(model.read('p1', at + 60_000)?.flow_lpm ?? -1).toBeGreaterThanOrEqual(0);
  });

  it('plays an overflow past the limits and back, and a burst that collapses the zone’s pressure', () => {
    const tank = device('t1', 'tank', { level_cm: 250 });
    const logger = device('l1', 'pressure_point', { pressure_bar: 2.8 });
    const meter = device('m1', 'flow_meter', { flow_lpm: 400 });
    const model = new NetworkModel([tank, logger, meter], night, new SeededRandom(3));
    const often = new Set<string>();
    const host: EventHost = {
      model,
      random: new SeededRandom(5),
      pace: 1,
      reportOften: (id, on) => (on ? often.add(id) : often.delete(id)),
      silence: () => undefined,
      resume: () => undefined,
    };
    const overflow = startEvent('overflow', [tank, logger, meter], new Set(), host, night);
    expect(overflow?.deviceIds).toEqual(['t1']);
    expect(often.has('t1')).toBe(true);
    const peak = model.read('t1', night + 3 * 60_000)?.level_cm ?? 0;
    expect(peak).toBeGreaterThan(380);
    expect(overflow?.update(night + 5 * 60_000)).toBe(false);
    const after = model.read('t1', night + 6.5 * 60_000)?.level_cm ?? 0;
    expect(after).toBeLessThan(340);
    expect(overflow?.update(night + 6.6 * 60_000)).toBe(true);
    expect(often.has('t1')).toBe(false);

    const before = model.read('m1', night + 7 * 60_000)?.flow_lpm ?? 0;
    const burst = startEvent('burst', [tank, logger, meter], new Set(), host, night + 7 * 60_000);
    expect([...(burst?.deviceIds ?? [])].sort()).toEqual(['l1', 'm1']);
    expect(model.read('l1', night + 8 * 60_000)?.pressure_bar ?? 9).toBeLessThan(1);
    expect(model.read('m1', night + 8 * 60_000)?.flow_lpm ?? 0).toBeGreaterThan(before * 1.4);
    expect(burst?.update(night + 15 * 60_000)).toBe(true);
    expect(model.read('l1', night + 16 * 60_000)?.pressure_bar ?? 0).toBeGreaterThan(1.5);
  });

  it('chatters a level switch either side of the high limit, beyond its deadband', () => {
    const tank = device('t1', 'tank', { level_cm: 250 });
    const model = new NetworkModel([tank], night);
    const host: EventHost = {
      model,
      random: new SeededRandom(1),
      pace: 1,
      reportOften: () => undefined,
      silence: () => undefined,
      resume: () => undefined,
    };
    startEvent('chatter', [tank], new Set(), host, night);
    const readings = Array.from({ length: 6 }, (_, i) => model.read('t1', night + i * 5000)?.level_cm ?? 0);
    expect(readings.filter((level) => level > 360)).toHaveLength(3);
    expect(readings.filter((level) => level < 350)).toHaveLength(3);
  });

  it('runs the standing demo behaviours: a tank creeping to overflow and back, a short-cycling pump, a growing leak', () => {
    const start = night;
    const tank = device('ct', 'tank', { level_cm: 150 }, { ordinal: CREEPING_TANK_ORDINAL });
    const pump = device('sp', 'pump', { pump_state: 0 }, { ordinal: SHORT_CYCLING_PUMP_ORDINAL });
    const leakAt = new Date(start - 2 * 86_400_000).toISOString();
    const meter = device(
      'fm',
      'flow_meter',
      { flow_lpm: null },
      {
        properties: { simulatedLeak: { startedAt: leakAt, growthLpmPerDay: 30 } },
      },
    );
    const model = new NetworkModel([tank, pump, meter], start);
    const levels: number[] = [];
    const states: number[] = [];
    for (let minute = 1; minute <= 180; minute += 1) {
      const at = start + minute * 60_000;
      levels.push(model.read('ct', at)?.level_cm ?? Number.NaN);
      for (const half of [0, 30_000]) states.push(model.read('sp', at + half)?.pump_state ?? -1);
    }
    // Starts from 320 cm at the least, rises past the overflow, is drained and rises again.
    expect(levels[0]).toBeGreaterThanOrEqual(320);
    expect(Math.max(...levels)).toBeGreaterThan(388);
    expect(Math.min(...levels.slice(levels.indexOf(Math.max(...levels))))).toBeLessThan(260);
    const starts = states.filter((state, i) => state === 1 && states[i - 1] === 0).length;
    expect(starts).toBeGreaterThanOrEqual(40); // three hours at 15 an hour
    expect(leakLpm(meter.properties, start)).toBeCloseTo(60, 6);
    expect(leakLpm({}, start)).toBe(0);
  });
});
