import { withTenant, type Prisma } from '@tidewatch/db';
import {
  alertDetailSchema,
  alertQuerySchema,
  alertSchema,
  idParamsSchema,
  pageOf,
  type Alert,
} from '@tidewatch/shared';
import { notFound } from '../../http/app-error.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { inZoneLimit, zoneFilter } from '../../http/zone-scope.ts';
import type { RouteDeps } from '../api-routes.ts';

const alertInclude = { rule: { select: { name: true, condition: true } } } as const;
type AlertRow = Prisma.AlertGetPayload<{ include: typeof alertInclude }>;

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

export const toAlert = (row: AlertRow): Alert => ({
  id: row.id,
  ruleId: row.ruleId,
  ruleName: row.rule.name,
  condition: row.rule.condition,
  state: row.state,
  priority: row.priority,
  originalPriority: row.originalPriority,
  message: row.message,
  conditionActive: row.conditionActive,
  seriesId: row.seriesId,
  deviceId: row.deviceId,
  assetId: row.assetId,
  zoneId: row.zoneId,
  raisedAt: row.raisedAt.toISOString(),
  raisedValue: row.raisedValue,
  lastValue: row.lastValue,
  returnedAt: iso(row.returnedAt),
  acknowledgedAt: iso(row.acknowledgedAt),
  acknowledgedBy: row.acknowledgedBy,
  shelvedUntil: iso(row.shelvedUntil),
  shelveReason: row.shelveReason,
  escalatedAt: iso(row.escalatedAt),
  closedAt: iso(row.closedAt),
});

/** Alerts, newest first; zone-limited users see their zones' alerts only. */
export function alertRoutes({ db }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/alerts',
      summary: 'List alerts, newest first, filtered by open/closed, state, priority, zone or asset',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:read',
      query: alertQuerySchema,
      response: pageOf(alertSchema),
      handler: async ({ query }, ctx) => {
        const rows = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.alert.findMany({
            where: {
              ...zoneFilter(ctx),
              ...(query.open === undefined ? {} : { closedAt: query.open ? null : { not: null } }),
              ...(query.state ? { state: { in: query.state } } : {}),
              ...(query.priority ? { priority: { in: query.priority } } : {}),
              ...(query.zoneId ? { AND: [{ zoneId: query.zoneId }] } : {}),
              ...(query.assetId ? { assetId: query.assetId } : {}),
            },
            include: alertInclude,
            orderBy: [{ raisedAt: 'desc' }, { id: 'desc' }],
            ...pageArgs(query),
          }),
        );
        return toPage(rows, query, toAlert);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/alerts/:id',
      summary: 'One alert with its full transition history',
      tag: 'alerts',
      access: 'tenant',
      permission: 'alert:read',
      params: idParamsSchema,
      response: alertDetailSchema,
      handler: async ({ params }, ctx) => {
        const row = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.alert.findUnique({
            where: { id: params.id },
            include: { ...alertInclude, transitions: { orderBy: [{ at: 'asc' }, { id: 'asc' }] } },
          }),
        );
        if (!row || !inZoneLimit(ctx, row.zoneId)) throw notFound('Alert');
        return {
          ...toAlert(row),
          transitions: row.transitions.map((t) => ({
            id: String(t.id),
            fromState: t.fromState,
            toState: t.toState,
            at: t.at.toISOString(),
            userId: t.userId,
            comment: t.comment,
            value: t.value,
          })),
        };
      },
    }),
  ];
}
