import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTenant, type Database, type NotificationRule as NotificationRuleRow } from '@tidewatch/db';
import {
  can,
  type CreateNotificationRule,
  type NotificationDelivery,
  type NotificationDeliveryQuery,
  type NotificationRule,
  type UpdateNotificationRule,
} from '@tidewatch/shared';
import { forbidden, invalid, notFound } from '../../http/app-error.ts';
import { definedOnly } from '../../http/defined.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { zoneLimit } from '../../http/zone-scope.ts';
import { recordAudit } from '../audit/record-audit.ts';
import {
  checkDestination,
  DestinationRefused,
  systemResolve,
  type DestinationPolicy,
  type Resolve,
} from '../outbound/destination-guard.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { webhookSecretContext } from '../secrets/stored-secrets.ts';
import { requireInZones } from '../tenant-references.ts';

export interface NotificationRuleDeps {
  readonly db: Database;
  readonly webhookPolicy: DestinationPolicy;
  readonly resolve?: Resolve;
  readonly secrets: SecretBox;
}

/** How long saving waits for DNS; a name that cannot be judged in time is judged at every call instead. */
const SAVE_RESOLVE_TIMEOUT_MS = 5000;

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

/** The caller's own rules only: a notification rule is personal. */
const own = (ctx: TenantContext, id?: string) => ({
  userId: ctx.principal.userId,
  ...(id ? { id } : {}),
});

const eventOf = (payload: unknown): string => {
  const event = (payload as { event?: unknown } | null)?.event;
  return typeof event === 'string' ? event : '';
};

function requireWebhookRight(ctx: TenantContext): void {
  if (!can(ctx.principal.role, 'notification:webhook'))
    throw forbidden('Only a tenant administrator may send notifications to a webhook');
}

/**
 * Refuses a webhook URL the server may not call (a private, local or reserved address, or plain http outside the
 * operator's allowed networks). A name that does not resolve now is let through: every call checks it again.
 */
async function checkWebhookTarget(deps: NotificationRuleDeps, target: string): Promise<void> {
  const giveUp = new AbortController();
  const checking = checkDestination(new URL(target), deps.webhookPolicy, deps.resolve ?? systemResolve);
  const outcome = await Promise.race([
    checking.then(
      () => 'allowed' as const,
      (error: unknown) => error,
    ),
    sleep(SAVE_RESOLVE_TIMEOUT_MS, 'undecided' as const, { signal: giveUp.signal }),
  ]).finally(() => {
    giveUp.abort();
  });
  if (outcome instanceof DestinationRefused) throw invalid('target', outcome.message);
}

/** Adds a rule of the caller's; a webhook needs a tenant administrator and an allowed destination. */
export async function createNotificationRule(
  deps: NotificationRuleDeps,
  ctx: TenantContext,
  body: CreateNotificationRule,
): Promise<{ rule: NotificationRule; webhookSecret: string | null }> {
  if (body.channel === 'webhook') {
    requireWebhookRight(ctx);
    await checkWebhookTarget(deps, body.target);
  }
  return withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await requireInZones(tx, zoneLimit(ctx), 'zones', 'zoneIds', body.zoneIds);
    // The id is chosen here: the sealed secret is bound to its rule.
    const id = randomUUID();
    const webhookSecret = body.channel === 'webhook' ? randomBytes(32).toString('base64url') : null;
    const sealed = webhookSecret && deps.secrets.seal(webhookSecret, webhookSecretContext(ctx.tenantId, id));
    const created = await tx.notificationRule.create({
      data: { ...body, id, tenantId: ctx.tenantId, userId: ctx.principal.userId, webhookSecret: sealed },
    });
    await recordAudit(tx, ctx, {
      action: 'notification_rule.create',
      resourceType: 'notification_rule',
      resourceId: created.id,
      details: { channel: created.channel, minPriority: created.minPriority },
    });
    return { rule: toRule(created), webhookSecret };
  });
}

/**
 * Changes a rule of the caller's. A webhook rule is a tenant administrator's to change, and its destination is
 * checked again unless the change only turns it off.
 */
export async function updateNotificationRule(
  deps: NotificationRuleDeps,
  ctx: TenantContext,
  id: string,
  body: UpdateNotificationRule,
): Promise<NotificationRule> {
  const before = await withTenant(deps.db.prisma, dbContext(ctx), (tx) =>
    tx.notificationRule.findFirst({ where: own(ctx, id) }),
  );
  if (!before) throw notFound('Notification rule');
  if (before.channel === 'webhook') {
    requireWebhookRight(ctx);
    if (body.enabled ?? before.enabled) await checkWebhookTarget(deps, before.target);
  }
  return withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await requireInZones(tx, zoneLimit(ctx), 'zones', 'zoneIds', body.zoneIds ?? []);
    const { count } = await tx.notificationRule.updateMany({ where: own(ctx, id), data: definedOnly(body) });
    if (count === 0) throw notFound('Notification rule');
    const rule = toRule(await tx.notificationRule.findUniqueOrThrow({ where: { id } }));
    await recordAudit(tx, ctx, {
      action: 'notification_rule.update',
      resourceType: 'notification_rule',
      resourceId: id,
      details: { changes: definedOnly(body), rule, previous: toRule(before) },
    });
    return rule;
  });
}

/** Deletes a rule of the caller's, webhook or not: stopping one's own notifications needs no extra right. */
export async function deleteNotificationRule(
  deps: NotificationRuleDeps,
  ctx: TenantContext,
  id: string,
): Promise<void> {
  await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    const { count } = await tx.notificationRule.deleteMany({ where: own(ctx, id) });
    if (count === 0) throw notFound('Notification rule');
    await recordAudit(tx, ctx, {
      action: 'notification_rule.delete',
      resourceType: 'notification_rule',
      resourceId: id,
    });
  });
}

export async function listNotificationRules(
  deps: NotificationRuleDeps,
  ctx: TenantContext,
): Promise<NotificationRule[]> {
  const rows = await withTenant(deps.db.prisma, dbContext(ctx), (tx) =>
    tx.notificationRule.findMany({ where: own(ctx), orderBy: { createdAt: 'asc' } }),
  );
  return rows.map(toRule);
}

/** Deliveries of the caller's rules, newest first; `lastError` is the generic reason, never a socket's error. */
export async function listNotificationDeliveries(
  deps: NotificationRuleDeps,
  ctx: TenantContext,
  query: NotificationDeliveryQuery,
): Promise<NotificationDelivery[]> {
  const rows = await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
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
  return rows.map((row) => ({
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
}
