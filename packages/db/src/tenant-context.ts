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
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT app_set_context(${context.tenantId}::uuid, ${context.userId}::uuid, ${context.role})`;
      return work(tx);
    },
    { timeout: options?.timeoutMs ?? 15_000 },
  );
}

/** The same as `withTenant` for raw SQL on a pg pool (COPY, bulk writes, spatial queries). */
export async function withTenantClient<T>(
  pool: pg.Pool,
  context: DbContext,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT app_set_context($1::uuid, $2::uuid, $3)', [
      context.tenantId,
      context.userId,
      context.role,
    ]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
