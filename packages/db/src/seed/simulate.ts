import type { DemoTenant } from './demo-tenants.ts';
import type { PlannedNetwork, PlannedPoint } from './network.ts';
import type { Random } from './random.ts';
import { HISTORY_STEPS, STEP_MS, STEPS_PER_DAY, stepInWindow, type Scenario } from './scenario.ts';

/** One simulated series: a value per step of the shared time grid, NaN where the device was silent. */
export interface SimulatedSeries {
  readonly assetCode: string;
  readonly metricKey: string;
  readonly values: Float64Array;
}

export interface Simulation {
  /** Epoch milliseconds of step 0; step i is at start + i * STEP_MS. */
  readonly start: number;
  readonly series: readonly SimulatedSeries[];
}

const gauss = (x: number, mean: number, width: number): number =>
  Math.exp(-((x - mean) ** 2) / (2 * width ** 2));

/** Relative water demand: a night minimum, the morning peak, a midday shoulder, the evening peak. */
function demandAt(time: number, utcOffsetMinutes: number): number {
  const local = time + utcOffsetMinutes * 60_000;
  const hour = (local / 3_600_000) % 24;
  const weekday = new Date(local).getUTCDay();
  const weekend = weekday === 0 || weekday === 6;
  const morningPeak = weekend ? 8.5 : 7;
  return (
    0.35 + 0.95 * gauss(hour, morningPeak, 1.2) + 0.2 * gauss(hour, 13, 2) + 0.65 * gauss(hour, 19.5, 1.5)
  );
}

