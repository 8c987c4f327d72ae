import { z } from 'zod';
import { alertPriorities, deliveryStates, notificationChannels } from '../domain/alerts.ts';

/** A user's own rule: which alerts reach them, and where. */
export const notificationRuleSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    channel: z.enum(notificationChannels),
    /** The webhook URL or the e-mail address. */
    target: z.string(),
    minPriority: z.enum(alertPriorities),
    /** Empty: every zone the user may see. */
    zoneIds: z.array(z.uuid()),
    enabled: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'NotificationRule' });
export type NotificationRule = z.infer<typeof notificationRuleSchema>;

const webhookUrlSchema = z.url({ protocol: /^https?$/ }).max(2000);

export const createNotificationRuleSchema = z
  .discriminatedUnion('channel', [
    z.strictObject({
      channel: z.literal('webhook'),
      target: webhookUrlSchema,
      minPriority: z.enum(alertPriorities).default('high'),
      zoneIds: z.array(z.uuid()).max(100).default([]),
      enabled: z.boolean().default(true),
    }),
    z.strictObject({
      channel: z.literal('email'),
      target: z.email().max(320),
      minPriority: z.enum(alertPriorities).default('high'),
      zoneIds: z.array(z.uuid()).max(100).default([]),
      enabled: z.boolean().default(true),
    }),
  ])
  .meta({ id: 'CreateNotificationRule' });
export type CreateNotificationRule = z.infer<typeof createNotificationRuleSchema>;

/** The webhook signing secret is shown here once; store it to check the `X-Tidewatch-Signature` header. */
export const createdNotificationRuleSchema = z
  .object({ rule: notificationRuleSchema, webhookSecret: z.string().nullable() })
  .meta({ id: 'CreatedNotificationRule' });

export const updateNotificationRuleSchema = z
  .strictObject({
    minPriority: z.enum(alertPriorities).optional(),
    zoneIds: z.array(z.uuid()).max(100).optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateNotificationRule' });
export type UpdateNotificationRule = z.infer<typeof updateNotificationRuleSchema>;

/** One notification on its way (or not) to one target. */
export const notificationDeliverySchema = z
  .object({
    id: z.string(),
    ruleId: z.uuid().nullable(),
    alertId: z.uuid().nullable(),
    channel: z.enum(notificationChannels),
    target: z.string(),
    event: z.string(),
    state: z.enum(deliveryStates),
    attempts: z.int(),
    nextAttemptAt: z.string(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'NotificationDelivery' });
export type NotificationDelivery = z.infer<typeof notificationDeliverySchema>;

export const notificationDeliveryQuerySchema = z.object({
  alertId: z.uuid().optional(),
  state: z.enum(deliveryStates).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type NotificationDeliveryQuery = z.infer<typeof notificationDeliveryQuerySchema>;

/**
 * The JSON body of every webhook call. Signed: `X-Tidewatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" with the rule's secret>`; `X-Tidewatch-Delivery` is the same on every retry of one notification.
 */
export const notificationPayloadSchema = z
  .object({
    event: z.enum(['alert.raised', 'alert.escalated']),
    tenantId: z.uuid(),
    at: z.string(),
    alert: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'NotificationPayload' });
export type NotificationPayload = z.infer<typeof notificationPayloadSchema>;
