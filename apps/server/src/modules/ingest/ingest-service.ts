import { isRetryableDatabaseError } from '@tidewatch/db';
import type { IngestResult, TelemetryPayload } from '@tidewatch/shared';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import type { DeviceStateBuffer } from '../connectivity/device-state-buffer.ts';
import { DeviceDirectory } from './device-directory.ts';
import type { IngestDevice } from './ingest-device.ts';
import { createIngestMetrics, type IngestMetrics } from './ingest-metrics.ts';
import { IngestQueue, QueueFullError } from './ingest-queue.ts';
import { normalizeReadings, type TimeWindow } from './normalize-readings.ts';
import { StoreRefusedError } from './store-refusal.ts';
import { writeTelemetry } from './telemetry-writer.ts';

export type IngestTransport = 'http' | 'mqtt' | 'thingspeak' | 'modbus' | 'opcua' | 'lorawan';

export interface IngestOptions {
  readonly queueCapacity: number;
  /** The part of the queue one device, and one tenant, may hold (0 to 1). */
  readonly deviceShare: number;
  readonly tenantShare: number;
  readonly maxBatch: number;
  /** Write transactions at once at most (INGEST_BATCHES_IN_FLIGHT). */
  readonly batchesInFlight: number;
  readonly lingerMs: number;
  readonly deviceCacheMs: number;
  readonly window: TimeWindow;
}

/**
 * The write path every transport shares: normalize a device's messages, queue them, and resolve once they are
 * committed; then tell the rest of the server through the event bus.
 */
export class IngestService {
  readonly directory: DeviceDirectory;
  readonly metrics: IngestMetrics;
  private readonly queue: IngestQueue;

  constructor(
    pool: pg.Pool,
    private readonly bus: EventBus,
    registry: Registry,
    private readonly log: Logger,
    private readonly options: IngestOptions,
    deviceStates: DeviceStateBuffer,
  ) {
    this.directory = new DeviceDirectory(pool, options.deviceCacheMs);
    this.metrics = createIngestMetrics(registry, () => this.queue.depth);
    this.queue = new IngestQueue({
      capacity: options.queueCapacity,
      deviceShare: options.deviceShare,
      tenantShare: options.tenantShare,
      maxBatch: options.maxBatch,
      batchesInFlight: options.batchesInFlight,
      lingerMs: options.lingerMs,
      log,
      write: async (batches) => {
        const stop = this.metrics.batchSeconds.startTimer();
        let outcome;
        try {
          outcome = await writeTelemetry(pool, batches);
        } finally {
          stop();
        }
        // Heard, re-sent readings included; a device coming back is recorded before it is acknowledged.
        await deviceStates.record(
          batches.map((b) => ({
            tenantId: b.tenantId,
            deviceId: b.deviceId,
            readingAt: b.readings.reduce((latest, r) => Math.max(latest, r.time), 0),
          })),
        );
        return outcome;
      },
      onWritten: (outcome) => {
        for (const [deviceId, { tenantId, readings }] of outcome.stored) {
          this.metrics.stored.inc(readings.length);
          this.bus.emit('telemetry.stored', { tenantId, deviceId, readings });
        }
      },
      isTransient: isRetryableDatabaseError,
      onWriteFailed: (error, attempt, then) => {
        this.metrics.writeFailures.inc();
        if (then === 'retry')
          log.warn({ err: error, attempt }, 'ingest batch not committed; holding it and retrying');
        else if (then === 'split')
          log.warn(
            { err: error },
            'ingest batch refused by the database; splitting it to find the message at fault',
          );
        // A refused message is logged by `ingest`, which knows its device and transport.
      },
    });
  }

  /**
   * Stores what is valid in `payload` for `device` and answers what was accepted and what was not. Resolves only
   * once the accepted readings are committed; throws QueueFullError when the server cannot take more now (or
   * not from this device or tenant), and StoreRefusedError when the database refused this message for good.
   */
  async ingest(
    device: IngestDevice,
    payload: TelemetryPayload,
    transport: IngestTransport,
  ): Promise<IngestResult> {
    const messages = Array.isArray(payload) ? payload : [payload];
    const { readings, rejections } = normalizeReadings(device, messages, Date.now(), this.options.window);
    for (const rejection of rejections) this.metrics.readings.inc({ transport, outcome: rejection.reason });
    try {
      await this.queue.submit({ tenantId: device.tenantId, deviceId: device.id, readings });
    } catch (error) {
      if (error instanceof QueueFullError || error instanceof StoreRefusedError)
        this.metrics.refused.inc({ transport, reason: error.reason });
      if (error instanceof StoreRefusedError) {
        // Its next message is judged against the device as it is now (removed, or its series changed).
        this.directory.invalidate(device.id);
        this.log.warn(
          {
            err: error.cause,
            deviceId: device.id,
            transport,
            reason: error.reason,
            readings: readings.length,
          },
          'readings refused by the database; the messages written with them were stored',
        );
      }
      throw error;
    }
    this.metrics.readings.inc({ transport, outcome: 'accepted' }, readings.length);
    return { accepted: readings.length, rejected: rejections };
  }

  close(timeoutMs?: number): Promise<void> {
    return this.queue.close(timeoutMs);
  }
}