function localHour(time: number, utcOffsetMinutes: number): number {
  return ((time + utcOffsetMinutes * 60_000) / 3_600_000) % 24;
}

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** Simulates seven days of plausible readings for every device of a tenant, with its scenario's faults. */
export function simulateTenant(
  tenant: DemoTenant,
  network: PlannedNetwork,
  scenario: Scenario,
  end: number,
  random: Random,
): Simulation {
  const start = end - (HISTORY_STEPS - 1) * STEP_MS;
  const timeAt = (step: number): number => start + step * STEP_MS;
  const stepsAgo = (step: number): number => HISTORY_STEPS - 1 - step;
  const demand = Array.from({ length: HISTORY_STEPS }, (_, step) =>
    demandAt(timeAt(step), tenant.utcOffsetMinutes),
  );
  const hours = Array.from({ length: HISTORY_STEPS }, (_, step) =>
    localHour(timeAt(step), tenant.utcOffsetMinutes),
  );
  const series: SimulatedSeries[] = [];
  const emit = (
    point: PlannedPoint,
    metricKey: string,
    value: (step: number) => number,
    decimals: number,
  ): void => {
    const values = new Float64Array(HISTORY_STEPS);
    for (let step = 0; step < HISTORY_STEPS; step += 1) values[step] = round(value(step), decimals);
    series.push({ assetCode: point.code, metricKey, values });
  };
  const ofKind = (kind: PlannedPoint['kind']): PlannedPoint[] =>
    network.points.filter((p) => p.kind === kind);
  const inBurst = (point: PlannedPoint, step: number): boolean =>
    scenario.bursts.some(
      (burst) => burst.zoneIndex === point.zoneIndex && stepInWindow(stepsAgo(step), burst),
    );
  const battery = (point: PlannedPoint): ((step: number) => number) => {
    const fading = scenario.fadingBatteries.some((b) => b.kind === point.kind && b.ordinal === point.ordinal);
    const base = random.between(3.9, 4.05);
    return (step) => {
      const sun = Math.max(0, Math.sin((Math.PI * ((hours[step] ?? 0) - 6)) / 12));
      const trend = fading ? 3.72 - (0.36 * step) / HISTORY_STEPS : base;
      return trend + (fading ? 0.04 : 0.12) * sun + 0.008 * random.gaussian();
    };
  };

  // Tanks: drained by demand, refilled by their pump between a low and a high set level.
  const pumping = new Map<number, Uint8Array>();
  for (const tank of ofKind('tank')) {
    const drainPerStep = random.between(3.5, 5.5);
    const fillPerStep = random.between(13, 18);
    const running = new Uint8Array(HISTORY_STEPS);
    const levels = new Float64Array(HISTORY_STEPS);
    let level = random.between(120, 330);
    let pumpOn = false;
    for (let step = 0; step < HISTORY_STEPS; step += 1) {
      const ago = stepsAgo(step);
      const overflow = scenario.overflows.some((o) => o.tankOrdinal === tank.ordinal && stepInWindow(ago, o));
      const inletFailed = scenario.inletFailures.some(
        (f) => f.tankOrdinal === tank.ordinal && stepInWindow(ago, f),
      );
      const stuckHigh = scenario.highNowTank === tank.ordinal && ago < 30;
      if (level < 110) pumpOn = true;
      if (level > 340) pumpOn = false;
      if (overflow || stuckHigh) pumpOn = true;
      if (inletFailed) pumpOn = false;
      const ceiling = overflow ? 396 : stuckHigh ? 370 : 392;
      level += (pumpOn ? fillPerStep : 0) - drainPerStep * (demand[step] ?? 1) - (inletFailed ? 7 : 0);
      level = Math.min(ceiling, Math.max(15, level));
      running[step] = pumpOn ? 1 : 0;
      levels[step] = level + 0.6 * random.gaussian();
    }
    pumping.set(tank.ordinal, running);
    emit(tank, 'level_cm', (step) => levels[step] ?? 0, 1);
    if (tenant.codePrefix === 'HYD' && tank.ordinal === 0) {
      // The ThingSpeak-connected tank also reports temperature and TDS, like the fixture channel.
      emit(
        tank,
        'temperature_c',
        (step) => 24.5 + 1.6 * gauss(hours[step] ?? 0, 15, 3) + 0.2 * random.gaussian(),
        2,
      );
      emit(tank, 'tds_ppm', (step) => 305 + 6 * Math.sin(step / 150) + 3 * random.gaussian(), 0);
    }
    emit(tank, 'battery_v', battery(tank), 3);
  }

  const tankCount = ofKind('tank').length;
  for (const pump of ofKind('pump')) {
    const running = pumping.get(pump.ordinal % tankCount) ?? new Uint8Array(HISTORY_STEPS);
    const rated = random.integer(8, 20) * 100;
    emit(pump, 'pump_state', (step) => running[step] ?? 0, 0);
    emit(
      pump,
      'flow_lpm',
      (step) => ((running[step] ?? 0) === 1 ? rated * (1 + 0.03 * random.gaussian()) : 0),
      0,
    );
  }

  // Sumps fill during the municipal supply hours and feed the tanks the rest of the day.
  for (const sump of ofKind('sump')) {
    let level = random.between(120, 250);
    const drain = random.between(2, 3.5);
    const supplyShift = random.between(-0.5, 0.5);
    emit(
      sump,
      'level_cm',
      (step) => {
        const hour = (hours[step] ?? 0) + supplyShift;
        const supplied = (hour >= 5.5 && hour < 8) || (hour >= 17.5 && hour < 20);
        level += (supplied ? 14 : 0) - drain * (demand[step] ?? 1);
        level = Math.min(285, Math.max(20, level));
        return level + 0.5 * random.gaussian();
      },
      1,
    );
  }

  for (const reservoir of ofKind('reservoir')) {
    const mean = random.between(620, 700);
    emit(
      reservoir,
      'level_cm',
      (step) => mean + 140 * Math.sin((2 * Math.PI * ((hours[step] ?? 0) - 4)) / 24) + 2 * random.gaussian(),
      1,
    );
  }

  // Borewells run four times a day; the water table draws down while pumping and recovers after.
  for (const well of ofKind('borewell')) {
    const offset = random.between(0, 2);
    const rest = random.between(28, 45);
    const drawdown = random.between(8, 14);
    let depth = rest;
    const running = (step: number): boolean => {
      const hour = ((hours[step] ?? 0) + 24 - offset) % 6;
      return hour < 1.5;
    };
    emit(well, 'pump_state', (step) => (running(step) ? 1 : 0), 0);
    emit(
      well,
      'water_table_m',
      (step) => {
        const target = running(step) ? rest + drawdown : rest;
        depth += (target - depth) * (running(step) ? 0.22 : 0.08);
        return depth + 0.1 * random.gaussian();
      },
      1,
    );
  }

  for (const meter of ofKind('flow_meter')) {
    const base = random.between(150, 900);
    const leak = leakShareLpm(scenario, network, meter);
    const leakSteps = (step: number): number => Math.max(0, scenario.leak.startStepsAgo - stepsAgo(step));
    emit(
      meter,
      'flow_lpm',
      (step) =>
        base * (demand[step] ?? 1) * (inBurst(meter, step) ? 1.7 : 1) * (1 + 0.04 * random.gaussian()) +
        (leak * leakSteps(step)) / STEPS_PER_DAY,
      0,
    );
  }

  for (const logger of ofKind('pressure_point')) {
    const weak = scenario.weakPressurePoints.includes(logger.ordinal);
    const headroom = weak ? 2.6 : random.between(3.0, 3.4);
    emit(
      logger,
      'pressure_bar',
      (step) =>
        inBurst(logger, step)
          ? 0.72 + 0.05 * random.gaussian()
          : headroom - 0.95 * (demand[step] ?? 1) + 0.04 * random.gaussian(),
      2,
    );
    emit(logger, 'battery_v', battery(logger), 3);
  }

  for (const plant of ofKind('plant')) {
    emit(
      plant,
      'flow_lpm',
      (step) => 30_000 * (0.6 + 0.4 * (demand[step] ?? 1)) + 300 * random.gaussian(),
      0,
    );
    emit(plant, 'tds_ppm', (step) => 298 + 8 * Math.sin(step / 400) + 2 * random.gaussian(), 0);
    emit(plant, 'ph', (step) => 7.3 + 0.08 * Math.sin(step / 90) + 0.02 * random.gaussian(), 2);
  }

  // Silent devices report nothing inside their window.
  for (const silence of scenario.silences) {
    const point = network.points.find(
      (p) => p.kind === silence.asset.kind && p.ordinal === silence.asset.ordinal,
    );
    for (const item of series.filter((s) => s.assetCode === point?.code)) {
      for (let step = 0; step < HISTORY_STEPS; step += 1) {
        if (stepInWindow(stepsAgo(step), silence)) item.values[step] = Number.NaN;
      }
    }
  }

  return { start, series };
}

/** The growth per day of the scenario's leak that one inlet meter of the leaking zone carries (0 elsewhere). */
export function leakShareLpm(scenario: Scenario, network: PlannedNetwork, meter: PlannedPoint): number {
  if (meter.kind !== 'flow_meter' || meter.zoneIndex !== scenario.leak.zoneIndex) return 0;
  const meters = network.points.filter((p) => p.kind === 'flow_meter' && p.zoneIndex === meter.zoneIndex);
  return scenario.leak.growthLpmPerDay / meters.length;
}
