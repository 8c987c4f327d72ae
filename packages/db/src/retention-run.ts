import type { Queryable } from './budgeted-transaction.ts';
import {
  dropExpiredPartitions,
  ensureTelemetryPartitions,
  pruneTenantTelemetry,
  type RetentionRefusal,
  type TelemetryDeletions,
} from './partitions.ts';
import { pruneRecords, type RecordDeletions } from './record-pruning.ts';
import type { RetentionPolicy } from './retention-policy.ts';

export interface RetentionRunResult {
  /** The moment the database measured every cutoff from (its now(), or the end of the newest reading's day). */
  readonly reference: string;
  readonly created: number;
  readonly dropped: string[];
  readonly deleted: TelemetryDeletions & RecordDeletions;
  /** Deletions the guard held back; they wait for a person (see `RETENTION_MAX_STEP_DAYS`). */
  readonly refused: RetentionRefusal[];
  /** False when the run's batch budget ran out with rows still due; the next run carries on. */
  readonly complete: boolean;
}

/**
 * One run of retention: partitions made ahead, expired ones dropped, shorter tenant retentions applied, old
 * records pruned. The application's clock plays no part: the database computes every cutoff. When partition
 * drops were refused (the clock or a setting leapt), nothing else is deleted in that run either.
 * @example
 * const result = await runRetention(db.pool, readRetentionPolicy());
 */
export async function runRetention(db: Queryable, policy: RetentionPolicy): Promise<RetentionRunResult> {
  const created = await ensureTelemetryPartitions(db, policy);
  const drops = await dropExpiredPartitions(db, policy);
  const nothing = {
    telemetry: 0,
    telemetry_1m: 0,
    telemetry_1h: 0,
    sessions: 0,
    notificationDeliveries: 0,
    commands: 0,
  };
  if (drops.refused.length > 0) {
    return {
      reference: drops.reference,
      created,
      dropped: drops.dropped,
      deleted: nothing,
      refused: drops.refused,
      complete: true,
    };
  }
  const telemetry = await pruneTenantTelemetry(db, policy);
  const records = await pruneRecords(db, policy);
  return {
    reference: drops.reference,
    created,
    dropped: drops.dropped,
    deleted: { ...telemetry.deleted, ...records.deleted },
    refused: telemetry.refused,
    complete: telemetry.complete && records.complete,
  };
}
