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
  /** Devices whose open downtime this batch ended. */
  readonly backOnline: readonly { tenantId: string; deviceId: string }[];
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
 * their rollup buckets marked for the rollup job) and the devices' operational state. All or nothing, so a failed batch can be retried whole.
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
  const backOnline: { tenantId: string; deviceId: string }[] = [];
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
      // One state row per device, however many of its messages the batch holds.
      const latest = new Map<string, number>();
      for (const batch of tenantBatches) {
        for (const reading of batch.readings) {
          latest.set(batch.deviceId, Math.max(latest.get(batch.deviceId) ?? 0, reading.time));
        }
      }
      const devices = [...latest.keys()];
      const lastReading = [...latest.values()].map((time) => new Date(time));
      await client.query({
        name: 'ingest-device-state',
        text: `INSERT INTO device_states AS s (device_id, tenant_id, connectivity, last_seen_at, last_reading_at, changed_at)
               SELECT d, $1::uuid, 'online', now(), nullif(t, 'epoch'::timestamptz), now()
                 FROM unnest($2::uuid[], $3::timestamptz[]) AS x (d, t)
               ON CONFLICT (device_id) DO UPDATE SET
                 last_seen_at = now(),
                 last_reading_at = greatest(s.last_reading_at, excluded.last_reading_at),
                 changed_at = CASE WHEN s.connectivity = 'online' THEN s.changed_at ELSE now() END,
                 connectivity = 'online'`,
        values: [tenantId, devices, lastReading],
      });
      const ended = await client.query<{ device_id: string }>({
        name: 'ingest-downtime-end',
        // greatest(): an `offline` status committed while this transaction ran opened its downtime after now().
        text: `UPDATE device_downtimes SET ended_at = greatest(now(), started_at)
                WHERE device_id = ANY($1::uuid[]) AND ended_at IS NULL RETURNING device_id`,
        values: [devices],
      });
      backOnline.push(...ended.rows.map((row) => ({ tenantId, deviceId: row.device_id })));
    }
    await client.query('COMMIT');
    return { stored, backOnline };
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed mid-transaction may be dead: discard it rather than hand it to the next batch.
    client.release(failure);
  }
}
