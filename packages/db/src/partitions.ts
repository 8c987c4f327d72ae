import type pg from 'pg';
import { inTransaction, type Queryable } from './budgeted-transaction.ts';
import type { RetentionPolicy } from './retention-policy.ts';

/**
 * Statement budgets for the job's transactions, set locally so they override the pool's shorter default. Dropping
 * or creating a partition locks the whole telemetry table: waiting long for that lock would hold up every ingest
 * batch queued behind it, so the job gives up after a few seconds and tries again at its next run.
 */
const DDL_BUDGET = { statementTimeoutMs: 600_000, lockTimeoutMs: 5_000 } as const;
const DELETE_BUDGET = { statementTimeoutMs: 120_000 } as const;

export interface RetentionRefusal {
  /** The table whose deletion was refused: telemetry, telemetry_1m or telemetry_1h. */
  readonly scope: string;
  /** Absent when the refusal is about partitions every tenant shares. */
  readonly tenantId?: string;
  readonly cutoff: string;
  readonly reason: string;
}

export type TelemetryDeletions = {
  readonly telemetry: number;
  readonly telemetry_1m: number;
  readonly telemetry_1h: number;
};

/** Makes the daily raw and monthly 1-minute partitions around the database's today; returns how many were new. */
export async function ensureTelemetryPartitions(db: Queryable, policy: RetentionPolicy): Promise<number> {
  return inTransaction(db, DDL_BUDGET, async (client) => {
    const { rows } = await client.query<{ created: number }>(
      `SELECT telemetry_ensure_partitions(
                ((now() AT TIME ZONE 'UTC') - make_interval(days => $1))::date,
                ((now() AT TIME ZONE 'UTC') + make_interval(days => $2))::date) AS created`,
      [Math.min(policy.behindDays, policy.rawDays - 1), policy.aheadDays],
    );
    return rows[0]?.created ?? 0;
  });
}

/**
 * Drops the partitions every tenant's retention has passed, by the database's clock (see
 * `telemetry_drop_expired`): the reference it measured from, the tables dropped, and what it refused.
 */
export async function dropExpiredPartitions(
  db: Queryable,
  policy: RetentionPolicy,
): Promise<{ reference: string; dropped: string[]; refused: RetentionRefusal[] }> {
  return inTransaction(db, DDL_BUDGET, async (client) => {
    const { rows } = await client.query<{
      result: { reference: string; dropped: string[]; refused: RetentionRefusal[] };
    }>('SELECT telemetry_drop_expired($1, $2, $3) AS result', [
      policy.rawDays,
      policy.minuteDays,
      policy.maxStepDays,
    ]);
    const result = rows[0]?.result;
    if (!result) throw new Error('telemetry_drop_expired returned nothing');
    return result;
  });
}

/**
 * Deletes, in batches of `batchRows` (one transaction each), the readings and rollups of tenants whose retention
 * is shorter than what the shared partitions keep, and hourly rollups past each tenant's hourly retention.
 */
export async function pruneTenantTelemetry(
  db: Queryable,
  policy: RetentionPolicy,
): Promise<{ deleted: TelemetryDeletions; refused: RetentionRefusal[]; complete: boolean }> {
  const deleted = { telemetry: 0, telemetry_1m: 0, telemetry_1h: 0 };
  let refused: RetentionRefusal[] = [];
  for (let batch = 0; batch < policy.maxBatches; batch += 1) {
    const result = await inTransaction(db, DELETE_BUDGET, (client) => pruneBatch(client, policy));
    deleted.telemetry += result.deleted.telemetry;
    deleted.telemetry_1m += result.deleted.telemetry_1m;
    deleted.telemetry_1h += result.deleted.telemetry_1h;
    // Each batch checks every tenant again; the last one's refusals are the run's.
    refused = result.refused;
    if (result.done) return { deleted, refused, complete: true };
  }
  return { deleted, refused, complete: false };
}

async function pruneBatch(
  client: pg.ClientBase,
  policy: RetentionPolicy,
): Promise<{ deleted: TelemetryDeletions; refused: RetentionRefusal[]; done: boolean }> {
  const { rows } = await client.query<{
    result: { deleted: TelemetryDeletions; refused: RetentionRefusal[]; done: boolean };
  }>('SELECT telemetry_prune_tenants($1, $2, $3, $4, $5) AS result', [
    policy.rawDays,
    policy.minuteDays,
    policy.hourDays,
    policy.maxStepDays,
    policy.batchRows,
  ]);
  const result = rows[0]?.result;
  if (!result) throw new Error('telemetry_prune_tenants returned nothing');
  return result;
}
