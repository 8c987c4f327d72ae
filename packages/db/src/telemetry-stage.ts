import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export interface StagedReading {
  readonly seriesId: number;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
  readonly value: number;
}

// The stage lives as long as its connection and empties itself at every commit.
const CREATE_STAGE = `CREATE TEMP TABLE IF NOT EXISTS telemetry_stage (
  series_id integer NOT NULL, time timestamptz NOT NULL, value double precision NOT NULL) ON COMMIT DELETE ROWS`;

const prepared = new WeakSet<pg.ClientBase>();

/**
 * Creates this connection's staging table once. Call it outside a transaction: a stage created in one that rolls
 * back would be gone while this connection still counted it as made.
 */
export async function prepareTelemetryStage(client: pg.ClientBase): Promise<void> {
  if (prepared.has(client)) return;
  await client.query(CREATE_STAGE);
  prepared.add(client);
}

const PG_EPOCH_US = 946_684_800_000_000;
const HEADER = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const ROW_BYTES = 2 + (4 + 4) + (4 + 8) + (4 + 8);
const TWO_32 = 2 ** 32;

/** PostgreSQL's binary COPY of (integer, timestamptz, float8) rows. */
function binaryCopy(readings: readonly StagedReading[]): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER.length + 8 + readings.length * ROW_BYTES + 2);
  let at = HEADER.copy(buffer, 0);
  at = buffer.writeInt32BE(0, at); // flags
  at = buffer.writeInt32BE(0, at); // header extension length
  for (const reading of readings) {
    at = buffer.writeInt16BE(3, at);
    at = buffer.writeInt32BE(4, at);
    at = buffer.writeInt32BE(reading.seriesId, at);
    // Microseconds since 2000-01-01 as a signed 64-bit integer, written as two halves (exact below 2^53).
    const micros = Math.round(reading.time * 1000) - PG_EPOCH_US;
    const high = Math.floor(micros / TWO_32);
    at = buffer.writeInt32BE(8, at);
    at = buffer.writeInt32BE(high, at);
    at = buffer.writeUInt32BE(micros - high * TWO_32, at);
    at = buffer.writeInt32BE(8, at);
    at = buffer.writeDoubleBE(reading.value, at);
  }
  buffer.writeInt16BE(-1, at);
  return buffer;
}

/**
 * Stores readings of the tenant in context, inside the caller's transaction: binary COPY into the connection's
 * stage, then `telemetry_store_staged()` moves them into telemetry (row-level security applies), skips re-sent
 * ones and records the buckets for the rollup job. Returns the readings that were new, each (series, time) once;
 * the database sends rows back only when some were re-sent. Call `prepareTelemetryStage` first.
 *
 * @example
 * const fresh = await storeTelemetry(client, [{ seriesId: 7, time: Date.now(), value: 1.5 }]);
 */
export async function storeTelemetry<R extends StagedReading>(
  client: pg.ClientBase,
  readings: readonly R[],
): Promise<R[]> {
  const unique = new Map<string, R>();
  for (const reading of readings) {
    const key = `${String(reading.seriesId)}:${String(reading.time)}`;
    if (!unique.has(key)) unique.set(key, reading);
  }
  if (unique.size === 0) return [];
  const staged = [...unique.values()];
  await pipeline(
    Readable.from([binaryCopy(staged)]),
    client.query(copyFrom('COPY telemetry_stage (series_id, time, value) FROM STDIN (FORMAT binary)')),
  );
  const { rows } = await client.query<{ series_id: number; time: Date }>({
    name: 'telemetry-store-staged',
    text: 'SELECT series_id, time FROM telemetry_store_staged()',
  });
  if (rows.length === 0) return staged;
  const resent = new Set(rows.map((row) => `${String(row.series_id)}:${String(row.time.getTime())}`));
  return staged.filter((reading) => !resent.has(`${String(reading.seriesId)}:${String(reading.time)}`));
}
