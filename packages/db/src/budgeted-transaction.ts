import pg from 'pg';

/** A pool (a connection is taken for the transaction) or one connection of the caller's. */
export type Queryable = pg.Pool | pg.ClientBase;

export interface Budget {
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs?: number;
}

/**
 * Runs `work` in a transaction whose statement (and lock) timeouts are set locally: maintenance work gets a
 * budget of its own, longer than the pool's default for requests, and no more.
 * @example
 * await inTransaction(pool, { statementTimeoutMs: 120_000 }, (client) => client.query('SELECT 1'));
 */
export async function inTransaction<T>(
  db: Queryable,
  budget: Budget,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const pooled = db instanceof pg.Pool ? await db.connect() : null;
  const client = pooled ?? (db as pg.ClientBase);
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(
      `SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)`,
      [String(budget.statementTimeoutMs), String(budget.lockTimeoutMs ?? 0)],
    );
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed mid-transaction may be dead: the pool discards it rather than lend it again.
    pooled?.release(failure);
  }
}
