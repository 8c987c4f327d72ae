import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../logger.ts';
import type { DeviceValues } from './network-model.ts';

/**
 * The simulator's MQTT connections: one per demo device, signed in as that device with its own credentials
 * (client id and user name the device id, password the demo secret), so its readings take the path every real
 * device's take: the broker's sign-in, the device inbox, ingest, alert evaluation. A device announces itself
 * "online" on its status topic and leaves "offline" as its last will.
 */
export class DeviceLinks {
  private readonly clients = new Map<string, MqttClient>();
  private readonly failing = new Set<string>();
  private closed = false;
  private publishFailures = 0;

  constructor(
    private readonly brokerUrl: string,
    private readonly secret: string,
    private readonly log: Logger,
  ) {}

  get connectedCount(): number {
    let count = 0;
    for (const client of this.clients.values()) if (client.connected) count += 1;
    return count;
  }

  connected(deviceId: string): boolean {
    return this.clients.get(deviceId)?.connected ?? false;
  }

  /**
   * Connects the devices not connected yet, a few at a time: each sign-in costs the server a password hash, and
   * the hashing line is shared with real devices and operators signing in.
   */
  async connect(deviceIds: readonly string[], concurrency = 4): Promise<void> {
    const queue = deviceIds.filter((id) => !this.clients.has(id));
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined && !this.closed; id = queue.shift()) {
        await this.open(id);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  publish(deviceId: string, values: DeviceValues, time: number): void {
    const client = this.clients.get(deviceId);
    if (!client?.connected) return;
    client.publish(
      `devices/${deviceId}/telemetry`,
      JSON.stringify({ ts: time, values }),
      { qos: 1 },
      (error) => {
        if (!error) return;
        this.publishFailures += 1;
        // One line per hundred failures: a broker that went away is one problem, not thousands.
        if (this.publishFailures % 100 === 1)
          this.log.warn(
            { err: error, deviceId, failures: this.publishFailures },
            'simulated reading not sent',
          );
      },
    );
  }

  /** The device drops off the network without a word (no DISCONNECT: its last will tells the broker). */
  async drop(deviceId: string): Promise<void> {
    const client = this.clients.get(deviceId);
    this.clients.delete(deviceId);
    if (client) await client.endAsync(true);
  }

  /** Disconnects every device cleanly (no last will): stopping the simulator takes no device offline. */
  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(
      clients.map(async (client) => {
        // A clean DISCONNECT once in-flight readings are acknowledged; a broker that no longer answers gets 2 s.
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = await Promise.race([
          client.endAsync().then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(resolve, 2000, true))),
        ]);
        clearTimeout(timer);
        if (gaveUp) await client.endAsync(true);
      }),
    );
  }

  private async open(deviceId: string): Promise<void> {
    try {
      const client = await mqtt.connectAsync(
        this.brokerUrl,
        {
          clientId: deviceId,
          username: deviceId,
          password: this.secret,
          keepalive: 60,
          connectTimeout: 10_000,
          reconnectPeriod: 10_000,
          will: {
            topic: `devices/${deviceId}/status`,
            payload: Buffer.from('offline'),
            qos: 1,
            retain: false,
          },
        },
        false,
      );
      if (this.closed) {
        await client.endAsync(true);
        return;
      }
      const announce = (): void => {
        client.publish(`devices/${deviceId}/status`, 'online', { qos: 1 });
      };
      client.on('connect', announce);
      client.on('error', (error) => {
        this.log.debug({ err: error, deviceId }, 'simulated device connection error');
      });
      announce();
      this.clients.set(deviceId, client);
      this.failing.delete(deviceId);
    } catch (error) {
      // Refused (its secret rotated since the fleet was read, the broker full): left out until the next attempt.
      if (!this.failing.has(deviceId))
        this.log.warn({ err: error, deviceId }, 'a simulated device could not connect; it is left out');
      this.failing.add(deviceId);
    }
  }
}
