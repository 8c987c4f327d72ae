import { z } from 'zod';
import { newPasswordSchema } from './account.schema.ts';
import { safeTextSchema } from './common.ts';
import { roles } from '../domain/roles.ts';

export const userSchema = z
  .object({
    id: z.uuid(),
    tenantId: z.uuid().nullable(),
    email: z.string(),
    displayName: z.string(),
    role: z.enum(roles),
    zoneIds: z.array(z.uuid()),
    disabled: z.boolean(),
    mustChangePassword: z.boolean().describe('The password was set by an administrator and is temporary'),
    totpEnabled: z.boolean(),
    lastLoginAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof userSchema>;

/** An administrator's choice is a temporary password: the user must change it at the next sign-in. */
const passwordSchema = newPasswordSchema;
const tenantRoleSchema = z.enum(roles).exclude(['super_admin']);

/** The zones a user is limited to, each once (sorted when read); empty: every zone of the tenant. */
const userZoneIdsSchema = z
  .array(z.uuid())
  .max(500)
  .refine((ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length, 'each zone once');

export const createUserSchema = z
  .strictObject({
    email: z.email().max(320),
    displayName: safeTextSchema(200),
    role: tenantRoleSchema,
    password: passwordSchema,
    zoneIds: userZoneIdsSchema.default([]),
  })
  .meta({ id: 'CreateUser' });

export const updateUserSchema = z
  .strictObject({
    displayName: safeTextSchema(200).optional(),
    role: tenantRoleSchema.optional(),
    password: passwordSchema.optional(),
    zoneIds: userZoneIdsSchema.optional(),
    disabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateUser' });

/** Who a user id is, for views that name people (alert history, incidents): every user of the tenant. */
export const userNameSchema = z.object({ id: z.uuid(), displayName: z.string() }).meta({ id: 'UserName' });
export type UserName = z.infer<typeof userNameSchema>;
