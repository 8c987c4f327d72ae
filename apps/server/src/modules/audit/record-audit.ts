import type { TenantTransaction } from '@tidewatch/db';
import type { ActorType, AuditOutcome } from '@tidewatch/shared';
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

/**
 * Appends to the audit log inside the caller's transaction, so the record and the change commit together.
 * No RETURNING: a platform entry (tenant null) is not readable back under row-level security.
 */
export async function recordAudit(
  tx: TenantTransaction,
  ctx: RequestContext,
  entry: AuditEntry,
): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, resource_type, resource_id, outcome, request_id,
                           ip, user_agent, details)
    VALUES (${entry.tenantId === undefined ? ctx.tenantId : entry.tenantId}::uuid,
            ${entry.actorType ?? (ctx.principal || entry.actorId ? 'user' : 'system')}::actor_type,
            ${entry.actorId === undefined ? (ctx.principal?.userId ?? null) : entry.actorId}::uuid,
            ${entry.action}, ${entry.resourceType}, ${entry.resourceId ?? null},
            ${entry.outcome ?? 'success'}::audit_outcome, ${ctx.requestId}, ${ctx.ip}::inet, ${ctx.userAgent},
            ${JSON.stringify(entry.details ?? {})}::jsonb)`;
}
