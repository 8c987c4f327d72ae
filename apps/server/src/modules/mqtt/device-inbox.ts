import type { Logger } from '../../logger.ts';
import type { CommandDispatcher } from '../commands/command-dispatcher.ts';
import type { DeviceConnectivity } from '../connectivity/device-connectivity.ts';
import type { IngestService } from '../ingest/ingest-service.ts';
import { StoreRefusedError } from '../ingest/store-refusal.ts';
import { parseTelemetryMessage } from './device-message.ts';
import type { DeviceTopicKind } from './device-topics.ts';

/**
 * What became of a device's message. `stored`/`recorded`: done, acknowledge. `dropped`: it can never be valid
 * (malformed, unknown metric, refused by the database on its own, ...), counted and logged; acknowledge so it is
 * not sent again. `refused`: the device is unknown or disabled. A message that should be sent again (the queue
 * or the device's share of it is full, the database is away) makes `receive` throw.
 */
export type InboxOutcome = 'stored' | 'recorded' | 'dropped' | 'refused';

/** One entry point for every message a device publishes, whichever broker carried it. */
export class DeviceInbox {
  constructor(
    private readonly ingest: IngestService,
    private readonly connectivity: DeviceConnectivity,
    private readonly commands: CommandDispatcher,
    private readonly log: Logger,
    private readonly maxPayloadBytes: number,
  ) {}

  /** `body` is the broker's own buffer, not a copy: it is only read, never kept or changed. */
  async receive(deviceId: string, kind: DeviceTopicKind, body: Buffer): Promise<InboxOutcome> {
    const refuse = (reason: string): void => {
      this.ingest.metrics.refused.inc({ transport: 'mqtt', reason });
    };
    if (kind === 'telemetry') {
      // Parse before the lookup: a bad body costs no database work.
      const parsed = parseTelemetryMessage(body, this.maxPayloadBytes);
      if (!parsed.ok) {
        refuse(parsed.reason);
        this.log.warn({ deviceId, reason: parsed.reason }, 'dropped a telemetry message');
        return 'dropped';
      }
      const device = await this.ingest.directory.get(deviceId);
      if (!device || device.disabled) {
        refuse('auth');
        return 'refused';
      }
      try {
        await this.ingest.ingest(device, parsed.payload, 'mqtt');
      } catch (error) {
        // Counted and logged by ingest; the other messages written with it were stored.
        if (error instanceof StoreRefusedError) return 'dropped';
        throw error;
      }
      return 'stored';
    }
    const device = await this.ingest.directory.get(deviceId);
    if (!device || device.disabled) {
      refuse('auth');
      return 'refused';
    }
    if (kind === 'status') {
      const status = parseStatus(body);
      if (!status) {
        refuse('malformed');
        this.log.warn({ deviceId }, 'dropped a status message that is neither online nor offline');
        return 'dropped';
      }
      await this.connectivity.report(device.tenantId, device.id, status, 'status');
      return 'recorded';
    }
    const outcome = await this.commands.acknowledge(device.tenantId, device.id, body);
    if (outcome === 'ignored') refuse('malformed');
    return outcome === 'recorded' ? 'recorded' : 'dropped';
  }
}

/** `online` / `offline`, as plain text or as `{"status": "online"}`. */
function parseStatus(body: Buffer): 'online' | 'offline' | null {
  if (body.length > 256) return null;
  const text = body.toString('utf8').trim();
  if (text === 'online' || text === 'offline') return text;
  try {
    const json: unknown = JSON.parse(text);
    const status =
      typeof json === 'object' && json !== null ? (json as { status?: unknown }).status : undefined;
    return status === 'online' || status === 'offline' ? status : null;
  } catch {
    return null;
  }
}
