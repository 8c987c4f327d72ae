import { retentionPolicyOf } from '@tidewatch/db';
import { idParamsSchema, tenantRetentionSchema, updateTenantRetentionSchema } from '@tidewatch/shared';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { getTenantRetention, setTenantRetention } from './tenant-retention.ts';

/** A tenant's retention of readings and rollups: everyone in the tenant may read it, a super_admin sets it. */
export function tenantRetentionRoutes({ db, config }: RouteDeps): AnyRoute[] {
  const policy = retentionPolicyOf(config);
  return [
    defineRoute({
      method: 'get',
      path: '/tenants/:id/retention',
      summary: "A tenant's retention of raw readings, 1-minute and hourly rollups",
      tag: 'tenants',
      access: 'signed_in',
      permission: 'tenant:read',
      params: idParamsSchema,
      response: tenantRetentionSchema,
      handler: ({ params }, ctx) => getTenantRetention(db, policy, ctx, params.id),
    }),
    defineRoute({
      method: 'put',
      path: '/tenants/:id/retention',
      summary:
        "Set a tenant's retention (null follows the server's); a shorter one is applied at the next run",
      tag: 'tenants',
      access: 'signed_in',
      permission: 'tenant:manage',
      params: idParamsSchema,
      body: updateTenantRetentionSchema,
      response: tenantRetentionSchema,
      handler: ({ params, body }, ctx) =>
        setTenantRetention(db, policy, config.INGEST_MAX_AGE_DAYS, ctx, params.id, body),
    }),
  ];
}
