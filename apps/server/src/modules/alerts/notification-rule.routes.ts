import { randomBytes } from 'node:crypto';
import { withTenant, type NotificationRule as NotificationRuleRow } from '@tidewatch/db';
import {
  createdNotificationRuleSchema,
  createNotificationRuleSchema,
  idParamsSchema,
  notificationDeliveryQuerySchema,
  notificationDeliverySchema,
  notificationRuleSchema,
  updateNotificationRuleSchema,
  type NotificationDelivery,
  type NotificationRule,
} from '@tidewatch/shared';
import { z } from 'zod';
import { notFound } from '../../http/app-error.ts';
import { definedOnly } from '../../http/defined.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { requireInZones } from '../tenant-references.ts';

const toRule = (row: NotificationRuleRow): NotificationRule => ({
  id: row.id,
  userId: row.userId,
  channel: row.channel,
  target: row.target,
  minPriority: row.minPriority,
  zoneIds: row.zoneIds,
  enabled: row.enabled,
  createdAt: row.createdAt.toISOString(),
});

const eventOf = (payload: unknown): string => {
  const event = (payload as { event?: unknown } | null)?.event;
  return typeof event === 'string' ? event : '';
};

/** The caller's own rules only: a notification rule is personal. */
const own = (ctx: TenantContext, id?: string) => ({ userId: ctx.principal.userId, ...(id ? { id } : {}) });

/** Each user's notification rules (which alerts reach them, by webhook or e-mail) and their deliveries. */
export function notificationRuleRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/notification-rules',
      summary: 'My notification rules',
      tag: 'notifications',
      access: 'tenant',
      permission: 'alert:read',
      response: z.array(notificationRuleSchema),
      handler: async (_input, ctx) => {
        const rows = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.notificationRule.findMany({ where: own(ctx), orderBy: { createdAt: 'asc' } }),
        );
        return rows.map(toRule);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/notification-rules',
      summary: 'Add a notification rule; a webhook’s signing secret is shown in this answer only',
      tag: 'notifications',
      access: 'tenant',
      permission: 'alert:read',
      body: createNotificationRuleSchema,
      response: createdNotificationRuleSchema,
      status: 201,
      handler: ({ body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await requireInZones(tx, zoneLimit(ctx), 'zones', 'zoneIds', body.zoneIds);
          const webhookSecret = body.channel === 'webhook' ? randomBytes(32).toString('base64url') : null;
          const created = await tx.notificationRule.create({
            data: { ...body, tenantId: ctx.tenantId, userId: ctx.principal.userId, webhookSecret },
          });
          await recordAudit(tx, ctx, {
            action: 'notification_rule.create',
            resourceType: 'notification_rule',
            resourceId: created.id,
            details: { channel: created.channel, minPriority: created.minPriority },
          });
          return { rule: toRule(created), webhookSecret };
        }),
    }),
    defineRoute({
      method: 'patch',
      path: '/notification-rules/:id',
      summary: 'Change one of my notification rules',
      tag: 'notifications',
      access: 'tenant',
      permission: 'alert:read',
      params: idParamsSchema,
      body: updateNotificationRuleSchema,
      response: notificationRuleSchema,
      handler: ({ params, body }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await requireInZones(tx, zoneLimit(ctx), 'zones', 'zoneIds', body.zoneIds ?? []);
          const { count } = await tx.notificationRule.updateMany({
            where: own(ctx, params.id),
            data: definedOnly(body),
          });
          if (count === 0) throw notFound('Notification rule');
          const row = await tx.notificationRule.findUniqueOrThrow({ where: { id: params.id } });
          return toRule(row);
        }),
    }),
    defineRoute({
      method: 'delete',
      path: '/notification-rules/:id',
      summary: 'Delete one of my notification rules (its delivery history stays)',
      tag: 'notifications',
      access: 'tenant',
      permission: 'alert:read',
      params: idParamsSchema,
      response: null,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const { count } = await tx.notificationRule.deleteMany({ where: own(ctx, params.id) });
          if (count === 0) throw notFound('Notification rule');
          await recordAudit(tx, ctx, {
            action: 'notification_rule.delete',
            resourceType: 'notification_rule',
            resourceId: params.id,
          });
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/notification-deliveries',
      summary: 'Deliveries of my notification rules, newest first, with their state and last error',
      tag: 'notifications',
      access: 'tenant',
      permission: 'alert:read',
      query: notificationDeliveryQuerySchema,
      response: z.array(notificationDeliverySchema),
      handler: async ({ query }, ctx) => {
        const rows = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const mine = await tx.notificationRule.findMany({ where: own(ctx), select: { id: true } });
          return tx.notificationOutbox.findMany({
            where: {
              ruleId: { in: mine.map((r) => r.id) },
              ...(query.alertId ? { alertId: query.alertId } : {}),
              ...(query.state ? { state: query.state } : {}),
            },
            orderBy: { id: 'desc' },
            take: query.limit,
          });
        });
        return rows.map((row): NotificationDelivery => ({
          id: row.id.toString(),
          ruleId: row.ruleId,
          alertId: row.alertId,
          channel: row.channel,
          target: row.target,
          event: eventOf(row.payload),
          state: row.state,
          attempts: row.attempts,
          nextAttemptAt: row.nextAttemptAt.toISOString(),
          lastError: row.lastError,
          deliveredAt: row.deliveredAt?.toISOString() ?? null,
          createdAt: row.createdAt.toISOString(),
        }));
      },
    }),
  ];
}
