import { demandAt, localTime } from './demand-curve.ts';
import type { DemoDevice, LastReading } from './demo-fleet.ts';

/** What one device reports at one moment, by metric key. */
export type DeviceValues = Record<string, number>;

/** A value an event imposes on a device for a while; `null` hands the device back to the model. */
export type Override = (now: number) => number | null;

/** A small seeded generator, so a run of the simulator is repeatable in tests. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  next(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  between(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  gaussian(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

const round = (value: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};
const clamp = (value: number, low: number, high: number): number => Math.min(high, Math.max(low, value));

/** Pressure at a logger in a burst zone, as the seeded bursts show it. */
export const BURST_PRESSURE_BAR = 0.72;
/** Fill control: the pump starts below the low set level and stops above the high one. */
const PUMP_START_CM = 110;
const PUMP_STOP_CM = 340;
/**
 * Standing demo behaviours, one asset of each per tenant, so a newcomer sees the network analytics at work within
 * minutes of starting: the tank of this ordinal has a stuck fill control and creeps towards its overflow (the
 * "Tank overflow forecast" rule predicts it before the level limits trip), the crew drains it and it creeps again;
 * the pump of this ordinal short-cycles, starting every few minutes (a starts-per-hour rule sees it).
 */
export const CREEPING_TANK_ORDINAL = 6;
export const SHORT_CYCLING_PUMP_ORDINAL = 1;
const CREEP_FROM_CM = 320;
const CREEP_DRAINED_CM = 250;
const CREEP_DRAIN_PER_MIN = 4;
/** On for two minutes, off for two: 15 starts an hour. */
const SHORT_CYCLE_MS = 4 * 60_000;
const DAY_MS = 86_400_000;

/**
 * A leak the seed set on a flow meter's asset (`simulatedLeak` in its attributes): it began at `startedAt` and
 * grows by `growthLpmPerDay`, flowing day and night alike, which is what raises the DMA's night flow.
 */
export function leakLpm(properties: Readonly<Record<string, unknown>>, at: number): number {
  const leak = properties.simulatedLeak;
  if (typeof leak !== 'object' || leak === null) return 0;
  const { startedAt, growthLpmPerDay } = leak as Record<string, unknown>;
  const since = typeof startedAt === 'string' ? Date.parse(startedAt) : Number.NaN;
  if (Number.isNaN(since) || typeof growthLpmPerDay !== 'number') return 0;
  return Math.max(0, ((at - since) / DAY_MS) * growthLpmPerDay);
}

interface TankState {
  level: number;
  pumpOn: boolean;
  readonly fillPerMin: number;
  readonly drainPerMin: number;
  /** The creeping tank: its fill control is stuck on; `draining` while the crew empties it after an overflow. */
  creeping?: { draining: boolean };
}

interface DeviceState {
  readonly device: DemoDevice;
  lastAt: number;
  tank?: TankState;
  sump?: { level: number; readonly drainPerMin: number; readonly supplyShift: number };
  borewell?: { depth: number; readonly rest: number; readonly drawdown: number; readonly offset: number };
  /** Flow meters: flow at a demand of 1, in l/min. */
  flowBase?: number;
  /** Pressure loggers: pressure at zero demand, in bar. */
  headroom?: number;
  /** Battery voltage before the daily solar bump. */
  battery?: number;
}

/**
 * The demo network as it lives on: tanks drained by demand and refilled by their pumps between two set levels,
 * sumps filled in the supply hours, borewells pumping four times a day, flows and pressures following the daily
 * demand cycle. Each device starts where its seeded history ended. Scripted events (see scripted-events.ts)
 * impose levels, batteries and bursts for a while through the public maps below; the model takes over again
 * from where they left each device.
 */
export class NetworkModel {
  /** Tank levels imposed by an event (an overflow, a chattering level switch). */
  readonly levelOverrides = new Map<string, Override>();
  /** Battery voltages imposed by an event (a battery running down). */
  readonly batteryOverrides = new Map<string, Override>();
  /** Zones where a main has burst: pressure collapses, flow jumps. */
  readonly burstZones = new Set<string>();
  private readonly states = new Map<string, DeviceState>();
  /** Tanks by tenant and ordinal, for the pump that fills each. */
  private readonly tanks = new Map<string, TankState>();
  private readonly tankCounts = new Map<string, number>();

