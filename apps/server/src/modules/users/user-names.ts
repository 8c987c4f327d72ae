import { withTenant, type Database } from '@tidewatch/db';
import type { UserName } from '@tidewatch/shared';
import { dbContext, type TenantContext } from '../../http/request-context.ts';

/** The names of the tenant's users, disabled ones too (history still names them). */
export function listUserNames(db: Database, ctx: TenantContext): Promise<UserName[]> {
  return withTenant(
    db.prisma,
    dbContext(ctx),
    (tx) => tx.$queryRaw<UserName[]>`
      SELECT id::text AS id, display_name AS "displayName" FROM users
       WHERE tenant_id = ${ctx.tenantId}::uuid ORDER BY display_name, id`,
  );
}
