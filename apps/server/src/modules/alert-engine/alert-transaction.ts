import { beginWithContextSql, type DbContext } from '@tidewatch/db';
import type pg from 'pg';
import type { AlertChange } from './alert-changes.ts';

/** What a transaction that changes alerts answers: at least its changes, numbered once it has committed. */
export interface AlertWork {
  readonly changes: readonly AlertChange[];
}

export interface NumberRow {
  readonly pending: string;
  readonly numbered: string;
}

/** Numbering and COMMIT in one simple-protocol message: the tenant's counter row is locked only for the commit. */
const NUMBER_AND_COMMIT = 'SELECT pending::text, numbered::text FROM alert_transitions_number(); COMMIT';

function numbered(changes: readonly AlertChange[], rows: readonly NumberRow[]): AlertChange[] {
  const finals = new Map(rows.map((row) => [Number(row.pending), Number(row.numbered)]));
  return changes.map((change) => {
    const sequence = finals.get(change.sequence);
    if (sequence === undefined)
      throw new Error(`alert transition ${String(change.sequence)} was not numbered`);
    return { ...change, sequence };
  });
}

/**
 * Runs `work` in one transaction in `context`, like `withTenantClient`, for work that changes alerts. Transitions
 * are written with a temporary sequence; the commit numbers them (see the alert_sequence_at_commit migration), and
 * the answer carries the final numbers, ready to publish. Nothing else waits on the tenant's sequence meanwhile.
 * @example
 * const { changes } = await withAlertTransaction(pool, context, async (client) => ({
 *   changes: await clearAlert(client, target, value),
 * }));
 * publishAlertChanges(bus, changes);
 */
export async function withAlertTransaction<T extends AlertWork>(
  pool: pg.Pool,
  context: DbContext,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const begin = beginWithContextSql(context);
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query(begin);
    const result = await work(client);
    if (result.changes.length === 0) {
      await client.query('COMMIT');
      return result;
    }
    // A multi-statement query answers one result per statement.
    const [numbering] = (await client.query(NUMBER_AND_COMMIT)) as unknown as [pg.QueryResult<NumberRow>];
    return { ...result, changes: numbered(result.changes, numbering.rows) };
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed mid-transaction may be dead or in an unknown state: discard it.
    client.release(failure);
  }
}

/**
 * Numbers the pending transitions of a Prisma transaction (which commits on its own) as its last statement, so
 * the changes it publishes carry their final numbers. The counter row stays locked until that commit.
 */
export async function numberAlertChanges(
  query: (sql: string) => Promise<NumberRow[]>,
  changes: readonly AlertChange[],
): Promise<AlertChange[]> {
  if (changes.length === 0) return [];
  return numbered(
    changes,
    await query('SELECT pending::text, numbered::text FROM alert_transitions_number()'),
  );
}
