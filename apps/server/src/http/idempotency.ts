import { createHash } from 'node:crypto';
import { withTenant, withTenantClient, type Database } from '@tidewatch/db';
import type { Request } from 'express';
import type pg from 'pg';
import { AppError, conflict, invalid } from './app-error.ts';
import { dbContext, type TenantContext } from './request-context.ts';

/** What a claimed key says: act now, or answer as the first time. */
export type IdempotencyClaim =
  { readonly kind: 'new' } | { readonly kind: 'replay'; readonly status: number; readonly body: unknown };

const KEY = /^[A-Za-z0-9_-]{8,100}$/;

/** The request's `Idempotency-Key`, or null when it has none; a malformed one is refused. */
export function idempotencyKeyOf(req: Request): string | null {
  const key = req.get('idempotency-key');
  if (key === undefined) return null;
  if (!KEY.test(key)) throw invalid('Idempotency-Key', 'letters, digits, _ and -, 8 to 100 of them');
  return key;
}

/** What makes two requests the same action: method, path and query, and the body. */
export function requestHash(req: Request): string {
  const body: unknown = req.body;
  const hash = createHash('sha256').update(`${req.method} ${req.originalUrl}\n`);
  hash.update(Buffer.isBuffer(body) ? body : JSON.stringify(body ?? null));
  return hash.digest('hex');
}

/**
 * Idempotency keys stored per user: a route marked `idempotent` claims the request's key before it acts and stores
 * its answer after, so the same action sent again (a phone's offline queue whose answer was lost) is answered
 * from here instead of applied twice. Two sends racing: the second waits on the first's claim (the primary key)
 * and is told to retry (409 with Retry-After). A failed action releases its key, so it may be sent again.
 * The one gap: a server stopped between an action's commit and storing its answer leaves the key claimed, and the
 * action is then answered 409 rather than replayed; it is never applied twice.
 */
export class IdempotencyKeys {
  constructor(private readonly db: Database) {}

  async claim(ctx: TenantContext, key: string, hash: string): Promise<IdempotencyClaim> {
    const userId = ctx.principal.userId;
    return withTenant(this.db.prisma, dbContext(ctx), async (tx) => {
      const inserted = await tx.$executeRaw`
        INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash)
        VALUES (${ctx.tenantId}::uuid, ${userId}::uuid, ${key}, ${hash})
        ON CONFLICT DO NOTHING`;
      if (inserted === 1) return { kind: 'new' };
      const row = await tx.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
      if (!row) throw conflict('This Idempotency-Key was used in another tenant');
      if (row.requestHash !== hash) throw conflict('This Idempotency-Key was used for a different request');
      if (row.status === null) {
        throw new AppError(
          'conflict',
          'This request is still being handled; send it again shortly',
          undefined,
          {
            'Retry-After': '1',
          },
        );
      }
      return { kind: 'replay', status: row.status, body: row.response };
    });
  }

  async complete(ctx: TenantContext, key: string, status: number, body: unknown): Promise<void> {
    await withTenant(this.db.prisma, dbContext(ctx), (tx) =>
      tx.idempotencyKey.update({
        where: { userId_key: { userId: ctx.principal.userId, key } },
        data: {
          status,
          ...(body === undefined ? {} : { response: body as object }),
          completedAt: new Date(),
        },
      }),
    );
  }

  /**
   * The action failed: the key may be used again. Not under the caller's session check: a request refused midway
   * because the caller's role or zones changed is run again with the new ones, and must find its key free.
   */
  async release(ctx: TenantContext, key: string): Promise<void> {
    const own = { tenantId: ctx.tenantId, userId: ctx.principal.userId, role: ctx.principal.role };
    await withTenant(this.db.prisma, own, (tx) =>
      tx.idempotencyKey.deleteMany({ where: { userId: ctx.principal.userId, key, status: null } }),
    );
  }
}

/** How long an answer is kept for a key: a phone offline longer sends its queue as new requests. */
export const IDEMPOTENCY_KEEP_DAYS = 7;

/** Forgets keys older than IDEMPOTENCY_KEEP_DAYS in every tenant; answers how many. */
export async function pruneIdempotencyKeys(pool: pg.Pool): Promise<number> {
  const { rows: tenants } = await pool.query<{ id: string }>('SELECT alert_engine_tenants() AS id');
  let pruned = 0;
  for (const { id: tenantId } of tenants) {
    pruned += await withTenantClient(pool, { tenantId, userId: null, role: null }, async (client) => {
      const result = await client.query(
        `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(days => $1)`,
        [IDEMPOTENCY_KEEP_DAYS],
      );
      return result.rowCount ?? 0;
    });
  }
  return pruned;
}
