import { hashCredential, withTenant, type TenantTransaction } from '@tidewatch/db';
import {
  createUserSchema,
  idParamsSchema,
  pageOf,
  pageQuerySchema,
  updateUserSchema,
  userSchema,
  type Role,
  type User,
} from '@tidewatch/shared';
import { conflict, forbidden, notFound } from '../../http/app-error.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import type { RouteDeps } from '../api-routes.ts';
import { recordAudit } from '../audit/record-audit.ts';
import { isUniqueViolation } from '../database-errors.ts';
import { checkZoneAssignment } from './zone-assignment.ts';

const userSelect = {
  id: true,
  tenantId: true,
  email: true,
  displayName: true,
  role: true,
  disabledAt: true,
  lockedUntil: true,
  lastLoginAt: true,
  createdAt: true,
  zones: { select: { zoneId: true } },
} as const;

interface UserRow {
  id: string;
  tenantId: string | null;
  email: string;
  displayName: string;
  role: Role;
  disabledAt: Date | null;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
  zones: { zoneId: string }[];
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  tenantId: row.tenantId,
  email: row.email,
  displayName: row.displayName,
  role: row.role,
  zoneIds: row.zones.map((z) => z.zoneId).sort(),
  disabled: row.disabledAt !== null,
  lockedUntil: row.lockedUntil?.toISOString() ?? null,
  lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
});

/** Only the tenant's own users; platform super_admins are not managed through a tenant. */
async function findTenantUser(tx: TenantTransaction, ctx: TenantContext, id: string): Promise<UserRow> {
  const row = await tx.user.findFirst({ where: { id, tenantId: ctx.tenantId }, select: userSelect });
  if (!row) throw notFound('User');
  return row;
}

/** Users of a tenant; listing and reading them is a sensitive read and is audited. */
export function userRoutes({ db, bus }: RouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/users',
      summary: 'List the tenant’s users',
      tag: 'users',
      access: 'tenant',
      permission: 'user:read',
      query: pageQuerySchema,
      response: pageOf(userSchema),
      handler: ({ query }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const rows = await tx.user.findMany({
            where: { tenantId: ctx.tenantId },
            select: userSelect,
            orderBy: { id: 'asc' },
            ...pageArgs(query),
          });
          await recordAudit(tx, ctx, {
            action: 'user.list',
            resourceType: 'user',
            details: { count: rows.length },
          });
          return toPage(rows as UserRow[], query, toUser);
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id',
      summary: 'One user',
      tag: 'users',
      access: 'tenant',
      permission: 'user:read',
      params: idParamsSchema,
      response: userSchema,
      handler: ({ params }, ctx) =>
        withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const row = await findTenantUser(tx, ctx, params.id);
          await recordAudit(tx, ctx, { action: 'user.read', resourceType: 'user', resourceId: params.id });
          return toUser(row);
        }),
    }),
    defineRoute({
      method: 'post',
      path: '/users',
      summary: 'Create a user in the tenant',
      tag: 'users',
      access: 'tenant',
      permission: 'user:write',
      body: createUserSchema,
      response: userSchema,
      status: 201,
      handler: async ({ body }, ctx) => {
        const passwordHash = await hashCredential(body.password);
        return withTenant(db.prisma, dbContext(ctx), async (tx) => {
          await checkZoneAssignment(tx, ctx, body.zoneIds);
          const created = await tx.user
            .create({
              data: {
                tenantId: ctx.tenantId,
                email: body.email,
                displayName: body.displayName,
                role: body.role,
                passwordHash,
                zones: { create: body.zoneIds.map((zoneId) => ({ zoneId, tenantId: ctx.tenantId })) },
              },
              select: userSelect,
            })
            .catch((error: unknown) => {
              throw isUniqueViolation(error) ? conflict('A user with this e-mail exists') : error;
            });
          await recordAudit(tx, ctx, {
            action: 'user.create',
            resourceType: 'user',
            resourceId: created.id,
            details: { email: body.email, role: body.role, zoneIds: body.zoneIds },
          });
          return toUser(created);
        });
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/users/:id',
      summary:
        'Change a user’s role, zones, name or password, or disable them (effective on their next request; ' +
        'their open sockets are re-scoped or closed at once)',
      tag: 'users',
      access: 'tenant',
      permission: 'user:write',
      params: idParamsSchema,
      body: updateUserSchema,
      response: userSchema,
      handler: async ({ params, body }, ctx) => {
        if (params.id === ctx.principal.userId && (body.role !== undefined || body.disabled === true)) {
          throw forbidden('You cannot change your own role or disable yourself');
        }
        const passwordHash = body.password ? await hashCredential(body.password) : undefined;
        const user = await withTenant(db.prisma, dbContext(ctx), async (tx) => {
          const current = await findTenantUser(tx, ctx, params.id);
          if (body.zoneIds) {
            await checkZoneAssignment(tx, ctx, body.zoneIds);
            await tx.userZone.deleteMany({ where: { userId: params.id } });
            await tx.userZone.createMany({
              data: body.zoneIds.map((zoneId) => ({ zoneId, userId: params.id, tenantId: ctx.tenantId })),
            });
          }
          const updated = await tx.user.update({
            where: { id: params.id },
            data: {
              ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
              ...(body.role !== undefined ? { role: body.role } : {}),
              ...(passwordHash
                ? { passwordHash, passwordChangedAt: new Date(), failedLoginCount: 0, lockedUntil: null }
                : {}),
              ...(body.disabled !== undefined
                ? { disabledAt: body.disabled ? (current.disabledAt ?? new Date()) : null }
                : {}),
            },
            select: userSelect,
          });
          if (body.disabled === true || passwordHash) {
            await tx.session.updateMany({
              where: { userId: params.id, revokedAt: null },
              data: {
                revokedAt: new Date(),
                revokedReason: body.disabled ? 'user_disabled' : 'password_changed',
              },
            });
          }
          await recordAudit(tx, ctx, {
            action: 'user.update',
            resourceType: 'user',
            resourceId: params.id,
            details: { ...body, password: passwordHash ? 'changed' : undefined, previousRole: current.role },
          });
          return toUser(updated);
        });
        // Committed: the user's open sockets are checked now, not at their next interval.
        bus.emit('access.changed', { tenantId: ctx.tenantId, userId: params.id });
        return user;
      },
    }),
  ];
}
