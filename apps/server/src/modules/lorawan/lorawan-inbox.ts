import type { Logger } from '../../logger.ts';
import type { CommandDispatcher } from '../commands/command-dispatcher.ts';
import type { IngestDevice } from '../ingest/ingest-device.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import { StoreRefusedError } from '../ingest/store-refusal.ts';
import type { LorawanEvent, LorawanFormatRules } from './lorawan-event.ts';
import type { LorawanMessageOutcome, LorawanMetrics } from './lorawan-metrics.ts';
import type { LorawanStore, MappedDevice } from './lorawan-store.ts';
import { payloadValues } from './payload-values.ts';

/** The application a message came for, as its holder knows it. */
export interface InboxApplication {
  readonly applicationId: string;
  readonly tenantId: string;
  readonly networkApplicationId: string;
  readonly rules: LorawanFormatRules;
  /** The device mapped to a DevEUI (reloading the mapping once in a while when none is). */
  device(devEui: string): Promise<MappedDevice | null>;
  /** The network server named a device (The Things Stack's device id): downlinks waiting for that can go now. */
  networkDeviceIdLearned(devEui: string, networkDeviceId: string): void;
}

export interface LorawanInboxDeps {
  readonly store: LorawanStore;
  readonly ingest: IngestService;
  readonly commands: CommandDispatcher;
  readonly metrics: LorawanMetrics;
  readonly log: Logger;
  readonly maxMessageBytes: number;
}

/**
 * One entry point for every message of a network server's integration. Resolves with what became of it, once
 * whatever it carries is committed: the caller acknowledges the message then. Throws only what sending the
 * message again may cure (the ingest queue is full, the database is away): the caller holds it and retries.
 *
 * An uplink is stored exactly once: one already recorded (same DevEUI, frame counter and time: the network
 * server sent it again) is skipped; one whose readings were committed but not yet recorded when the process
 * stopped is stored again harmlessly, since a series holds one reading per time.
 */
export class LorawanInbox {
  constructor(private readonly deps: LorawanInboxDeps) {}

  async receive(app: InboxApplication, topic: string, body: Buffer): Promise<LorawanMessageOutcome> {
    const { metrics, log } = this.deps;
    const count = (event: string, outcome: LorawanMessageOutcome): LorawanMessageOutcome => {
      metrics.messages.inc({ format: app.rules.format, event, outcome });
      return outcome;
    };
    if (body.length > this.deps.maxMessageBytes) {
      log.warn(
        { applicationId: app.applicationId, topic, bytes: body.length },
        'dropped an oversized LoRaWAN message',
      );
      return count('unknown', 'malformed');
    }
    const parsed = app.rules.parse(app.networkApplicationId, topic, body);
    if (!parsed.ok) {
      if (parsed.reason === 'malformed')
        log.warn(
          { applicationId: app.applicationId, topic, reason: parsed.detail },
          'dropped a malformed LoRaWAN message',
        );
      return count('unknown', parsed.reason);
    }
    const { event } = parsed;
    const device = await app.device(event.devEui);
    if (!device) {
      if (event.kind === 'uplink') await this.recordUnknown(app, event);
      return count(event.kind, 'unknown_device');
    }
    if (event.networkDeviceId !== null && event.networkDeviceId !== device.networkDeviceId) {
      await this.deps.store.learnNetworkDeviceId(app.tenantId, device.deviceId, event.networkDeviceId);
      app.networkDeviceIdLearned(event.devEui, event.networkDeviceId);
    }
    return count(event.kind, await this.handle(app, device, event));
  }

  private async handle(
    app: InboxApplication,
    device: MappedDevice,
    event: LorawanEvent,
  ): Promise<LorawanMessageOutcome> {
    const { store, log } = this.deps;
    switch (event.kind) {
      case 'uplink':
        return this.uplink(app, device, event);
      case 'join':
        await store.recordJoin(app.tenantId, device.deviceId, event.time, event.devAddr);
        return 'recorded';
      case 'status':
        await store.recordStatus(app.tenantId, device.deviceId, event);
        return 'recorded';
      case 'downlink':
        return this.downlink(app, device, event);
      case 'log':
        if (event.level === 'ERROR' || event.level === 'WARNING')
          log.warn(
            {
              applicationId: app.applicationId,
              deviceId: device.deviceId,
              code: event.code,
              description: event.description,
            },
            'the network server logged a problem with a LoRaWAN device',
          );
        return 'recorded';
    }
  }

