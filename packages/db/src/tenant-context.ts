import type { Role } from '@tidewatch/shared';
import type pg from 'pg';
import type { Prisma, PrismaClient } from './generated/prisma/client.ts';

/**
 * Who a transaction acts for. Row-level security reads it; with `tenantId: null` every tenant table
 * reads as empty. Fill it from the user's row in the database, never from a token's claims.
 */
export interface DbContext {
  readonly tenantId: string | null;
  readonly userId: string | null;
  readonly role: Role | null;
  /**
   * The session a request acts on: set, the transaction first checks in the database that the session may still
   * act (SQLSTATE TW401 otherwise), so a principal cached a moment ago cannot outlive a sign-out elsewhere.
   */
  readonly sessionId?: string | null;
  /** The caller's zone grants (empty: every zone), given to the transaction as `app.zone_ids`. */
  readonly zoneIds?: readonly string[];
}

export type TenantTransaction = Prisma.TransactionClient;

/**
 * Runs `work` in one transaction whose row-level-security context is `context`.
 * @example
 * const zones = await withTenant(db.prisma, { tenantId, userId, role: 'operator' }, (tx) => tx.zone.findMany());
 */
export async function withTenant<T>(
  prisma: PrismaClient,
  context: DbContext,
  work: (tx: TenantTransaction) => Promise<T>,
  options?: { readonly timeoutMs?: number },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await prisma.$transaction(
        async (tx) => {
          // Every value is checked against a strict pattern by contextCallSql.
          await tx.$executeRawUnsafe(contextCallSql(context));
          return work(tx);
        },
        { timeout: options?.timeoutMs ?? 15_000 },
      );
    } catch (error) {
      // PostgreSQL rolled the whole transaction back to break a deadlock with another one: running it again is
      // what it asks of the victim, and nothing of the first attempt remains.
      if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlock(error)) throw error;
    }
  }
}

const DEADLOCK_ATTEMPTS = 3;

/** Whether an error (pg's or Prisma's, possibly wrapped) is PostgreSQL's deadlock_detected (40P01). */
function isDeadlock(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const record = current as { code?: unknown; message?: unknown; meta?: unknown; cause?: unknown };
    if (record.code === '40P01') return true;
    if (typeof record.message === 'string' && record.message.includes('40P01')) return true;
    const meta = record.meta as { driverAdapterError?: { cause?: { originalCode?: unknown } } } | undefined;
    if (meta?.driverAdapterError?.cause?.originalCode === '40P01') return true;
    current = record.cause;
  }
  return false;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function literal(value: string | null, pattern: RegExp): string {
  if (value === null) return 'NULL';
  // Only ids and role names ever reach here, checked against a strict pattern, so quoting cannot be escaped.
  if (!pattern.test(value)) throw new Error('refusing an unexpected value in the database context');
  return `'${value}'`;
}

const ROLE = /^[a-z_]{1,32}$/;

/**
 * The statement that sets `context` for the current transaction only (`set_config(..., true)`), with its values
 * inlined (no parameters), so it can share one simple-protocol message, one implicit transaction, with a read.
 * @example await client.query(contextCallSql({ tenantId, userId, role: 'operator', sessionId, zoneIds: [] }));
 */
export function contextCallSql(context: DbContext): string {
  const tenant = `${literal(context.tenantId, UUID)}::uuid`;
  const user = `${literal(context.userId, UUID)}::uuid`;
  const role = literal(context.role, ROLE);
  if (context.sessionId === undefined || context.sessionId === null) {
    return `SELECT app_set_context(${tenant}, ${user}, ${role})`;
  }
  const zones = (context.zoneIds ?? []).map((zone) => literal(zone, UUID)).join(',');
  return `SELECT app_set_session_context(${tenant}, ${user}, ${role}, ${literal(context.sessionId, UUID)}::uuid, ARRAY[${zones}]::uuid[])`;
}

/**
 * `BEGIN` and the context as one simple-protocol round trip: on a machine where each round trip costs a
 * system call or two, this is a quarter of a read's database time.
 */
export function beginWithContextSql(context: DbContext): string {
  return `BEGIN; ${contextCallSql(context)}`;
}

/** The same as `withTenant` for raw SQL on a pg pool (COPY, bulk writes, spatial queries). */
export async function withTenantClient<T>(
  pool: pg.Pool,
  context: DbContext,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const sql = beginWithContextSql(context);
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query(sql);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection that failed mid-transaction may be dead or in an unknown state: discard it.
    client.release(failure);
  }
}
