import type { TenantTransaction } from '@tidewatch/db';
import type { ActorType, AuditOutcome } from '@tidewatch/shared';
import type pg from 'pg';
import type { RequestContext } from '../../http/request-context.ts';

export interface AuditEntry {
  /** `resource.verb`, e.g. `alert.acknowledge`. */
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId?: string | null;
  readonly outcome?: AuditOutcome;
  readonly details?: Record<string, unknown>;
  /** Defaults to the tenant the request acts in. */
  readonly tenantId?: string | null;
  readonly actorId?: string | null;
  readonly actorType?: ActorType;
}

const insertAudit = `
  INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, resource_type, resource_id, outcome, request_id,
                         ip, user_agent, details)
  VALUES ($1::uuid, $2::actor_type, $3::uuid, $4, $5, $6, $7::audit_outcome, $8, $9::inet, $10, $11::jsonb)`;

function auditValues(ctx: RequestContext, entry: AuditEntry): unknown[] {
  return [
    entry.tenantId === undefined ? ctx.tenantId : entry.tenantId,
    entry.actorType ?? (ctx.principal || entry.actorId ? 'user' : 'system'),
    entry.actorId === undefined ? (ctx.principal?.userId ?? null) : entry.actorId,
    entry.action,
    entry.resourceType,
    entry.resourceId ?? null,
    entry.outcome ?? 'success',
    ctx.requestId,
    ctx.ip,
    ctx.userAgent,
    auditDetailsJson(entry.details ?? {}),
  ];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The details as jsonb takes them: a lone surrogate or a NUL in a text the request carried (JSON can hold both,
 * jsonb neither) is recorded as U+FFFD, as a text column stores a lone surrogate, instead of failing the change
 * the entry records.
 */
export function auditDetailsJson(details: Record<string, unknown>): string {
  return JSON.stringify(details, (_key, value: unknown) =>
    typeof value === 'string'
      ? value.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\u0000', '\uFFFD')
      : value,
  );
}

/**
 * Appends to the audit log inside the caller's transaction, so the record and the change commit together.
 * No RETURNING: a platform entry (tenant null) is not readable back under row-level security.
 */
export async function recordAudit(
  tx: TenantTransaction,
  ctx: RequestContext,
  entry: AuditEntry,
): Promise<void> {
  await tx.$executeRawUnsafe(insertAudit, ...auditValues(ctx, entry));
}

/** `recordAudit` for routes that work on a pool client (`withTenantClient`) rather than through Prisma. */
export async function recordAuditOnClient(
  client: pg.PoolClient,
  ctx: RequestContext,
  entry: AuditEntry,
): Promise<void> {
  await client.query(insertAudit, auditValues(ctx, entry));
}
