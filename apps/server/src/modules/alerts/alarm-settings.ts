import { withTenant, type Database } from '@tidewatch/db';
import type { AlarmSettings, UpdateAlarmSettings } from '@tidewatch/shared';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';

interface SettingsRow {
  chatter_raises: number;
  chatter_window_s: number;
  chatter_shelve_minutes: number | null;
}

const toSettings = (row: SettingsRow | undefined): AlarmSettings => ({
  chatterRaises: row?.chatter_raises ?? 3,
  chatterWindowS: row?.chatter_window_s ?? 60,
  chatterShelveMinutes: row?.chatter_shelve_minutes ?? null,
});

export async function readAlarmSettings(db: Database, ctx: TenantContext): Promise<AlarmSettings> {
  const rows = await withTenant(
    db.prisma,
    dbContext(ctx),
    (tx) => tx.$queryRaw<SettingsRow[]>`
      SELECT chatter_raises, chatter_window_s, chatter_shelve_minutes FROM alarm_settings
       WHERE tenant_id = ${ctx.tenantId}::uuid`,
  );
  return toSettings(rows[0]);
}

/** Changes the chattering policy; the alert engine applies it from the next raise on. Audited. */
export async function updateAlarmSettings(
  db: Database,
  ctx: TenantContext,
  body: UpdateAlarmSettings,
): Promise<AlarmSettings> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const [current] = await tx.$queryRaw<SettingsRow[]>`
      SELECT chatter_raises, chatter_window_s, chatter_shelve_minutes FROM alarm_settings
       WHERE tenant_id = ${ctx.tenantId}::uuid FOR UPDATE`;
    const before = toSettings(current);
    const after: AlarmSettings = {
      chatterRaises: body.chatterRaises ?? before.chatterRaises,
      chatterWindowS: body.chatterWindowS ?? before.chatterWindowS,
      chatterShelveMinutes:
        body.chatterShelveMinutes === undefined ? before.chatterShelveMinutes : body.chatterShelveMinutes,
    };
    await tx.$executeRaw`
      INSERT INTO alarm_settings (tenant_id, chatter_raises, chatter_window_s, chatter_shelve_minutes)
      VALUES (${ctx.tenantId}::uuid, ${after.chatterRaises}, ${after.chatterWindowS}, ${after.chatterShelveMinutes})
      ON CONFLICT (tenant_id) DO UPDATE SET chatter_raises = excluded.chatter_raises,
        chatter_window_s = excluded.chatter_window_s, chatter_shelve_minutes = excluded.chatter_shelve_minutes`;
    await recordAudit(tx, ctx, {
      action: 'tenant.alarm_settings_update',
      resourceType: 'tenant',
      resourceId: ctx.tenantId,
      details: { before, change: body },
    });
    return after;
  });
}
