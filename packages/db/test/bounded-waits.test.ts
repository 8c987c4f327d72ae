import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { inTransaction } from '../src/budgeted-transaction.ts';
import { createDatabase, createPool, type Database } from '../src/client.ts';
import { isDatabaseBusyError } from '../src/database-errors.ts';
import { withTenant } from '../src/tenant-context.ts';

const NOBODY = { tenantId: null, userId: null, role: null } as const;

async function settings(pool: pg.Pool): Promise<Record<string, string>> {
  const { rows } = await pool.query<Record<string, string>>(
    `SELECT current_setting('statement_timeout') AS statement,
            current_setting('lock_timeout') AS lock,
            current_setting('idle_in_transaction_session_timeout') AS idle`,
  );
  return rows[0] ?? {};
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe('bounded waits', () => {
  let admin: pg.Client;
  let db: Database;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: inject('seededAdminUrl') });
    await admin.connect();
    db = createDatabase({ url: inject('seededAppUrl'), maxConnections: 1, connectTimeoutMs: 300 });
  });
  afterAll(async () => {
    await db.close();
    await admin.end();
  });

  it('give the application role, in this database only, a statement, lock and idle-in-transaction timeout', async () => {
    const { rows } = await admin.query<{ setting: string }>(
      `SELECT unnest(s.setconfig) AS setting
         FROM pg_db_role_setting s
        WHERE s.setrole = 'tidewatch_app'::regrole
          AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
        ORDER BY 1`,
    );
    expect(rows.map((row) => row.setting)).toEqual([
      'idle_in_transaction_session_timeout=10s',
      'lock_timeout=2s',
      'statement_timeout=5s',
    ]);
    expect(await settings(db.pool)).toEqual({ statement: '5s', lock: '2s', idle: '10s' });
    // The owner (migrations, seeding) is not bound by them.
    const owner = await admin.query<{ statement: string }>(
      `SELECT current_setting('statement_timeout') AS statement`,
    );
    expect(owner.rows[0]?.statement).toBe('0');
  });

  it('take per-connection overrides from the pool options', async () => {
    const pool = createPool({
      url: inject('seededAppUrl'),
      maxConnections: 1,
      timeouts: { statementTimeoutMs: 1500, lockTimeoutMs: 250, idleInTransactionTimeoutMs: 4000 },
    });
    try {
      expect(await settings(pool)).toEqual({ statement: '1500ms', lock: '250ms', idle: '4s' });
    } finally {
      await pool.end();
    }
  });

  it('turn a held lock into a busy error within the lock timeout, through pg and through Prisma', async () => {
    await admin.query('BEGIN');
    try {
      await admin.query('LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE');
      const started = performance.now();
      const raw = await failureOf(db.pool.query('SELECT count(*) FROM tenants'));
      const typed = await failureOf(withTenant(db.prisma, NOBODY, (tx) => tx.tenant.findMany()));
      expect(isDatabaseBusyError(raw)).toBe(true);
      expect(isDatabaseBusyError(typed)).toBe(true);
      // Two waits of 2 s each, not the 20 s a holder might keep the lock.
      expect(performance.now() - started).toBeLessThan(6000);
    } finally {
      await admin.query('ROLLBACK');
    }
  });

  it('end a statement that outruns its budget, unless its transaction sets a longer one', async () => {
    // A pool whose default is 300 ms stands in for the role's 5 s, which is too long to wait for in a test.
    const pool = createPool({
      url: inject('seededAppUrl'),
      maxConnections: 1,
      timeouts: { statementTimeoutMs: 300 },
    });
    try {
      expect(isDatabaseBusyError(await failureOf(pool.query('SELECT pg_sleep(0.6)')))).toBe(true);
      await inTransaction(pool, { statementTimeoutMs: 5000 }, (client) =>
        client.query('SELECT pg_sleep(0.6)'),
      );
      // The budget was local to that transaction.
      expect(isDatabaseBusyError(await failureOf(pool.query('SELECT pg_sleep(0.6)')))).toBe(true);
    } finally {
      await pool.end();
    }
  });

  it('answer busy when no pooled connection frees up within the connect timeout', async () => {
    const held = await db.pool.connect();
    try {
      const started = performance.now();
      const raw = await failureOf(db.pool.query('SELECT 1'));
      const typed = await failureOf(withTenant(db.prisma, NOBODY, (tx) => tx.tenant.count()));
      expect(isDatabaseBusyError(raw)).toBe(true);
      expect(isDatabaseBusyError(typed)).toBe(true);
      expect(performance.now() - started).toBeLessThan(2000);
    } finally {
      held.release();
    }
  });

  it('do not count a constraint violation or a bug as busy', () => {
    expect(isDatabaseBusyError(Object.assign(new Error('duplicate'), { code: '23505' }))).toBe(false);
    expect(isDatabaseBusyError(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseBusyError(null)).toBe(false);
  });
});
