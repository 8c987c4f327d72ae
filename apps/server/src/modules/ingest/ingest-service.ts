import { isTransientDatabaseError } from '@tidewatch/db';
import type { IngestResult, TelemetryPayload } from '@tidewatch/shared';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { EventBus } from '../../events/event-bus.ts';
import type { Logger } from '../../logger.ts';
import { DeviceDirectory } from './device-directory.ts';
import type { IngestDevice } from './ingest-device.ts';
import { createIngestMetrics, type IngestMetrics } from './ingest-metrics.ts';
import { IngestQueue } from './ingest-queue.ts';
import { normalizeReadings, type TimeWindow } from './normalize-readings.ts';
import { writeTelemetry } from './telemetry-writer.ts';

export type IngestTransport = 'http' | 'mqtt' | 'thingspeak';

export interface IngestOptions {
  readonly queueCapacity: number;
  readonly maxBatch: number;
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
    log: Logger,
    private readonly options: IngestOptions,
  ) {
    this.directory = new DeviceDirectory(pool, options.deviceCacheMs);
    this.metrics = createIngestMetrics(registry, () => this.queue.depth);
    this.queue = new IngestQueue({
      capacity: options.queueCapacity,
      maxBatch: options.maxBatch,
      lingerMs: options.lingerMs,
      log,
      write: async (batches) => {
        const stop = this.metrics.batchSeconds.startTimer();
        try {
          return await writeTelemetry(pool, batches);
        } finally {
          stop();
        }
      },
      onWritten: (outcome) => {
        for (const [deviceId, { tenantId, readings }] of outcome.stored) {
          this.metrics.stored.inc(readings.length);
          this.bus.emit('telemetry.stored', { tenantId, deviceId, readings });
        }
        for (const device of outcome.backOnline) {
          this.bus.emit('device.connectivity', { ...device, connectivity: 'online', at: Date.now() });
        }
      },
      isTransient: isTransientDatabaseError,
      onWriteFailed: (error, attempt) => {
        this.metrics.writeFailures.inc();
        log.warn({ err: error, attempt }, 'ingest batch not committed; holding it and retrying');
      },
    });
  }

  /**
   * Stores what is valid in `payload` for `device` and answers what was accepted and what was not. Resolves only
   * once the accepted readings are committed; throws QueueFullError when the server cannot take more now.
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
      this.metrics.refused.inc({ transport, reason: 'queue_full' });
      throw error;
    }
    this.metrics.readings.inc({ transport, outcome: 'accepted' }, readings.length);
    return { accepted: readings.length, rejected: rejections };
  }

  close(timeoutMs?: number): Promise<void> {
    return this.queue.close(timeoutMs);
  }
}
