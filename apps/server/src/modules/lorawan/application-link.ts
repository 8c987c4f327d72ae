import { isRetryableDatabaseError } from '@tidewatch/db';
import mqtt, { type MqttClient } from 'mqtt';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { QueueFullError } from '../ingest/ingest-queue.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { lorawanPasswordContext } from '../secrets/stored-secrets.ts';
import { afterFailure, type RetryPolicy } from '../thingspeak/retry-policy.ts';
import type { ApplicationClaim } from './application-claims.ts';
import { chirpStackFormat } from './chirpstack-format.ts';
import { commandDownlink } from './command-downlink.ts';
import type { LorawanFormatRules } from './lorawan-event.ts';
import type { InboxApplication, LorawanInbox } from './lorawan-inbox.ts';
import type { LorawanMetrics } from './lorawan-metrics.ts';
import type { ApplicationSettings, LorawanStore, MappedDevice } from './lorawan-store.ts';
import { ttsFormat } from './tts-format.ts';

export interface LinkDeps {
  readonly store: LorawanStore;
  readonly inbox: LorawanInbox;
  readonly secrets: SecretBox;
  readonly bus: EventBus;
  readonly metrics: LorawanMetrics;
  readonly log: Logger;
  readonly retry: RetryPolicy;
}

const FORMATS: Readonly<Record<string, LorawanFormatRules>> = {
  chirpstack: chirpStackFormat,
  tts: ttsFormat,
};
const DOWNLINK_BATCH = 50;
const HOLD_RETRY_MS = 250;
/** How long the broker keeps the application's session (and its messages) while no instance is connected. */
const SESSION_EXPIRY_S = 86_400;
const HOLD_RETRY_MAX_MS = 5000;

/** Marks a message acknowledged later (or never, when closing): see `handleInOrder`. */
class NotNow extends Error {}

/**
 * One application this instance holds: the connection to its network server's broker, subscribed to the
 * application's topics, each message handed to the inbox in arrival order and acknowledged (QoS 1) once what it
 * carries is committed; and the downlinks of the commands waiting for its devices. The broker keeps the
 * session (a client id per application, no clean start), so messages sent while the application moves from one
 * instance to another wait for the next holder.
 */
export class ApplicationLink implements InboxApplication {
  readonly applicationId: string;
  readonly tenantId: string;
  networkApplicationId = '';
  rules: LorawanFormatRules = chirpStackFormat;
  private client: MqttClient | null = null;
  private devicesByEui = new Map<string, MappedDevice>();
  private readonly waitingLogged = new Set<string>();
  private closing = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private delivering: Promise<void> | null = null;
  private deliverAgain = false;
  private readonly log: Logger;

  constructor(
    public claim: ApplicationClaim,
    private readonly deps: LinkDeps,
  ) {
    this.applicationId = claim.applicationId;
    this.tenantId = claim.tenantId;
    this.log = deps.log.child({ lorawanApplicationId: claim.applicationId });
  }

  isClosing(): boolean {
    return this.closing;
  }

  connected(): boolean {
    return this.client?.connected ?? false;
  }

  hasDevice(deviceId: string): boolean {
    return [...this.devicesByEui.values()].some((d) => d.deviceId === deviceId);
  }

  /** Loads the settings and devices and connects; false when the application is gone. */
  async start(): Promise<boolean> {
    const settings = await this.deps.store.settings(this.tenantId, this.applicationId);
    if (!settings) return false;
    await this.reloadDevices();
    this.networkApplicationId = settings.networkApplicationId;
    this.rules = FORMATS[settings.format] ?? chirpStackFormat;
    let password: string | undefined;
    try {
      password =
        settings.password === null
          ? undefined
          : (
              await this.deps.secrets.open(
                settings.password,
                lorawanPasswordContext(this.tenantId, this.applicationId),
              )
            ).toString('utf8');
    } catch (error) {
      this.log.error({ err: error }, 'the stored LoRaWAN broker password does not open');
      await this.report({ connected: false, error: 'the stored password cannot be read; save it again' });
      return true;
    }
    this.connect(settings, password);
    return true;
  }

