import type { DemoDevice } from './demo-fleet.ts';
import type { NetworkModel, SeededRandom } from './network-model.ts';

/**
 * The faults the demo lives through, one every few minutes, each raising alarms against the seeded rule book and
 * then going away so they clear (or return, waiting for an acknowledgement):
 * - `overflow`: a tank's fill control sticks; the level climbs past "Tank level high" (360 cm) and "Tank overflow"
 *   (380 cm), then the pump is stopped and it drains back.
 * - `burst`: a main bursts; pressure in its zone collapses below "Network pressure low-low" (held past the rule's
 *   five-minute on-delay) and flow through the zone's meters jumps, then the main is isolated and repaired.
 * - `chatter`: a tank's level switch chatters around the high limit, raising and clearing several times a minute.
 * - `silent_logger`: a pressure logger drops off the network (past "Pressure logger offline"), then comes back.
 * - `battery`: a battery runs down below its low limit (past the rule's on-delay), then is replaced.
 */
export const scriptedEventKinds = ['overflow', 'burst', 'chatter', 'silent_logger', 'battery'] as const;
export type ScriptedEventKind = (typeof scriptedEventKinds)[number];

/** What an event may do besides changing the model: make devices report often, or go quiet. */
export interface EventHost {
  readonly model: NetworkModel;
  readonly random: SeededRandom;
  /** Durations are multiplied by this (1 in the demo; tests run the script faster). */
  readonly pace: number;
  reportOften(deviceId: string, often: boolean): void;
  silence(deviceId: string): void;
  resume(deviceId: string): void;
}

export interface RunningEvent {
  readonly kind: ScriptedEventKind;
  /** The devices it holds; no other event picks them until it ends. */
  readonly deviceIds: readonly string[];
  /** A line for the log: what happens where. */
  readonly description: string;
  /** Moves the event on; true once it is over and has handed its devices back. */
  update(now: number): boolean;
}

const MINUTE = 60_000;
const lerp = (from: number, to: number, share: number): number =>
  from + (to - from) * Math.min(1, Math.max(0, share));

function pick<T>(items: readonly T[], random: SeededRandom): T | undefined {
  return items[Math.floor(random.next() * items.length)];
}

/**
 * Starts an event of `kind` in `tenantId`, on devices no running event holds; null when the tenant has none that
 * fit (no tank left free, no pressure logger).
 */
export function startEvent(
  kind: ScriptedEventKind,
  devices: readonly DemoDevice[],
  busy: ReadonlySet<string>,
  host: EventHost,
  now: number,
): RunningEvent | null {
  const free = devices.filter((device) => !busy.has(device.id));
  const ofKind = (assetKind: string): DemoDevice[] => free.filter((d) => d.assetKind === assetKind);
  const span = (minutes: number): number => minutes * MINUTE * host.pace;
  switch (kind) {
    case 'overflow': {
      const tank = pick(
        ofKind('tank').filter((d) => d.metrics.has('level_cm')),
        host.random,
      );
      if (!tank) return null;
      const from = host.model.tankLevel(tank.id) ?? 250;
      const [rise, hold, drain] = [span(2.5), span(1), span(3)];
      host.model.levelOverrides.set(tank.id, (at) => {
        const t = at - now;
        if (t < rise) return lerp(from, 392, t / rise);
        if (t < rise + hold) return 392;
        return lerp(392, 320, (t - rise - hold) / drain);
      });
      host.reportOften(tank.id, true);
      return {
        kind,
        deviceIds: [tank.id],
        description: `${tank.assetCode}: fill control stuck on, the tank overflows`,
        update(at) {
          if (at - now < rise + hold + drain) return false;
          host.model.levelOverrides.delete(tank.id);
          host.reportOften(tank.id, false);
          return true;
        },
      };
    }
    case 'chatter': {
      const tank = pick(
        ofKind('tank').filter((d) => d.metrics.has('level_cm')),
        host.random,
      );
      if (!tank) return null;
      let reading = 0;
      host.model.levelOverrides.set(tank.id, () => {
        reading += 1;
        // Either side of the high limit (360 cm) and beyond its deadband (10 cm): every reading flips the alarm.
        return reading % 2 === 1 ? 367 + host.random.between(0, 3) : 341 + host.random.between(0, 3);
      });
      host.reportOften(tank.id, true);
      const lasts = span(1.25);
      return {
        kind,
        deviceIds: [tank.id],
        description: `${tank.assetCode}: level switch chattering around the high limit`,
        update(at) {
          // Eight readings at least, whatever the pace: four raises, enough to count as chattering.
          if (at - now < lasts || reading < 8) return false;
          host.model.levelOverrides.delete(tank.id);
          host.model.settleTank(tank.id, 330);
          host.reportOften(tank.id, false);
          return true;
        },
      };
    }
    case 'burst': {
      const zones = [
        ...new Set(
          ofKind('pressure_point')
            .map((d) => d.zoneId)
            .filter((z) => z !== null),
        ),
      ].filter((zone) => !host.model.burstZones.has(zone));
      const zone = pick(zones, host.random);
      if (zone === undefined) return null;
      const members = free.filter(
        (d) => d.zoneId === zone && (d.assetKind === 'pressure_point' || d.assetKind === 'flow_meter'),
      );
      host.model.burstZones.add(zone);
      // At the demo's pace it outlasts the low-low rule's five-minute on-delay.
      const lasts = span(7);
      return {
        kind,
        deviceIds: members.map((d) => d.id),
        description: `burst main: pressure collapses across zone ${zone} (${String(members.length)} devices)`,
        update(at) {
          if (at - now < lasts) return false;
          host.model.burstZones.delete(zone);
          return true;
        },
      };
    }
    case 'silent_logger': {
      const logger = pick(ofKind('pressure_point'), host.random);
      if (!logger) return null;
      host.silence(logger.id);
      // The offline rule waits 15 minutes of silence, after the device is judged offline.
      const lasts = span(22);
      return {
        kind,
        deviceIds: [logger.id],
        description: `${logger.assetCode}: logger silent`,
        update(at) {
          if (at - now < lasts) return false;
          host.resume(logger.id);
          return true;
        },
      };
    }
    case 'battery': {
      const node = pick(
        free.filter(
          (d) => d.metrics.has('battery_v') && (d.assetKind === 'pressure_point' || d.assetKind === 'tank'),
        ),
        host.random,
      );
      if (!node) return null;
      const fade = span(2);
      // The battery rules hold 15 minutes before they raise.
      const lasts = span(20);
      host.model.batteryOverrides.set(node.id, (at) => {
        const t = at - now;
        return t < fade ? lerp(3.62, 3.37, t / fade) : 3.37 + host.random.between(-0.01, 0.01);
      });
      return {
        kind,
        deviceIds: [node.id],
        description: `${node.assetCode}: battery fading`,
        update(at) {
          if (at - now < lasts) return false;
          host.model.batteryOverrides.delete(node.id);
          host.model.replaceBattery(node.id);
          return true;
        },
      };
    }
  }
}
