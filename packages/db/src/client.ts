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

export interface DatabaseOptions {
  readonly url: string;
  readonly maxConnections?: number;
  readonly applicationName?: string;
  /** Told when an idle pooled connection dies (server restart, failover, terminated backend). */
  readonly onConnectionError?: (error: Error) => void;
}

/** One pool per process, shared by Prisma (through its pg adapter) and raw SQL. */
export function createDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'tidewatch',
  });
  // An idle connection that the server drops emits 'error' on the pool; unheard, it would end the process.
  // The pool has already discarded the connection; the next query opens a new one.
  pool.on('error', (error) => options.onConnectionError?.(error));
  // The pool listens only while a connection is idle; one that dies while checked out (between two queries of a
  // transaction) emits on the client itself. Its pending query still fails, and the caller discards it.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onConnectionError?.(error));
  });
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