  async reloadDevices(): Promise<void> {
    this.devicesByEui = await this.deps.store.devices(this.tenantId, this.applicationId);
  }

  async device(devEui: string): Promise<MappedDevice | null> {
    const known = this.devicesByEui.get(devEui);
    if (known) return known;
    // A device bound a moment ago is found at its first uplink, before the next tick reloads the map: an unknown
    // DevEUI costs one indexed lookup, as cheap as recording its uplink (which follows when it is still unknown).
    const found = (await this.deps.store.devices(this.tenantId, this.applicationId, devEui)).get(devEui);
    if (!found) return null;
    this.devicesByEui.set(devEui, found);
    return found;
  }

  networkDeviceIdLearned(devEui: string, networkDeviceId: string): void {
    const known = this.devicesByEui.get(devEui);
    if (!known) return;
    this.devicesByEui.set(devEui, { ...known, networkDeviceId });
    this.deliverPending();
  }

  private connect(settings: ApplicationSettings, password: string | undefined): void {
    // ChirpStack's brokers (Mosquitto, EMQX) speak MQTT 5, whose acknowledgements we hold until a message is
    // stored; The Things Stack's speaks 3.1.1, where mqtt.js acknowledges on receipt.
    const protocolVersion = settings.format === 'tts' ? 4 : 5;
    const client = mqtt.connect(settings.brokerUrl, {
      protocolVersion,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: SESSION_EXPIRY_S } } : {}),
      clientId: `tidewatch-lorawan-${settings.id}`,
      ...(settings.username === null ? {} : { username: settings.username }),
      ...(password === undefined ? {} : { password }),
      clean: false,
      // Reconnecting is ours: back-off, and a circuit after repeated failures.
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      customHandleAcks: (topic, message, _packet, done) => {
        this.handleInOrder(topic, message).then(
          () => {
            done(0);
          },
          () => {
            // Closing: unacknowledged, the broker keeps it for the next holder.
            done(new NotNow());
          },
        );
      },
    });
    this.client = client;
    client.on('message', (topic, message, packet) => {
      if (packet.qos === 0 || protocolVersion === 4)
        void this.handleInOrder(topic, message).catch(() => undefined);
    });
    client.on('connect', () => {
      client
        .subscribeAsync(
          Object.fromEntries(
            this.rules.subscriptions(this.networkApplicationId).map((t) => [t, { qos: 1 as const }]),
          ),
        )
        .then(async (granted) => {
          if (granted.some((grant) => grant.qos > 2)) throw new Error('the broker refused the subscription');
          this.failures = 0;
          this.log.info({ url: settings.brokerUrl }, 'connected to the LoRaWAN network server');
          await this.report({ connected: true, error: null, failures: 0, circuitOpenUntil: null });
          this.deliverPending();
        })
        .catch((error: unknown) => {
          this.log.error({ err: error }, 'could not subscribe to the LoRaWAN application');
          void this.report({ connected: false, error: `subscription refused: ${String(error)}` });
          client.end(true);
        });
    });
    let lastError: string | null = null;
    client.on('error', (error) => {
      if (error instanceof NotNow) return;
      lastError = error.message;
    });
    client.on('close', () => {
      if (this.closing) return;
      this.failures += 1;
      this.deps.metrics.connectionFailures.inc();
      const decision = afterFailure(this.failures - 1, this.deps.retry);
      const waitMs = Math.max(decision.retryInMs, decision.circuitOpenMs ?? 0);
      this.log.warn(
        { error: lastError, failures: this.failures, retryInMs: waitMs },
        'LoRaWAN broker connection lost',
      );
      void this.report({
        connected: false,
        error: lastError ?? 'connection closed',
        failures: this.failures,
        circuitOpenUntil:
          decision.circuitOpenMs === null ? null : new Date(Date.now() + decision.circuitOpenMs),
      });
      lastError = null;
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        if (!this.closing) client.reconnect();
      }, waitMs);
    });
  }

  private async report(report: Parameters<LorawanStore['report']>[3]): Promise<void> {
    try {
      await this.deps.store.report(this.tenantId, this.applicationId, this.claim.claimToken, report);
    } catch (error) {
      this.log.warn({ err: error }, 'could not record the LoRaWAN connection state');
    }
  }

  /** Messages one after another, in arrival order; rejects only when closing (the message stays unacknowledged). */
  private handleInOrder(topic: string, body: Buffer): Promise<void> {
    const work = this.chain.then(() => this.handle(topic, body));
    this.chain = work.catch(() => undefined);
    return work;
  }

  private async handle(topic: string, body: Buffer): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.closing) throw new NotNow();
      try {
        await this.deps.inbox.receive(this, topic, body);
        void this.deps.store
          .messageReceived(this.tenantId, this.applicationId, this.claim.claimToken)
          .catch(() => undefined);
        return;
      } catch (error) {
        // Closed while the message was being handled.
        if (this.isClosing()) throw new NotNow();
        if (!(error instanceof QueueFullError) && !isRetryableDatabaseError(error)) {
          this.deps.metrics.messages.inc({ format: this.rules.format, event: 'unknown', outcome: 'failed' });
          this.log.error({ err: error, topic }, 'could not handle a LoRaWAN message; dropped');
          return;
        }
        if (attempt === 1)
          this.log.warn({ err: error, topic }, 'holding a LoRaWAN message until it can be stored');
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(HOLD_RETRY_MAX_MS, HOLD_RETRY_MS * 2 ** Math.min(attempt - 1, 5))),
        );
      }
    }
  }

  /** Publishes the downlinks of the commands waiting for the application's devices; one run at a time. */
  deliverPending(): void {
    if (this.delivering) {
      this.deliverAgain = true;
      return;
    }
    this.delivering = this.deliver()
      .catch((error: unknown) => {
        this.log.warn({ err: error }, 'could not send LoRaWAN downlinks; the next sweep retries');
      })
      .finally(() => {
        this.delivering = null;
        if (this.deliverAgain && !this.closing) {
          this.deliverAgain = false;
          this.deliverPending();
        }
      });
  }

  private async deliver(): Promise<void> {
    const { store, bus, metrics } = this.deps;
    const client = this.client;
    if (!client?.connected || this.closing) return;
    const pending = await store.pendingCommands(this.tenantId, this.applicationId, DOWNLINK_BATCH);
    if (pending.length > 0 && pending.some((c) => !this.hasDevice(c.deviceId))) await this.reloadDevices();
    for (const command of pending) {
      const device = [...this.devicesByEui.values()].find((d) => d.deviceId === command.deviceId);
      if (!device) continue;
      const downlink = commandDownlink(command.id, command.command, command.params, device);
      const changed = { tenantId: this.tenantId, deviceId: command.deviceId, commandId: command.id };
      if (typeof downlink === 'string') {
        metrics.downlinks.inc({ outcome: 'undeliverable' });
        if (await store.commandUndeliverable(this.tenantId, command, downlink))
          bus.emit('command.changed', { ...changed, state: 'failed' });
        continue;
      }
      const topic = this.rules.downlinkTopic(this.networkApplicationId, device);
      if (topic === null) {
        if (this.waitingLogged.has(command.id)) continue;
        if (this.waitingLogged.size > 10_000) this.waitingLogged.clear();
        this.waitingLogged.add(command.id);
        this.log.warn(
          { deviceId: device.deviceId },
          'LoRaWAN downlink waits: the network server has not told the device id yet',
        );
        continue;
      }
      await client.publishAsync(topic, this.rules.downlinkBody(device, downlink), { qos: 1 });
      metrics.downlinks.inc({ outcome: 'published' });
      if (await store.commandDelivered(this.tenantId, command))
        bus.emit('command.changed', { ...changed, state: 'delivered' });
    }
  }

  /** Drops the connection: messages being stored finish first, the rest stay with the broker. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    await this.delivering;
    const client = this.client;
    if (!client) return;
    await Promise.race([this.chain, new Promise((resolve) => setTimeout(resolve, 5000))]);
    await client.endAsync(true).catch(() => undefined);
  }
}
