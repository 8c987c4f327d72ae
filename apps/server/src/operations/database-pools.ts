import { createDatabase, createPool, type Database, type PoolOptions } from '@tidewatch/db';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

/**
 * Three pools, so one kind of work held up by the database cannot take every connection: requests and sockets
 * (with Prisma), ingest (device writes and the lookups that authenticate devices), and background jobs (alert
 * engine, retention, commands, ThingSpeak). Each waits at most DB_CONNECT_TIMEOUT_MS for a connection.
 */
export interface DatabasePools {
  readonly api: Database;
  readonly ingest: pg.Pool;
  readonly jobs: pg.Pool;
  /** Each pool by name, for the db_pool_connections gauge. */
  readonly byName: Readonly<Record<'api' | 'ingest' | 'jobs', pg.Pool>>;
  close(): Promise<void>;
}

export function openDatabasePools(config: Config, log: Logger): DatabasePools {
  const common = (name: string, maxConnections: number): PoolOptions => ({
    url: config.databaseUrl,
    maxConnections,
    applicationName: `tidewatch-server-${name}`,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: config.DB_POOL_IDLE_MS,
    maxLifetimeSeconds: config.DB_POOL_MAX_LIFETIME_S,
    timeouts: {
      statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: config.DB_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: config.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
    },
    onConnectionError: (error) => {
      log.warn(
        { err: error, pool: name },
        'an idle database connection was closed by the server; it will be replaced',
      );
    },
  });
  const api = createDatabase(common('api', config.DB_POOL_API));
  const ingest = createPool(common('ingest', config.DB_POOL_INGEST));
  const jobs = createPool(common('jobs', config.DB_POOL_JOBS));
  return {
    api,
    ingest,
    jobs,
    byName: { api: api.pool, ingest, jobs },
    async close() {
      await Promise.all([api.close(), ingest.end(), jobs.end()]);
    },
  };
}
