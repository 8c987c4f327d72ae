import type { Logger } from '../../logger.ts';
import { StoreRefusedError } from './store-refusal.ts';
import type { DeviceBatch, WriteOutcome } from './telemetry-writer.ts';

/** Why `submit` turned readings away: the queue is full, or the device or its tenant already holds its share. */
export type QueueRefusal = 'queue_full' | 'device_share' | 'tenant_share';

const refusalMessages: Readonly<Record<QueueRefusal, string>> = {
  queue_full: 'The ingest queue is full',
  device_share: 'This device holds its whole share of the ingest queue',
  tenant_share: 'This tenant holds its whole share of the ingest queue',
};

export class QueueFullError extends Error {
  constructor(readonly reason: QueueRefusal = 'queue_full') {
    super(refusalMessages[reason]);
    this.name = 'QueueFullError';
  }
}

interface Pending {
  readonly batch: DeviceBatch;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  settled: boolean;
}

/** What the queue does after a failed write: hold and retry it, split it, or refuse the one message left. */
export type AfterFailure = 'retry' | 'split' | 'refuse';

export interface IngestQueueOptions {
  /** Readings held at most; beyond it `submit` refuses, which is the backpressure devices see. */
  readonly capacity: number;
  /**
   * The part of `capacity` (0 to 1) one device, and one tenant, may hold: beyond it that device or tenant is told
   * to back off while the others are still taken. One that holds nothing may always send one message.
   */
  readonly deviceShare: number;
  readonly tenantShare: number;
  /** Readings written per transaction at most. */
  readonly maxBatch: number;
  /**
   * Write transactions at once at most. Their outcomes are released in the order the batches were taken, so a
   * later batch that commits first waits for the earlier ones before its messages are acknowledged.
   */
  readonly batchesInFlight: number;
  /** How long a reading may wait for company before its batch is written. */
  readonly lingerMs: number;
  readonly write: (batches: readonly DeviceBatch[]) => Promise<WriteOutcome>;
  readonly onWritten: (outcome: WriteOutcome) => void;
  readonly onWriteFailed: (error: unknown, attempt: number, then: AfterFailure) => void;
  /** Whether a failure is worth retrying as it is; a batch that failed otherwise is split to find the culprit. */
  readonly isTransient: (error: unknown) => boolean;
  readonly log: Logger;
}

/**
 * A bounded in-memory queue in front of the database. `submit` resolves once the readings are committed, so an
 * acknowledgement (HTTP 202, MQTT PUBACK) is only ever given for durable data. Up to `batchesInFlight` batches are
 * written at once, and settled in the order they were taken: a device's messages are answered in the order they
 * came. When PostgreSQL fails, the batches in flight are retried with back-off; new readings queue behind them
 * until the queue is full. A batch the database refuses for good is split until the message at fault stands alone,
 * and only that one is refused.
 */
