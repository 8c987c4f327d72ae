import type { Logger } from '../../logger.ts';
import type { DeviceBatch, WriteOutcome } from './telemetry-writer.ts';

export class QueueFullError extends Error {
  constructor() {
    super('The ingest queue is full');
    this.name = 'QueueFullError';
  }
}

interface Pending {
  readonly batch: DeviceBatch;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export interface IngestQueueOptions {
  /** Readings held at most; beyond it `submit` refuses, which is the backpressure devices see. */
  readonly capacity: number;
  /** Readings written per transaction at most. */
  readonly maxBatch: number;
  /** How long a reading may wait for company before its batch is written. */
  readonly lingerMs: number;
  readonly write: (batches: readonly DeviceBatch[]) => Promise<WriteOutcome>;
  readonly onWritten: (outcome: WriteOutcome) => void;
  readonly onWriteFailed: (error: unknown, attempt: number) => void;
  /** Whether a failure is worth retrying; a batch that failed otherwise is refused so it cannot block the queue. */
  readonly isTransient: (error: unknown) => boolean;
  readonly log: Logger;
}

/**
 * A bounded in-memory queue in front of the database. `submit` resolves once the readings are committed, so an
 * acknowledgement (HTTP 202, MQTT PUBACK) is only ever given for durable data. When PostgreSQL fails, the batch
 * stays at the head and is retried with back-off; new readings queue behind it until the queue is full.
 */
export class IngestQueue {
  private readonly pending: Pending[] = [];
  private queuedReadings = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  private closed = false;

  constructor(private readonly options: IngestQueueOptions) {}

  get depth(): number {
    return this.queuedReadings;
  }

  submit(batch: DeviceBatch): Promise<void> {
    if (this.closed) return Promise.reject(new QueueFullError());
    if (batch.readings.length === 0) return Promise.resolve();
    if (this.queuedReadings + batch.readings.length > this.options.capacity)
      return Promise.reject(new QueueFullError());
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ batch, resolve, reject });
      this.queuedReadings += batch.readings.length;
      this.schedule(this.queuedReadings >= this.options.maxBatch ? 0 : this.options.lingerMs);
    });
  }

  /** Writes what is queued, then refuses more. Resolves when the queue is empty or `timeoutMs` has passed. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + timeoutMs;
    this.schedule(0);
    while ((this.pending.length > 0 || this.writing) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const item of this.pending.splice(0)) item.reject(new QueueFullError());
  }

  private schedule(delayMs: number): void {
    if (this.writing) return;
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), delayMs);
  }

  private async drain(): Promise<void> {
    this.timer = null;
    if (this.writing) return;
    this.writing = true;
    let attempt = 0;
    try {
      while (this.pending.length > 0) {
        const take: Pending[] = [];
        let readings = 0;
        for (const item of this.pending) {
          if (take.length > 0 && readings + item.batch.readings.length > this.options.maxBatch) break;
          take.push(item);
          readings += item.batch.readings.length;
        }
        try {
          const outcome = await this.options.write(take.map((item) => item.batch));
          this.pending.splice(0, take.length);
          this.queuedReadings -= readings;
          attempt = 0;
          for (const item of take) item.resolve();
          this.options.onWritten(outcome);
        } catch (error) {
          attempt += 1;
          this.options.onWriteFailed(error, attempt);
          if (!this.options.isTransient(error)) {
            // Not acknowledged, so the senders still hold these readings and may send them again.
            this.pending.splice(0, take.length);
            this.queuedReadings -= readings;
            attempt = 0;
            const failure = error instanceof Error ? error : new Error(String(error));
            for (const item of take) item.reject(failure);
            continue;
          }
          // Keep the batch and wait: 100 ms doubling to 5 s, until the database is back.
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 6))),
          );
        }
      }
    } finally {
      this.writing = false;
      if (this.pending.length > 0) this.schedule(0);
    }
  }
}
