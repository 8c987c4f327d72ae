import {
  createdNotificationRuleSchema,
  createNotificationRuleSchema,
  idParamsSchema,
  notificationDeliveryQuerySchema,
  notificationDeliverySchema,
  notificationRuleSchema,
  updateNotificationRuleSchema,
} from '@tidewatch/shared';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import {
  createNotificationRule,
  deleteNotificationRule,
  listNotificationDeliveries,
  listNotificationRules,
  updateNotificationRule,
  type NotificationRuleDeps,
} from './notification-rules.ts';

/** Each user's notification rules (which alerts reach them, by webhook or e-mail) and their deliveries. */
export function notificationRuleRoutes({ db, config, secrets }: RouteDeps): AnyRoute[] {
  const deps: NotificationRuleDeps = {
    db,
    secrets,
    webhookPolicy: { allowNetworks: config.NOTIFY_WEBHOOK_ALLOW_NETWORKS },
  };
  return [
    defineRoute({
      method: 'get',
      path: '/notification-rules',
      summary: 'My notification rules',
      tag: 'notifications',
      access: 'tenant',
      permission: 'alert:read',
      response: z.array(notificationRuleSchema),
      handler: (_input, ctx) => listNotificationRules(deps, ctx),
    }),
    defineRoute({
      method: 'post',
      path: '/notification-rules',
      summary:
        'Add a notification rule; a webhook (tenant administrators only, to an allowed destination) gets a signing secret shown in this answer only',
      tag: 'notifications',
      access: 'tenant',
      permission: 'alert:read',
      body: createNotificationRuleSchema,
      response: createdNotificationRuleSchema,
      status: 201,
      handler: ({ body }, ctx) => createNotificationRule(deps, ctx, body),
    }),
    defineRoute({
      method: 'patch',
      path: '/notification-rules/:id',
      summary: 'Change one of my notification rules (a webhook rule: tenant administrators only)',
      tag: 'notifications',
      access: 'tenant',
      permission: 'alert:read',
      params: idParamsSchema,
      body: updateNotificationRuleSchema,
      response: notificationRuleSchema,
      handler: ({ params, body }, ctx) => updateNotificationRule(deps, ctx, params.id, body),
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
      handler: ({ params }, ctx) => deleteNotificationRule(deps, ctx, params.id),
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
      handler: ({ query }, ctx) => listNotificationDeliveries(deps, ctx, query),
    }),
  ];
}
