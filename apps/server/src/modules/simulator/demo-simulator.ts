import type { Logger } from '../../logger.ts';
import type { DemoDevice } from './demo-fleet.ts';
import { DeviceLinks } from './device-links.ts';
import { NetworkModel, SeededRandom } from './network-model.ts';
import { startEvent, type EventHost, type RunningEvent, type ScriptedEventKind } from './scripted-events.ts';

export interface SimulatorOptions {
  /** The embedded broker, as devices reach it. */
  readonly brokerUrl: string;
  /** The published demo device secret the seed gave every demo device. */
  readonly deviceSecret: string;
  /** How often each device reports. */
  readonly reportEveryMs: number;
  /** How often a device reports while an event needs it to (a chattering switch). */
  readonly fastReportEveryMs: number;
  /** A scripted event starts this often. */
  readonly eventEveryMs: number;
  /** Multiplies the events' durations (1 in the demo). */
  readonly pace: number;
  /** The events played, in turn. */
  readonly events: readonly ScriptedEventKind[];
  readonly seed?: number;
}

/**
 * The living demo: the demo tenants' devices report as the network lives on (see NetworkModel), over MQTT as
 * themselves, and every `eventEveryMs` a scripted fault starts in one tenant after the other (see
 * scripted-events.ts), so alarms raise, clear and return on their own. Development only: the server starts it
 * when SIMULATOR says so and never under NODE_ENV=production (config.ts).
 */
export class DemoSimulator {
  readonly model: NetworkModel;
  private readonly links: DeviceLinks;
  private readonly random: SeededRandom;
  private readonly nextReport = new Map<string, number>();
  private readonly often = new Set<string>();
  private readonly silent = new Set<string>();
  private readonly running: RunningEvent[] = [];
  private readonly tenants: string[];
  private timer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | null = null;
  private nextEventAt = 0;
  private nextRetryAt = 0;
  private eventTurn = 0;
  private closed = false;
  /** The latest events started (at most 50), for tests and the log. */
  readonly started: {
    readonly kind: ScriptedEventKind;
    readonly description: string;
    readonly at: number;
  }[] = [];

  constructor(
    private readonly fleet: readonly DemoDevice[],
    private readonly options: SimulatorOptions,
    private readonly log: Logger,
  ) {
    this.random = new SeededRandom(options.seed ?? Date.now());
    this.model = new NetworkModel(fleet, Date.now(), this.random);
    this.links = new DeviceLinks(options.brokerUrl, options.deviceSecret, log);
    this.tenants = [...new Set(fleet.map((device) => device.tenantId))];
  }

  /** Connects the devices (in the background) and starts reporting; events begin after the first event interval. */
  start(): void {
    const now = Date.now();
    // Spread over one interval, so 200 devices do not all report in the same instant.
    for (const device of this.fleet)
      this.nextReport.set(device.id, now + this.random.next() * this.options.reportEveryMs);
    this.nextEventAt = now + this.options.eventEveryMs;
    this.connectMissing(now);
    const turnMs = Math.min(this.options.reportEveryMs, this.options.fastReportEveryMs);
    this.timer = setInterval(() => {
      this.turn(Date.now());
    }, turnMs);
    this.timer.unref();
    this.log.warn(
      { devices: this.fleet.length, events: this.options.events },
      'demo simulator on: the demo devices report simulated readings (SIMULATOR=off stops it)',
    );
  }

  /** Devices connected to the broker right now. */
  get connectedDevices(): number {
    return this.links.connectedCount;
  }

  /** Starts an event now, rather than waiting for its turn (tests, and an impatient presenter). */
  trigger(kind: ScriptedEventKind, tenantId?: string, now = Date.now()): RunningEvent | null {
    const tenant = tenantId ?? this.tenants[this.eventTurn % Math.max(1, this.tenants.length)];
    const devices = this.fleet.filter((device) => device.tenantId === tenant);
    const busy = new Set(this.running.flatMap((event) => event.deviceIds));
    const event = startEvent(kind, devices, busy, this.host(), now);
    if (!event) return null;
    this.running.push(event);
    this.started.push({ kind, description: event.description, at: now });
    if (this.started.length > 50) this.started.shift();
    this.log.info({ event: kind, tenantId: tenant }, `demo simulator: ${event.description}`);
    return event;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.connecting;
    await this.links.close();
  }

  /** Connects the devices not connected (at start; later those refused or dropped for good), once a minute. */
  private connectMissing(now: number): void {
    if (this.connecting || this.closed || now < this.nextRetryAt) return;
    this.nextRetryAt = now + 60_000;
    const missing = this.fleet.filter((d) => !this.silent.has(d.id) && !this.links.connected(d.id));
    if (missing.length === 0) return;
    this.connecting = this.links
      .connect(missing.map((d) => d.id))
      .then(() => {
        this.log.info(
          { devices: this.links.connectedCount, of: this.fleet.length },
          'demo simulator: devices connected',
        );
      })
      .finally(() => {
        this.connecting = null;
      });
  }

  private turn(now: number): void {
    if (this.closed) return;
    this.connectMissing(now);
    for (let index = this.running.length - 1; index >= 0; index -= 1) {
      const event = this.running[index];
      if (event?.update(now)) {
        this.running.splice(index, 1);
        this.log.info({ event: event.kind }, `demo simulator: over: ${event.description}`);
      }
    }
    if (now >= this.nextEventAt && this.options.events.length > 0) {
      this.nextEventAt = now + this.options.eventEveryMs;
      const kind = this.options.events[this.eventTurn % this.options.events.length];
      if (kind) this.trigger(kind, undefined, now);
      this.eventTurn += 1;
    }
    for (const device of this.fleet) {
      const due = this.nextReport.get(device.id) ?? 0;
      if (now < due || this.silent.has(device.id) || !this.links.connected(device.id)) continue;
      const every = this.often.has(device.id) ? this.options.fastReportEveryMs : this.options.reportEveryMs;
      this.nextReport.set(device.id, now + every);
      const values = this.model.read(device.id, now);
      if (values) this.links.publish(device.id, values, now);
    }
  }

  private host(): EventHost {
    return {
      model: this.model,
      random: this.random,
      pace: this.options.pace,
      reportOften: (deviceId, often) => {
        if (often) {
          this.often.add(deviceId);
          this.nextReport.set(deviceId, 0);
        } else this.often.delete(deviceId);
      },
      silence: (deviceId) => {
        this.silent.add(deviceId);
        void this.links.drop(deviceId);
      },
      resume: (deviceId) => {
        this.silent.delete(deviceId);
        this.nextReport.set(deviceId, 0);
        if (!this.closed) void this.links.connect([deviceId], 1);
      },
    };
  }
}