  constructor(
    readonly devices: readonly DemoDevice[],
    start: number,
    private readonly random = new SeededRandom(1),
  ) {
    for (const device of devices) this.states.set(device.id, this.initial(device, start));
  }

  /** The tank of this device, when it is one (events read its level). */
  tankLevel(deviceId: string): number | null {
    return this.states.get(deviceId)?.tank?.level ?? null;
  }

  /** Advances one device to `now` and returns what it reports. */
  read(deviceId: string, now: number): DeviceValues | null {
    const state = this.states.get(deviceId);
    if (!state) return null;
    // A long pause (a suspended laptop) is not replayed minute by minute: the network moves on by at most 10 min.
    const minutes = clamp((now - state.lastAt) / 60_000, 0, 10);
    state.lastAt = now;
    const { device } = state;
    const demand = demandAt(now, device.timeZone);
    const noise = (sigma: number): number => sigma * this.random.gaussian();
    const values: DeviceValues = {};
    const has = (key: string): boolean => device.metrics.has(key);

    if (state.tank) {
      const tank = state.tank;
      const imposed = this.levelOverrides.get(device.id)?.(now) ?? null;
      if (imposed !== null) {
        tank.pumpOn = imposed > tank.level;
        tank.level = imposed;
      } else if (tank.creeping) {
        const creep = tank.creeping;
        if (tank.level >= 391) creep.draining = true;
        if (creep.draining && tank.level <= CREEP_DRAINED_CM) creep.draining = false;
        tank.pumpOn = !creep.draining;
        tank.level +=
          minutes * (creep.draining ? -CREEP_DRAIN_PER_MIN : tank.fillPerMin - tank.drainPerMin * demand);
        tank.level = clamp(tank.level, 15, 392);
      } else {
        if (tank.level < PUMP_START_CM) tank.pumpOn = true;
        if (tank.level > PUMP_STOP_CM) tank.pumpOn = false;
        tank.level += minutes * ((tank.pumpOn ? tank.fillPerMin : 0) - tank.drainPerMin * demand);
        tank.level = clamp(tank.level, 15, 392);
      }
      if (has('level_cm')) values.level_cm = round(tank.level + (imposed === null ? noise(0.6) : 0), 1);
    }
    if (state.sump && has('level_cm')) {
      const sump = state.sump;
      const hour = localTime(now, device.timeZone).hour + sump.supplyShift;
      const supplied = (hour >= 5.5 && hour < 8) || (hour >= 17.5 && hour < 20);
      sump.level = clamp(sump.level + minutes * ((supplied ? 2.8 : 0) - sump.drainPerMin * demand), 20, 285);
      values.level_cm = round(sump.level + noise(0.5), 1);
    }
    if (device.assetKind === 'pump') {
      const tank = this.tanks.get(`${device.tenantId}/${String(device.ordinal % this.tankCountOf(device))}`);
      const running =
        device.ordinal === SHORT_CYCLING_PUMP_ORDINAL
          ? now % SHORT_CYCLE_MS < SHORT_CYCLE_MS / 2
          : tank
            ? tank.pumpOn
            : localTime(now, device.timeZone).hour % 6 < 2;
      const rated = Number(device.properties.ratedFlowLpm ?? 1200);
      if (has('pump_state')) values.pump_state = running ? 1 : 0;
      if (has('flow_lpm')) values.flow_lpm = running ? round(rated * (1 + noise(0.03)), 0) : 0;
    }
    if (state.borewell) {
      const well = state.borewell;
      const running = (localTime(now, device.timeZone).hour + 24 - well.offset) % 6 < 1.5;
      const target = running ? well.rest + well.drawdown : well.rest;
      // The seed moves 22 % (pumping) or 8 % (recovering) of the way each five minutes.
      const rate = 1 - (1 - (running ? 0.22 : 0.08)) ** (minutes / 5);
      well.depth += (target - well.depth) * rate;
      if (has('pump_state')) values.pump_state = running ? 1 : 0;
      if (has('water_table_m')) values.water_table_m = round(well.depth + noise(0.1), 1);
    }
    const burst = device.zoneId !== null && this.burstZones.has(device.zoneId);
    if (state.flowBase !== undefined && has('flow_lpm')) {
      values.flow_lpm = round(
        state.flowBase * demand * (burst ? 1.7 : 1) * (1 + noise(0.04)) + leakLpm(device.properties, now),
        0,
      );
    }
    if (state.headroom !== undefined && has('pressure_bar')) {
      values.pressure_bar = round(
        burst ? BURST_PRESSURE_BAR + noise(0.05) : state.headroom - 0.95 * demand + noise(0.04),
        2,
      );
    }
    if (state.battery !== undefined && has('battery_v')) {
      const imposed = this.batteryOverrides.get(device.id)?.(now) ?? null;
      const { hour } = localTime(now, device.timeZone);
      const sun = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 12));
      values.battery_v = round(imposed ?? state.battery + 0.12 * sun + noise(0.008), 3);
    }
    return Object.keys(values).length > 0 ? values : null;
  }

  /** After an event: the tank's level settles here and its fill control takes over, pump stopped. */
  settleTank(deviceId: string, level: number): void {
    const tank = this.states.get(deviceId)?.tank;
    if (!tank) return;
    tank.level = level;
    tank.pumpOn = false;
  }

  /** After an event: the battery was replaced. */
  replaceBattery(deviceId: string): void {
    const state = this.states.get(deviceId);
    if (state?.battery !== undefined) state.battery = this.random.between(3.9, 4.05);
  }

  private tankCountOf(device: DemoDevice): number {
    return this.tankCounts.get(device.tenantId) ?? 1;
  }

  private initial(device: DemoDevice, start: number): DeviceState {
    const random = this.random;
    const last = (key: string): LastReading | null => device.metrics.get(key) ?? null;
    const state: DeviceState = { device, lastAt: start };
    switch (device.assetKind) {
      case 'tank': {
        const seeded = clamp(last('level_cm')?.value ?? random.between(120, 330), 15, 392);
        const creeping = device.ordinal === CREEPING_TANK_ORDINAL;
        const level = creeping ? Math.max(seeded, CREEP_FROM_CM) : seeded;
        const tank: TankState = {
          level,
          pumpOn: (seeded < 200 && random.next() < 0.5) || creeping,
          fillPerMin: random.between(13, 18) / 5,
          drainPerMin: random.between(3.5, 5.5) / 5,
          ...(creeping ? { creeping: { draining: false } } : {}),
        };
        state.tank = tank;
        this.tanks.set(`${device.tenantId}/${String(device.ordinal)}`, tank);
        this.tankCounts.set(device.tenantId, Math.max(this.tankCountOf(device), device.ordinal + 1));
        break;
      }
      case 'sump':
        state.sump = {
          level: clamp(last('level_cm')?.value ?? random.between(120, 250), 20, 285),
          drainPerMin: random.between(2, 3.5) / 5,
          supplyShift: random.between(-0.5, 0.5),
        };
        break;
      case 'borewell': {
        const rest = random.between(28, 45);
        state.borewell = {
          depth: last('water_table_m')?.value ?? rest,
          rest,
          drawdown: random.between(8, 14),
          offset: random.between(0, 2),
        };
        break;
      }
      case 'flow_meter': {
        const flow = last('flow_lpm');
        const demand = flow ? demandAt(flow.time, device.timeZone) : 1;
        const leak = flow ? leakLpm(device.properties, flow.time) : 0;
        state.flowBase = clamp(flow ? (flow.value - leak) / demand : random.between(150, 900), 100, 1500);
        break;
      }
      case 'pressure_point': {
        const pressure = last('pressure_bar');
        const demand = pressure ? demandAt(pressure.time, device.timeZone) : 1;
        // A logger last seen in a burst (or at a weak spot) starts from an ordinary headroom.
        state.headroom = clamp(pressure ? pressure.value + 0.95 * demand : 3.2, 2.6, 3.4);
        break;
      }
      default:
        break;
    }
    const battery = last('battery_v');
    if (device.metrics.has('battery_v')) {
      const { hour } = localTime(battery?.time ?? start, device.timeZone);
      const sun = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 12));
      state.battery = clamp(battery ? battery.value - 0.12 * sun : random.between(3.9, 4.05), 3.3, 4.1);
    }
    return state;
  }
}
