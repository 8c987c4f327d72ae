import { withTenant } from '@tidewatch/db';
import { auditEntrySchema, auditQuerySchema, pageOf, type AuditEntry } from '@tidewatch/shared';
import { forbidden } from '../../http/app-error.ts';
import { decodeSequenceCursor, toPage } from '../../http/pagination.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from './record-audit.ts';

/** The tenant's audit log, newest first. Reading it is itself audited. */
export function auditRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/audit-log',
      summary: 'Read the audit log, newest first, filtered by actor, action, resource or time',
      tag: 'audit',
      access: 'tenant',
      permission: 'audit:read',
      query: auditQuerySchema,
      response: pageOf(auditEntrySchema),
      handler: ({ query }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          // Entries carry no zone and tell of every zone: reading them takes a user with every zone.
          if (zoneLimit(ctx)) throw forbidden('The audit log covers every zone: you are limited to some');
          const before = query.cursor ? decodeSequenceCursor(query.cursor) : undefined;
          const rows = await tx.auditLog.findMany({
            where: {
              tenantId: ctx.tenantId,
              ...(query.actorId ? { actorId: query.actorId } : {}),
              ...(query.action ? { action: query.action } : {}),
              ...(query.resourceType ? { resourceType: query.resourceType } : {}),
              ...(query.resourceId ? { resourceId: query.resourceId } : {}),
              ...(query.from || query.to
                ? {
                    at: {
                      ...(query.from ? { gte: new Date(query.from) } : {}),
                      ...(query.to ? { lt: new Date(query.to) } : {}),
                    },
                  }
                : {}),
              ...(before !== undefined ? { id: { lt: before } } : {}),
            },
            orderBy: { id: 'desc' },
            take: query.limit + 1,
          });
          await recordAudit(tx, ctx, {
            action: 'audit.read',
            resourceType: 'audit_log',
            details: { filters: { ...query, cursor: undefined } },
          });
          return toPage(rows, query, (row): AuditEntry => ({
            id: String(row.id),
            at: row.at.toISOString(),
            actorType: row.actorType,
            actorId: row.actorId,
            action: row.action,
            resourceType: row.resourceType,
            resourceId: row.resourceId,
            outcome: row.outcome,
            requestId: row.requestId,
            ip: row.ip,
            userAgent: row.userAgent,
            details: row.details,
          }));
        }),
    }),
  ];
}
