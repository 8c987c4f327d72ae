import { hashCredential, withTenant, type Database, type TenantTransaction } from '@tidewatch/db';
import type { createUserSchema, Page, PageQuery, Role, updateUserSchema, User } from '@tidewatch/shared';
import type { z } from 'zod';
import type { EventBus } from '../../events/event-bus.ts';
import { conflict, forbidden, notFound } from '../../http/app-error.ts';
import { pageArgs, toPage } from '../../http/pagination.ts';
import { dbContext, type TenantContext } from '../../http/request-context.ts';
import { recordAudit } from '../audit/record-audit.ts';
import type { AccountNotices } from '../auth/account-notices.ts';
import { endSessionsOf } from '../auth/account-sessions.ts';
import { assertPasswordAllowed } from '../auth/password-policy.ts';
import { isUniqueViolation } from '../database-errors.ts';
import { checkZoneAssignment } from './zone-assignment.ts';

export interface UserServiceDeps {
  readonly db: Database;
  readonly bus: EventBus;
  readonly notices: AccountNotices;
}

type CreateUser = z.infer<typeof createUserSchema>;
type UpdateUser = z.infer<typeof updateUserSchema>;

export const userSelect = {
  id: true,
  tenantId: true,
  email: true,
  displayName: true,
  role: true,
  disabledAt: true,
  mustChangePassword: true,
  lastLoginAt: true,
  createdAt: true,
  zones: { select: { zoneId: true } },
  totp: { select: { confirmedAt: true } },
} as const;

export interface UserRow {
  id: string;
  tenantId: string | null;
  email: string;
  displayName: string;
  role: Role;
  disabledAt: Date | null;
  mustChangePassword: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  zones: { zoneId: string }[];
  totp: { confirmedAt: Date | null } | null;
}

export const toUser = (row: UserRow): User => ({
  id: row.id,
  tenantId: row.tenantId,
  email: row.email,
  displayName: row.displayName,
  role: row.role,
  zoneIds: row.zones.map((z) => z.zoneId).sort(),
  disabled: row.disabledAt !== null,
  mustChangePassword: row.mustChangePassword,
  totpEnabled: row.totp?.confirmedAt != null,
  lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
});

/** Only the tenant's own users; platform super_admins are not managed through a tenant. */
export async function findTenantUser(
  tx: TenantTransaction,
  ctx: TenantContext,
  id: string,
): Promise<UserRow> {
  const row = await tx.user.findFirst({ where: { id, tenantId: ctx.tenantId }, select: userSelect });
  if (!row) throw notFound('User');
  return row;
}

/** Listing users is a sensitive read and is audited. */
export function listUsers(db: Database, ctx: TenantContext, query: PageQuery): Promise<Page<User>> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
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
    return toPage(rows, query, toUser);
  });
}

export function readUser(db: Database, ctx: TenantContext, id: string): Promise<User> {
  return withTenant(db.prisma, dbContext(ctx), async (tx) => {
    const row = await findTenantUser(tx, ctx, id);
    await recordAudit(tx, ctx, { action: 'user.read', resourceType: 'user', resourceId: id });
    return toUser(row);
  });
}

/**
 * Creates a user with a temporary password the administrator chose: they pick their own at the first sign-in.
 * An e-mail is unique within the tenant only, so the answer never tells whether another tenant has it.
 */
export async function createUser(deps: UserServiceDeps, ctx: TenantContext, body: CreateUser): Promise<User> {
  assertPasswordAllowed('password', body.password, body);
  const passwordHash = await hashCredential(body.password);
  return withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    await checkZoneAssignment(tx, ctx, body.zoneIds);
    const created = await tx.user
      .create({
        data: {
          tenantId: ctx.tenantId,
          email: body.email,
          displayName: body.displayName,
          role: body.role,
          passwordHash,
          mustChangePassword: true,
          zones: { create: body.zoneIds.map((zoneId) => ({ zoneId, tenantId: ctx.tenantId })) },
        },
        select: userSelect,
      })
      .catch((error: unknown) => {
        throw isUniqueViolation(error) ? conflict('A user of this tenant has this e-mail') : error;
      });
    await recordAudit(tx, ctx, {
      action: 'user.create',
      resourceType: 'user',
      resourceId: created.id,
      details: { email: body.email, role: body.role, zoneIds: body.zoneIds },
    });
    return toUser(created);
  });
}

/**
 * Changes a user's role, zones, name, password or disables them, effective on their next request; their open
 * sockets are re-scoped or closed at once. A password set here is temporary (changed at the next sign-in) and
 * ends the user's sessions; the user is told by e-mail.
 */
export async function updateUser(
  deps: UserServiceDeps,
  ctx: TenantContext,
  id: string,
  body: UpdateUser,
): Promise<User> {
  if (id === ctx.principal.userId && (body.role !== undefined || body.disabled === true)) {
    throw forbidden('You cannot change your own role or disable yourself');
  }
  const passwordHash = body.password ? await hashCredential(body.password) : undefined;
  const user = await withTenant(deps.db.prisma, dbContext(ctx), async (tx) => {
    const current = await findTenantUser(tx, ctx, id);
    if (body.password) {
      assertPasswordAllowed('password', body.password, {
        email: current.email,
        displayName: body.displayName ?? current.displayName,
      });
    }
    if (body.zoneIds) {
      await checkZoneAssignment(tx, ctx, body.zoneIds);
      await tx.userZone.deleteMany({ where: { userId: id } });
      await tx.userZone.createMany({
        data: body.zoneIds.map((zoneId) => ({ zoneId, userId: id, tenantId: ctx.tenantId })),
      });
    }
    const updated = await tx.user.update({
      where: { id },
      data: {
        ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
        ...(body.role !== undefined ? { role: body.role } : {}),
        ...(passwordHash ? { passwordHash, passwordChangedAt: new Date(), mustChangePassword: true } : {}),
        ...(body.disabled !== undefined
          ? { disabledAt: body.disabled ? (current.disabledAt ?? new Date()) : null }
          : {}),
      },
      select: userSelect,
    });
    if (body.disabled === true || passwordHash) {
      await endSessionsOf(tx, id, body.disabled ? 'user_disabled' : 'password_set_by_admin');
    }
    await recordAudit(tx, ctx, {
      action: 'user.update',
      resourceType: 'user',
      resourceId: id,
      details: { ...body, password: passwordHash ? 'temporary' : undefined, previousRole: current.role },
    });
    return toUser(updated);
  });
  // Committed: the user's open sockets are checked now, not at their next interval.
  deps.bus.emit('access.changed', { tenantId: ctx.tenantId, userId: id });
  if (passwordHash) deps.notices.send(user, 'password_set_by_admin', ctx);
  return user;
}
