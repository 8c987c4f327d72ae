import { inTransaction, type Queryable } from './budgeted-transaction.ts';
import type { RetentionPolicy } from './retention-policy.ts';

export type RecordDeletions = {
  readonly sessions: number;
  readonly notificationDeliveries: number;
  readonly commands: number;
};

/**
 * Deletes ended sessions, finished notification deliveries and finished commands past their periods (see
 * `records_prune`), in batches of `batchRows`, one transaction each. Alarm history and the audit log are kept.
 */
export async function pruneRecords(
  db: Queryable,
  policy: RetentionPolicy,
): Promise<{ deleted: RecordDeletions; complete: boolean }> {
  const deleted = { sessions: 0, notificationDeliveries: 0, commands: 0 };
  for (let batch = 0; batch < policy.maxBatches; batch += 1) {
    const result = await inTransaction(db, { statementTimeoutMs: 120_000 }, async (client) => {
      const { rows } = await client.query<{ result: { deleted: RecordDeletions; done: boolean } }>(
        'SELECT records_prune($1, $2, $3, $4) AS result',
        [policy.sessionsDays, policy.notificationDeliveriesDays, policy.commandsDays, policy.batchRows],
      );
      const answer = rows[0]?.result;
      if (!answer) throw new Error('records_prune returned nothing');
      return answer;
    });
    deleted.sessions += result.deleted.sessions;
    deleted.notificationDeliveries += result.deleted.notificationDeliveries;
    deleted.commands += result.deleted.commands;
    if (result.done) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}
