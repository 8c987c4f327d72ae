import { withTenant, type Tenant as TenantRow } from '@tidewatch/db';
import {
  createTenantSchema,
  idParamsSchema,
  pageOf,
  pageQuerySchema,
  tenantSchema,
  updateTenantSchema,
  type Tenant,
} from '@tidewatch/shared';
import { conflict, notFound } from '../../http/app-error.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isUniqueViolation } from '../database-errors.ts';

const toTenant = (row: TenantRow): Tenant => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  timeZone: row.timeZone,
  disabled: row.disabledAt !== null,
  createdAt: row.createdAt.toISOString(),
});

/** Tenants: a super_admin manages all of them; everyone else reads their own. */
export function tenantRoutes({ db, bus }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/tenants',
      summary: 'List tenants (a super_admin sees all, others their own)',
      tag: 'tenants',
      access: 'signed_in',
      permission: 'tenant:read',
      query: pageQuerySchema,
      response: pageOf(tenantSchema),
      handler: async ({ query }, ctx) => {
        const context =
          ctx.principal.role === 'super_admin' ? { ...dbContext(ctx), tenantId: null } : dbContext(ctx);
        const rows = await withTenant(db.prisma, context, (tx) =>
          tx.tenant.findMany({ ...pageArgs(query), orderBy: { id: 'asc' } }),
        );
        return toPage(rows, query, toTenant);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/tenants/:id',
      summary: 'One tenant',
      tag: 'tenants',
      access: 'signed_in',
      permission: 'tenant:read',
      params: idParamsSchema,
      response: tenantSchema,
      handler: async ({ params }, ctx) => {
        const row = await withTenant(db.prisma, dbContext(ctx), (tx) =>
          tx.tenant.findUnique({ where: { id: params.id } }),
        );
        if (!row) throw notFound('Tenant');
        return toTenant(row);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tenants',
      summary: 'Create a tenant',
      tag: 'tenants',
      access: 'signed_in',
      permission: 'tenant:manage',
      body: createTenantSchema,
      response: tenantSchema,
      status: 201,
      handler: async ({ body }, ctx) => {
        const row = await withTenant(db.prisma, { ...dbContext(ctx), tenantId: null }, async (tx) => {
          const created = await tx.tenant.create({ data: body }).catch((error: unknown) => {
            throw isUniqueViolation(error) ? conflict(`A tenant with slug "${body.slug}" exists`) : error;
          });
          await recordAudit(tx, ctx, {
            action: 'tenant.create',
            resourceType: 'tenant',
            resourceId: created.id,
            tenantId: null,
            details: body,
          });
          return created;
        });
        return toTenant(row);
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/tenants/:id',
      summary: 'Rename, change the time zone of, or disable a tenant',
      tag: 'tenants',
      access: 'signed_in',
      permission: 'tenant:manage',
      params: idParamsSchema,
      body: updateTenantSchema,
      response: tenantSchema,
      handler: async ({ params, body }, ctx) => {
        const row = await withTenant(db.prisma, { ...dbContext(ctx), tenantId: null }, async (tx) => {
          const found = await tx.tenant.findUnique({ where: { id: params.id } });
          if (!found) throw notFound('Tenant');
          const updated = await tx.tenant.update({
            where: { id: params.id },
            data: {
              ...(body.name !== undefined ? { name: body.name } : {}),
              ...(body.timeZone !== undefined ? { timeZone: body.timeZone } : {}),
              ...(body.disabled !== undefined
                ? { disabledAt: body.disabled ? (found.disabledAt ?? new Date()) : null }
                : {}),
            },
          });
          await recordAudit(tx, ctx, {
            action: 'tenant.update',
            resourceType: 'tenant',
            resourceId: params.id,
            tenantId: null,
            details: body,
          });
          return updated;
        });
        // Disabling ends its users' access at the next request, not when the announcement arrives.
        if (body.disabled !== undefined) bus.emit('access.changed', { tenantId: params.id, userId: null });
        return toTenant(row);
      },
    }),
  ];
}
