import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { IngestQueue, QueueFullError } from './ingest-queue.ts';
import type { DeviceBatch, WriteOutcome } from './telemetry-writer.ts';

const nothing: WriteOutcome = { stored: new Map(), backOnline: [] };
const batch = (value: number): DeviceBatch => ({
  tenantId: 't',
  deviceId: 'd',
  readings: [{ seriesId: 1, time: value, value }],
});

function queue(write: (batches: readonly DeviceBatch[]) => Promise<WriteOutcome>, capacity = 100) {
  return new IngestQueue({
    capacity,
    maxBatch: 10,
    lingerMs: 1,
    write,
    onWritten: () => undefined,
    onWriteFailed: () => undefined,
    isTransient: (error) => error instanceof Error && error.message === 'connection lost',
    log: pino({ level: 'silent' }),
  });
}

describe('IngestQueue', () => {
  it('holds a batch through transient failures and resolves once it is written', async () => {
    let attempts = 0;
    const written: number[] = [];
    const q = queue((batches) => {
      attempts += 1;
      if (attempts < 3) return Promise.reject(new Error('connection lost'));
      written.push(...batches.flatMap((b) => b.readings.map((r) => r.value)));
      return Promise.resolve(nothing);
    });

    await Promise.all([q.submit(batch(1)), q.submit(batch(2))]);

    expect(attempts).toBe(3);
    expect(written).toEqual([1, 2]);
  });

  it('refuses a batch that cannot succeed, without holding up the ones behind it', async () => {
    const q = queue((batches) =>
      batches.some((b) => b.readings.some((r) => r.value === 13))
        ? Promise.reject(new Error('constraint violated'))
        : Promise.resolve(nothing),
    );

    const poisoned = q.submit(batch(13));
    await expect(poisoned).rejects.toThrow('constraint violated');
    await expect(q.submit(batch(14))).resolves.toBeUndefined();
  });

  it('pushes back when full', async () => {
    const q = queue(() => new Promise(() => undefined), 2);

    void q.submit(batch(1));
    void q.submit(batch(2));

    await expect(q.submit(batch(3))).rejects.toBeInstanceOf(QueueFullError);
  });
});
