import { z } from 'zod';
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
    lockedUntil: z.string().nullable(),
    lastLoginAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof userSchema>;

const passwordSchema = z.string().min(12, 'at least 12 characters').max(1024);
const tenantRoleSchema = z.enum(roles).exclude(['super_admin']);

export const createUserSchema = z
  .strictObject({
    email: z.email().max(320),
    displayName: safeTextSchema(200),
    role: tenantRoleSchema,
    password: passwordSchema,
    zoneIds: z.array(z.uuid()).max(500).default([]),
  })
  .meta({ id: 'CreateUser' });

export const updateUserSchema = z
  .strictObject({
    displayName: safeTextSchema(200).optional(),
    role: tenantRoleSchema.optional(),
    password: passwordSchema.optional(),
    zoneIds: z.array(z.uuid()).max(500).optional(),
    disabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateUser' });
