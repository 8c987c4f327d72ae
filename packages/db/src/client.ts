import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';

export interface Database {
  /** Typed access for ordinary reads and writes; always inside `withTenant`. */
  readonly prisma: PrismaClient;
  /** The same connections for hot paths that need raw SQL or COPY. */
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * Per-connection overrides of the application role's timeouts (set by migration `bounded_waits`: 5 s statement,
 * 2 s lock, 10 s idle in transaction). Unset: the role's settings apply.
 */
export interface SessionTimeouts {
  readonly statementTimeoutMs?: number | undefined;
  readonly lockTimeoutMs?: number | undefined;
  readonly idleInTransactionTimeoutMs?: number | undefined;
}

export interface PoolOptions {
  readonly url: string;
  readonly maxConnections?: number;
  readonly applicationName?: string;
  /**
   * How long a caller waits for a free connection (or a new one) before failing with a "busy" error, instead of
   * queueing without end behind a held lock. 0: no limit.
   */
  readonly connectTimeoutMs?: number;
  /** How long an idle connection is kept before it is closed (pg's default: 10 s). */
  readonly idleTimeoutMs?: number;
  /** How long a connection lives at most; 0 or unset: no limit. */
  readonly maxLifetimeSeconds?: number;
  readonly timeouts?: SessionTimeouts;
  /** Told when an idle pooled connection dies (server restart, failover, terminated backend). */
  readonly onConnectionError?: (error: Error) => void;
}

export type DatabaseOptions = PoolOptions;

/**
 * A pg pool with the project's connection handling: bounded waits for a connection, the role's timeouts (or the
 * overrides given), and dead connections reported rather than crashing the process.
 */
export function createPool(options: PoolOptions): pg.Pool {
  const timeouts = options.timeouts ?? {};
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'tidewatch',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 0,
    ...(options.idleTimeoutMs !== undefined && { idleTimeoutMillis: options.idleTimeoutMs }),
    ...(options.maxLifetimeSeconds !== undefined && { maxLifetimeSeconds: options.maxLifetimeSeconds }),
    // Sent with the start-up packet, so they hold from the connection's first statement.
    ...(timeouts.statementTimeoutMs !== undefined && { statement_timeout: timeouts.statementTimeoutMs }),
    ...(timeouts.lockTimeoutMs !== undefined && { lock_timeout: timeouts.lockTimeoutMs }),
    ...(timeouts.idleInTransactionTimeoutMs !== undefined && {
      idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
    }),
  });
  // An idle connection that the server drops emits 'error' on the pool; unheard, it would end the process.
  // The pool has already discarded the connection; the next query opens a new one.
  pool.on('error', (error) => options.onConnectionError?.(error));
  // The pool listens only while a connection is idle; one that dies while checked out (between two queries of a
  // transaction) emits on the client itself. Its pending query still fails, and the caller discards it.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onConnectionError?.(error));
  });
  return pool;
}

/** A pool shared by Prisma (through its pg adapter) and raw SQL. */
export function createDatabase(options: DatabaseOptions): Database {
  const pool = createPool(options);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