  private async uplink(
    app: InboxApplication,
    device: MappedDevice,
    event: Extract<LorawanEvent, { kind: 'uplink' }>,
  ): Promise<LorawanMessageOutcome> {
    const { store, ingest, metrics, log } = this.deps;
    if (await store.uplinkSeen(app.tenantId, app.applicationId, event.devEui, event.fCnt, event.time))
      return 'duplicate';
    const record = {
      applicationId: app.applicationId,
      devEui: event.devEui,
      deviceId: device.deviceId,
      fCnt: event.fCnt,
      fPort: event.fPort,
      time: event.time,
      payload: event.payload,
    };
    if (device.disabled) {
      await store.recordUplink(app.tenantId, { ...record, outcome: 'disabled_device', stored: null });
      return 'disabled_device';
    }
    const { values, rejected } = payloadValues(event.payload, device.mappings);
    for (const [reason, n] of Object.entries(rejected)) if (n > 0) metrics.valuesRejected.inc({ reason }, n);
    if (Object.keys(values).length === 0) {
      log.warn(
        {
          applicationId: app.applicationId,
          deviceId: device.deviceId,
          fCnt: event.fCnt,
          decoded: event.payload !== undefined,
        },
        'LoRaWAN uplink without any mapped value (no codec, or the mapping does not match its payload)',
      );
      await store.recordUplink(app.tenantId, { ...record, outcome: 'undecodable', stored: null });
      return 'undecodable';
    }
    const known = await this.ingestDevice(device);
    if (!known) {
      await store.recordUplink(app.tenantId, { ...record, outcome: 'disabled_device', stored: null });
      return 'disabled_device';
    }
    let stored: Record<string, number>;
    try {
      const result = await ingest.ingest(known, { ts: event.time, values }, 'lorawan');
      const refused = new Set(result.rejected.map((r) => r.metric));
      stored = Object.fromEntries(Object.entries(values).filter(([key]) => !refused.has(key)));
    } catch (error) {
      if (!(error instanceof StoreRefusedError)) throw error;
      await store.recordUplink(app.tenantId, { ...record, outcome: 'refused', stored: null });
      return 'refused';
    }
    await store.recordUplink(app.tenantId, { ...record, outcome: 'stored', stored });
    return 'stored';
  }

  /** The device as ingest knows it, reloaded when a mapping names a series the cached copy lacks. */
  private async ingestDevice(device: MappedDevice): Promise<IngestDevice | null> {
    const { directory } = this.deps.ingest;
    const cached = await directory.get(device.deviceId);
    if (cached && device.mappings.every((m) => cached.seriesByKey.has(m.metricKey)))
      return cached.disabled ? null : cached;
    directory.invalidate(device.deviceId);
    const fresh = await directory.get(device.deviceId);
    return fresh && !fresh.disabled ? fresh : null;
  }

  private async recordUnknown(
    app: InboxApplication,
    event: Extract<LorawanEvent, { kind: 'uplink' }>,
  ): Promise<void> {
    const { store } = this.deps;
    if (await store.uplinkSeen(app.tenantId, app.applicationId, event.devEui, event.fCnt, event.time)) return;
    await store.recordUplink(app.tenantId, {
      applicationId: app.applicationId,
      devEui: event.devEui,
      deviceId: null,
      fCnt: event.fCnt,
      fPort: event.fPort,
      time: event.time,
      payload: event.payload,
      outcome: 'unknown_device',
      stored: null,
    });
  }

  /** A downlink's fate, through the command lifecycle: only the device's own open commands move. */
  private async downlink(
    app: InboxApplication,
    device: MappedDevice,
    event: Extract<LorawanEvent, { kind: 'downlink' }>,
  ): Promise<LorawanMessageOutcome> {
    const { commands, store, metrics } = this.deps;
    if (event.commandId === null) return 'ignored';
    if (event.result === 'transmitted') {
      // A confirmed downlink waits for the device's own confirmation; an unconfirmed one is done once sent.
      const confirmed = await store.commandConfirmed(app.tenantId, event.commandId);
      if (confirmed !== false) return 'recorded';
    }
    const ack =
      event.result === 'failed'
        ? { id: event.commandId, status: 'error', message: event.message ?? 'the downlink failed' }
        : { id: event.commandId, status: 'ok' };
    const outcome = await commands.acknowledge(
      app.tenantId,
      device.deviceId,
      Buffer.from(JSON.stringify(ack)),
    );
    if (outcome === 'recorded')
      metrics.downlinks.inc({ outcome: ack.status === 'ok' ? 'acknowledged' : 'failed' });
    return outcome === 'recorded' ? 'recorded' : 'ignored';
  }
}
