import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { IngestQueue, QueueFullError } from './ingest-queue.ts';
import { StoreRefusedError } from './store-refusal.ts';
import type { DeviceBatch, WriteOutcome } from './telemetry-writer.ts';

const nothing: WriteOutcome = { stored: new Map() };
const batch = (value: number, deviceId = 'd', tenantId = 't', readings = 1): DeviceBatch => ({
  tenantId,
  deviceId,
  readings: Array.from({ length: readings }, (_, i) => ({ seriesId: 1, time: value * 1000 + i, value })),
});
const valuesOf = (batches: readonly DeviceBatch[]): number[] =>
  batches.flatMap((b) => b.readings.slice(0, 1).map((r) => r.value));

function queue(
  write: (batches: readonly DeviceBatch[]) => Promise<WriteOutcome>,
  options: {
    capacity?: number;
    deviceShare?: number;
    tenantShare?: number;
    maxBatch?: number;
    batchesInFlight?: number;
  } = {},
) {
  return new IngestQueue({
    capacity: options.capacity ?? 100,
    deviceShare: options.deviceShare ?? 1,
    tenantShare: options.tenantShare ?? 1,
    maxBatch: options.maxBatch ?? 10,
    batchesInFlight: options.batchesInFlight ?? 1,
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
      written.push(...valuesOf(batches));
      return Promise.resolve(nothing);
    });

    await Promise.all([q.submit(batch(1)), q.submit(batch(2))]);

    expect(attempts).toBe(3);
    expect(written).toEqual([1, 2]);
  });

  it('refuses a batch that cannot succeed, without holding up the ones behind it', async () => {
    const q = queue((batches) =>
      valuesOf(batches).includes(13)
        ? Promise.reject(new Error('constraint violated'))
        : Promise.resolve(nothing),
    );

    const poisoned = q.submit(batch(13));
    await expect(poisoned).rejects.toBeInstanceOf(StoreRefusedError);
    await expect(poisoned).rejects.toMatchObject({ cause: new Error('constraint violated') });
    await expect(q.submit(batch(14))).resolves.toBeUndefined();
  });

  it('splits a refused batch per tenant, then in halves, until only the message at fault is refused', async () => {
    const attempts: number[][] = [];
    const written: number[] = [];
    const q = queue(
      (batches) => {
        const values = valuesOf(batches);
        attempts.push(values);
        if (values.includes(13)) return Promise.reject(new Error('value out of range'));
        written.push(...values);
        return Promise.resolve(nothing);
      },
      { maxBatch: 100 },
    );
    const innocent = [1, 2, 3, 4, 5, 6, 7].map((value) => q.submit(batch(value, `d${String(value)}`, 'a')));
    const sameTenant = [10, 11, 12, 14, 15, 16].map((value) =>
      q.submit(batch(value, `d${String(value)}`, 'b')),
    );
    const guilty = q.submit(batch(13, 'd13', 'b'));

    await Promise.all([...innocent, ...sameTenant]);
    await expect(guilty).rejects.toBeInstanceOf(StoreRefusedError);

    expect(written.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 14, 15, 16]);
    // Whole batch, then tenant a alone (stored) and tenant b alone, then halves of b down to 13.
    expect(attempts[1]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(attempts[2]).toEqual([10, 11, 12, 14, 15, 16, 13]);
    expect(attempts.length).toBeLessThanOrEqual(2 + 2 * Math.ceil(Math.log2(7)) + 1);
  });

  it('holds a part of a split batch through a transient failure, then goes on splitting', async () => {
    let lost = false;
    const written: number[] = [];
    const q = queue(
      (batches) => {
        const values = valuesOf(batches);
        if (values.includes(13)) return Promise.reject(new Error('value out of range'));
        if (!lost && values.length === 2) {
          lost = true;
          return Promise.reject(new Error('connection lost'));
        }
        written.push(...values);
        return Promise.resolve(nothing);
      },
      { maxBatch: 100 },
    );

    const results = await Promise.allSettled([1, 2, 13, 4].map((value) => q.submit(batch(value))));

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(written.sort((x, y) => x - y)).toEqual([1, 2, 4]);
    expect(lost).toBe(true);
  });

  it('pushes back when full', async () => {
    const q = queue(() => new Promise(() => undefined), { capacity: 2 });

    void q.submit(batch(1, 'd1'));
    void q.submit(batch(2, 'd2'));

    await expect(q.submit(batch(3, 'd3'))).rejects.toMatchObject({ reason: 'queue_full' });
  });

  it('keeps taking other devices while one holds its share, and frees the share as it is written', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const q = queue(() => gate.then(() => nothing), { capacity: 100, deviceShare: 0.1, maxBatch: 1000 });

    // A device that holds nothing may send one message bigger than its share.
    const first = q.submit(batch(1, 'chatty', 't', 25));
    const refused = q.submit(batch(2, 'chatty', 't', 1));
    const other = q.submit(batch(3, 'quiet', 't', 10));

    await expect(refused).rejects.toBeInstanceOf(QueueFullError);
    await expect(refused).rejects.toMatchObject({ reason: 'device_share' });
    release();
    await Promise.all([first, other]);
    await expect(q.submit(batch(4, 'chatty', 't', 10))).resolves.toBeUndefined();
  });

  it('keeps taking other tenants while one holds its share', async () => {
    const q = queue(() => new Promise(() => undefined), { capacity: 100, tenantShare: 0.3, maxBatch: 1000 });

    for (let i = 0; i < 3; i += 1) void q.submit(batch(i, `a${String(i)}`, 'a', 10));
    const refused = q.submit(batch(9, 'a9', 'a', 1));
    void q.submit(batch(10, 'b1', 'b', 10));

    await expect(refused).rejects.toMatchObject({ reason: 'tenant_share' });
    expect(q.depth).toBe(40);
  });

  it('writes several batches at once, and settles a device’s messages in order though a later batch commits first', async () => {
    const commits: number[] = [];
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let writesAtOnce = 0;
    let mostAtOnce = 0;
    const q = queue(
      async (batches) => {
        writesAtOnce += 1;
        mostAtOnce = Math.max(mostAtOnce, writesAtOnce);
        if (valuesOf(batches).includes(1)) await firstHeld;
        commits.push(...valuesOf(batches));
        writesAtOnce -= 1;
        return nothing;
      },
      { maxBatch: 1, batchesInFlight: 3 },
    );
    const settled: number[] = [];

    const sent = [1, 2, 3].map((value) =>
      q.submit(batch(value)).then(() => {
        settled.push(value);
      }),
    );
    await vi.waitFor(() => {
      expect(commits).toEqual([2, 3]);
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const settledBeforeFirst = [...settled];
    releaseFirst();
    await Promise.all(sent);

    expect(mostAtOnce).toBeGreaterThanOrEqual(2);
    expect(settledBeforeFirst).toEqual([]);
    expect(settled).toEqual([1, 2, 3]);
    expect(commits).toEqual([2, 3, 1]);
  });

  it('holds a later batch’s answers while an earlier one is retried, and never answers for the earlier one', async () => {
    let failures = 0;
    const events: string[] = [];
    const q = queue(
      (batches) => {
        const values = valuesOf(batches);
        if (values.includes(1) && failures < 3) {
          failures += 1;
          return Promise.reject(new Error('connection lost'));
        }
        events.push(`commit ${values.join(',')}`);
        return Promise.resolve(nothing);
      },
      { maxBatch: 1, batchesInFlight: 2 },
    );

    await Promise.all(
      [1, 2].map((value) =>
        q.submit(batch(value)).then(() => {
          events.push(`settled ${String(value)}`);
        }),
      ),
    );

    expect(events).toEqual(['commit 2', 'commit 1', 'settled 1', 'settled 2']);
  });

  it('refuses a poisoned message of an earlier batch in its turn, before a later batch is settled', async () => {
    const events: string[] = [];
    const q = queue(
      (batches) => {
        const values = valuesOf(batches);
        if (values.includes(13)) return Promise.reject(new Error('value out of range'));
        return new Promise((resolve) =>
          setTimeout(
            () => {
              events.push(`commit ${values.join(',')}`);
              resolve(nothing);
            },
            values.includes(1) ? 30 : 0,
          ),
        );
      },
      { maxBatch: 2, batchesInFlight: 2 },
    );

    const results = await Promise.allSettled(
      [1, 13, 3, 4].map((value) =>
        q.submit(batch(value)).then(
          () => events.push(`settled ${String(value)}`),
          (error: unknown) => {
            events.push(`refused ${String(value)}`);
            throw error;
          },
        ),
      ),
    );

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(events.indexOf('commit 3,4')).toBeLessThan(events.indexOf('commit 1'));
    expect(events.filter((e) => !e.startsWith('commit'))).toEqual([
      'settled 1',
      'refused 13',
      'settled 3',
      'settled 4',
    ]);
  });
});
