import { withTenant, type Database } from '@tidewatch/db';
import {
  securitySettingsSchema,
  type SecuritySettings,
  type UpdateSecuritySettings,
} from '@tidewatch/shared';
import type { EventBus } from '../../events/event-bus.ts';
import { notFound } from '../../http/app-error.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';

interface SettingsRow {
  totpRequiredRoles: string[];
  idleTimeoutMinutes: unknown;
  updatedAt: Date;
}

const toSettings = (row: SettingsRow): SecuritySettings =>
  securitySettingsSchema.parse({
    totpRequiredRoles: row.totpRequiredRoles,
    idleTimeoutMinutes: row.idleTimeoutMinutes,
    updatedAt: row.updatedAt.toISOString(),
  });

export async function readSecuritySettings(db: Database, ctx: TenantContext): Promise<SecuritySettings> {
  const row = await withTenant(db.prisma, dbContext(ctx), (tx) =>
    tx.tenantSecuritySettings.findUnique({ where: { tenantId: ctx.tenantId } }),
  );
  if (!row) throw notFound('Security settings');
  return toSettings(row);
}

/**
 * Who must use a second factor and each role's idle timeout. Sessions are checked against the new limits at once
 * (an idle limit made shorter ends sessions already idle that long); a newly required second factor is asked
 * for at each user's next sign-in.
 */
export async function updateSecuritySettings(
  deps: { readonly db: Database; readonly bus: EventBus },
  ctx: TenantContext,
  body: UpdateSecuritySettings,
): Promise<SecuritySettings> {
  const row = await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    const current = await tx.tenantSecuritySettings.findUnique({ where: { tenantId: ctx.tenantId } });
    if (!current) throw notFound('Security settings');
    const before = toSettings(current);
    const updated = await tx.tenantSecuritySettings.update({
      where: { tenantId: ctx.tenantId },
      data: {
        ...(body.totpRequiredRoles ? { totpRequiredRoles: [...new Set(body.totpRequiredRoles)] } : {}),
        ...(body.idleTimeoutMinutes
          ? { idleTimeoutMinutes: { ...before.idleTimeoutMinutes, ...body.idleTimeoutMinutes } }
          : {}),
      },
    });
    await recordAudit(tx, ctx, {
      action: 'tenant.security_settings_update',
      resourceType: 'tenant',
      resourceId: ctx.tenantId,
      details: { before: { ...before, updatedAt: undefined }, change: body },
    });
    return updated;
  });
  deps.bus.emit('access.changed', { tenantId: ctx.tenantId, userId: null });
  return toSettings(row);
}
