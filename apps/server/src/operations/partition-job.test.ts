import { defaultRetentionPolicy } from '@tidewatch/db';
import pg from 'pg';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, inject, it } from 'vitest';
import { startPartitionJob } from './partition-job.ts';

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly message: string };
}

describe('the partition job', () => {
  it('stops once its run in progress has finished, so the pool can end after it', async () => {
    const pool = new pg.Pool({ connectionString: inject('appUrl'), max: 2 });
    const lines: LogLine[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });

    // The first run starts at once, so it is in progress when the server shuts down right after starting.
    const stop = startPartitionJob(pool, log, defaultRetentionPolicy, new Registry(), 60_000);
    await stop();
    const busy = pool.totalCount - pool.idleCount + pool.waitingCount;
    await pool.end();
    // A run cut short by the pool's end would fail (and log it) on its next query.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(busy).toBe(0);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
