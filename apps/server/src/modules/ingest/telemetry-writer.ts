import { beginWithContextSql, prepareTelemetryStage, storeTelemetry } from '@tidewatch/db';
import type pg from 'pg';
import type { Reading } from './normalize-readings.ts';

export interface DeviceBatch {
  readonly tenantId: string;
  readonly deviceId: string;
  readonly readings: readonly Reading[];
}

export interface WriteOutcome {
  /** Readings new to the database, per device (re-sent ones are left out). */
  readonly stored: ReadonlyMap<string, { readonly tenantId: string; readonly readings: Reading[] }>;
}

const NO_PARTITION = '23514';

function isMissingPartition(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: string }).code === NO_PARTITION &&
    String((error as { message?: string }).message).includes('no partition')
  );
}

/**
 * Writes a batch of readings from many devices in one transaction: per tenant, the readings (duplicates skipped,
 * their rollup buckets marked for the rollup job). All or nothing, so a failed batch can be retried whole. The
 * devices' state (last seen, online) is not written here: DeviceStateBuffer keeps it and writes it every few seconds.
 */
export async function writeTelemetry(pool: pg.Pool, batches: readonly DeviceBatch[]): Promise<WriteOutcome> {
  try {
    return await writeOnce(pool, batches);
  } catch (error) {
    if (!isMissingPartition(error)) throw error;
    // A reading older or newer than the partitions made ahead of time: make its days, then write again.
    const times = batches.flatMap((b) => b.readings.map((r) => r.time));
    await pool.query('SELECT telemetry_ensure_partitions($1::date, $2::date)', [
      new Date(Math.min(...times)).toISOString().slice(0, 10),
      new Date(Math.max(...times)).toISOString().slice(0, 10),
    ]);
    return writeOnce(pool, batches);
  }
}

async function writeOnce(pool: pg.Pool, batches: readonly DeviceBatch[]): Promise<WriteOutcome> {
  const byTenant = new Map<string, DeviceBatch[]>();
  for (const batch of batches) byTenant.set(batch.tenantId, [...(byTenant.get(batch.tenantId) ?? []), batch]);
  const stored = new Map<string, { tenantId: string; readings: Reading[] }>();
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await prepareTelemetryStage(client);
    let first = true;
    for (const [tenantId, tenantBatches] of byTenant) {
      const context = beginWithContextSql({ tenantId, userId: null, role: null });
      // The context changes per tenant inside the one transaction; BEGIN only the first time.
      await client.query(first ? context : context.replace(/^BEGIN; /, ''));
      first = false;
      const readings = tenantBatches.flatMap((b) => b.readings);
      const seriesOwner = new Map(
        tenantBatches.flatMap((b) => b.readings.map((r) => [r.seriesId, b.deviceId] as const)),
      );
      // Binary COPY into the stage, one insert that skips re-sent rows; rollups follow in the rollup job.
      const fresh = await storeTelemetry(client, readings);
      for (const reading of fresh) {
        const deviceId = seriesOwner.get(reading.seriesId) ?? '';
        const entry = stored.get(deviceId) ?? { tenantId, readings: [] };
        entry.readings.push({ seriesId: reading.seriesId, time: reading.time, value: reading.value });
        stored.set(deviceId, entry);
      }
    }
    await client.query('COMMIT');
    return { stored };
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed mid-transaction may be dead: discard it rather than hand it to the next batch.
    client.release(failure);
  }
}
