import type pg from 'pg';

export interface RetentionPolicy {
  /** Days of daily raw partitions to create ahead of now, so ingest never meets a missing one. */
  readonly aheadDays: number;
  /** Days of raw partitions to keep available behind now, for late and backfilled readings. */
  readonly behindDays: number;
  readonly rawRetentionDays: number;
  readonly minuteRetentionDays: number;
  /** null keeps hourly rollups forever. */
  readonly hourRetentionDays: number | null;
}

export const defaultRetentionPolicy: RetentionPolicy = {
  aheadDays: 7,
  behindDays: 7,
  rawRetentionDays: 90,
  minuteRetentionDays: 400,
  hourRetentionDays: null,
};

export interface PartitionMaintenanceResult {
  readonly created: number;
  readonly dropped: string[];
}

const DAY_MS = 86_400_000;

function utcDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * Creates upcoming telemetry partitions and drops expired ones. Safe to run often and from several
 * instances at once; the server runs it on a timer and `npm run db:partitions` runs it by hand.
 */
export async function maintainTelemetryPartitions(
  db: pg.Pool | pg.Client,
  policy: RetentionPolicy = defaultRetentionPolicy,
  now: Date = new Date(),
): Promise<PartitionMaintenanceResult> {
  const today = now.getTime();
  const behindDays = Math.min(policy.behindDays, policy.rawRetentionDays - 1);
  const ensured = await db.query<{ created: number }>(
    'SELECT telemetry_ensure_partitions($1::date, $2::date) AS created',
    [utcDate(today - behindDays * DAY_MS), utcDate(today + policy.aheadDays * DAY_MS)],
  );
  const dropped = await db.query<{ dropped: string[] }>(
    'SELECT telemetry_drop_partitions($1::date, $2::date, $3::date) AS dropped',
    [
      utcDate(today - policy.rawRetentionDays * DAY_MS),
      utcDate(today - policy.minuteRetentionDays * DAY_MS),
      policy.hourRetentionDays === null ? null : utcDate(today - policy.hourRetentionDays * DAY_MS),
    ],
  );
  return { created: ensured.rows[0]?.created ?? 0, dropped: dropped.rows[0]?.dropped ?? [] };
}
