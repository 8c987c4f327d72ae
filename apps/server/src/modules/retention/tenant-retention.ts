import { withTenant, type Database, type RetentionPolicy, type Tenant } from '@tidewatch/db';
import type { TenantRetention, UpdateTenantRetention } from '@tidewatch/shared';
import { invalid, notFound } from '../../http/app-error.ts';
import { dbContext, type AuthenticatedContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';

type Days = UpdateTenantRetention;

/** What applies to a tenant: its own days, else the server's; a coarser resolution never before a finer one. */
function effectiveDays(settings: Days, policy: RetentionPolicy): TenantRetention['effective'] {
  const rawDays = settings.rawDays ?? policy.rawDays;
  const minuteDays = Math.max(settings.minuteDays ?? policy.minuteDays, rawDays);
  const hour = settings.hourDays ?? policy.hourDays;
  return { rawDays, minuteDays, hourDays: hour === null ? null : Math.max(hour, minuteDays) };
}

/** Longer is +Infinity for "forever", so any finite hourly retention counts as shorter than it. */
const span = (days: number | null): number => days ?? Number.POSITIVE_INFINITY;

function toRetention(row: Tenant, policy: RetentionPolicy): TenantRetention {
  const settings = {
    rawDays: row.rawRetentionDays,
    minuteDays: row.minuteRetentionDays,
    hourDays: row.hourRetentionDays,
  };
  return {
    settings,
    effective: effectiveDays(settings, policy),
    serverDefaults: { rawDays: policy.rawDays, minuteDays: policy.minuteDays, hourDays: policy.hourDays },
    cutPending: row.retentionCutPending,
  };
}

export async function getTenantRetention(
  db: Database,
  policy: RetentionPolicy,
  ctx: AuthenticatedContext,
  tenantId: string,
): Promise<TenantRetention> {
  const row = await withTenant(db.prisma, dbContext(ctx), (tx) =>
    tx.tenant.findUnique({ where: { id: tenantId } }),
  );
  if (!row) throw notFound('Tenant');
  return toRetention(row, policy);
}

/**
 * Sets a tenant's retention. Readings as old as the server still accepts (`INGEST_MAX_AGE_DAYS`) must be kept.
 * A change that shortens any resolution is marked as meant, so the retention job applies it at its next run
 * even where that deletes more than its step guard lets through; the audit log keeps both settings.
 */
export async function setTenantRetention(
  db: Database,
  policy: RetentionPolicy,
  ingestMaxAgeDays: number,
  ctx: AuthenticatedContext,
  tenantId: string,
  settings: Days,
): Promise<TenantRetention> {
  if (settings.rawDays !== null && settings.rawDays < ingestMaxAgeDays) {
    throw invalid(
      'rawDays',
      `must be at least ${String(ingestMaxAgeDays)} days: readings that old are still accepted`,
    );
  }
  if (settings.rawDays !== null && settings.minuteDays !== null && settings.minuteDays < settings.rawDays) {
    throw invalid('minuteDays', 'must not be shorter than rawDays');
  }
  if (settings.minuteDays !== null && settings.hourDays !== null && settings.hourDays < settings.minuteDays) {
    throw invalid('hourDays', 'must not be shorter than minuteDays');
  }
  const row = await withTenant(db.prisma, { ...dbContext(ctx), tenantId: null }, async (tx) => {
    const found = await tx.tenant.findUnique({ where: { id: tenantId } });
    if (!found) throw notFound('Tenant');
    const before = toRetention(found, policy).effective;
    const after = effectiveDays(settings, policy);
    const shortened =
      after.rawDays < before.rawDays ||
      after.minuteDays < before.minuteDays ||
      span(after.hourDays) < span(before.hourDays);
    const updated = await tx.tenant.update({
      where: { id: tenantId },
      data: {
        rawRetentionDays: settings.rawDays,
        minuteRetentionDays: settings.minuteDays,
        hourRetentionDays: settings.hourDays,
        retentionCutPending: found.retentionCutPending || shortened,
      },
    });
    await recordAudit(tx, ctx, {
      action: 'tenant.retention_update',
      resourceType: 'tenant',
      resourceId: tenantId,
      tenantId: null,
      details: { settings, before, after, shortened },
    });
    return updated;
  });
  return toRetention(row, policy);
}