export class IngestQueue {
  private readonly pending: Pending[] = [];
  private queuedReadings = 0;
  /** Readings not yet taken into a batch (the queue's depth counts those in flight too). */
  private waitingReadings = 0;
  private readonly heldByDevice = new Map<string, number>();
  private readonly heldByTenant = new Map<string, number>();
  private readonly deviceLimit: number;
  private readonly tenantLimit: number;
  private timer: NodeJS.Timeout | null = null;
  private writes = 0;
  /** Settles once the batch taken last has settled all its messages; the next one waits for it. */
  private lastSettled: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: IngestQueueOptions) {
    // A share of the whole queue is no limit of its own: a full queue is then just full.
    const limit = (share: number): number =>
      share >= 1 ? Infinity : Math.max(1, Math.floor(options.capacity * share));
    this.deviceLimit = limit(options.deviceShare);
    this.tenantLimit = limit(options.tenantShare);
  }

  get depth(): number {
    return this.queuedReadings;
  }

  submit(batch: DeviceBatch): Promise<void> {
    if (this.closed) return Promise.reject(new QueueFullError());
    const count = batch.readings.length;
    if (count === 0) return Promise.resolve();
    const refusal = this.refusal(batch);
    if (refusal) return Promise.reject(new QueueFullError(refusal));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ batch, resolve, reject, settled: false });
      this.queuedReadings += count;
      this.waitingReadings += count;
      addTo(this.heldByDevice, batch.deviceId, count);
      addTo(this.heldByTenant, batch.tenantId, count);
      this.schedule(this.waitingReadings >= this.options.maxBatch ? 0 : this.options.lingerMs);
    });
  }

  /** Writes what is queued, then refuses more. Resolves when the queue is empty or `timeoutMs` has passed. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + timeoutMs;
    this.schedule(0);
    while ((this.pending.length > 0 || this.writes > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.waitingReadings = 0;
    for (const item of this.pending.splice(0)) this.settle(item)?.reject(new QueueFullError());
  }

  /** Whether `batch` would take more than the queue, its device's share or its tenant's share has room for. */
  private refusal(batch: DeviceBatch): QueueRefusal | null {
    const count = batch.readings.length;
    const device = this.heldByDevice.get(batch.deviceId) ?? 0;
    if (device > 0 && device + count > this.deviceLimit) return 'device_share';
    const tenant = this.heldByTenant.get(batch.tenantId) ?? 0;
    if (tenant > 0 && tenant + count > this.tenantLimit) return 'tenant_share';
    if (this.queuedReadings + count > this.options.capacity) return 'queue_full';
    return null;
  }

  private schedule(delayMs: number): void {
    if (this.writes >= this.options.batchesInFlight) return;
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.drain();
    }, delayMs);
  }

  /** Takes batches off the head while there is room in flight; each one settles after the one taken before it. */
  private drain(): void {
    this.timer = null;
    while (this.pending.length > 0 && this.writes < this.options.batchesInFlight) {
      let readings = 0;
      let count = 0;
      for (const item of this.pending) {
        if (count > 0 && readings + item.batch.readings.length > this.options.maxBatch) break;
        count += 1;
        readings += item.batch.readings.length;
      }
      const take = this.pending.splice(0, count);
      this.waitingReadings -= readings;
      const previous = this.lastSettled;
      let settled: () => void = () => undefined;
      this.lastSettled = new Promise<void>((resolve) => {
        settled = resolve;
      });
      this.writes += 1;
      void this.write(take, previous).finally(() => {
        settled();
        this.writes -= 1;
        if (this.pending.length > 0) this.schedule(0);
      });
    }
  }

  /**
   * Writes `items` and settles each of them. Transient failures hold the part being written and retry it with
   * back-off (100 ms doubling to 5 s) until the database is back. Any other failure splits the part, per tenant
   * and then in halves, and writes each piece again: a message is refused only when it fails alone. Nothing is
   * settled before `previous` (the batch taken before) has settled everything it holds.
   */
  private async write(items: readonly Pending[], previous: Promise<void>): Promise<void> {
    const parts: (readonly Pending[])[] = [items];
    let attempt = 0;
    let waitedTurn = false;
    const turn = async (): Promise<void> => {
      if (waitedTurn) return;
      await previous;
      waitedTurn = true;
    };
    for (let part = parts.shift(); part; part = parts.shift()) {
      let outcome: WriteOutcome;
      try {
        outcome = await this.options.write(part.map((item) => item.batch));
      } catch (error) {
        attempt += 1;
        if (this.options.isTransient(error)) {
          this.options.onWriteFailed(error, attempt, 'retry');
          parts.unshift(part);
          await new Promise((resolve) =>
            setTimeout(resolve, Math.min(5000, 100 * 2 ** Math.min(attempt - 1, 6))),
          );
          continue;
        }
        const [only] = part;
        if (only && part.length === 1) {
          this.options.onWriteFailed(error, attempt, 'refuse');
          await turn();
          // Not acknowledged as stored: the transport tells the sender it was refused, and why.
          this.settle(only)?.reject(new StoreRefusedError(error));
        } else {
          this.options.onWriteFailed(error, attempt, 'split');
          parts.unshift(...split(part));
        }
        attempt = 0;
        continue;
      }
      attempt = 0;
      await turn();
      for (const item of part) this.settle(item)?.resolve();
      try {
        this.options.onWritten(outcome);
      } catch (error) {
        // Stored and acknowledged all the same; what listens to it must not stop the queue.
        this.options.log.error({ err: error }, 'a listener to stored readings failed');
      }
    }
  }

  /** Takes `item`'s readings off the queue and the shares, once; null when it was settled already. */
  private settle(item: Pending): Pending | null {
    if (item.settled) return null;
    item.settled = true;
    const count = item.batch.readings.length;
    this.queuedReadings -= count;
    addTo(this.heldByDevice, item.batch.deviceId, -count);
    addTo(this.heldByTenant, item.batch.tenantId, -count);
    return item;
  }
}

function addTo(held: Map<string, number>, key: string, count: number): void {
  const total = (held.get(key) ?? 0) + count;
  if (total > 0) held.set(key, total);
  else held.delete(key);
}

/** Per tenant when the part holds several; otherwise in halves, keeping the order of arrival. */
function split(part: readonly Pending[]): (readonly Pending[])[] {
  const byTenant = new Map<string, Pending[]>();
  for (const item of part) {
    const same = byTenant.get(item.batch.tenantId);
    if (same) same.push(item);
    else byTenant.set(item.batch.tenantId, [item]);
  }
  if (byTenant.size > 1) return [...byTenant.values()];
  const half = Math.ceil(part.length / 2);
  return [part.slice(0, half), part.slice(half)];
}
