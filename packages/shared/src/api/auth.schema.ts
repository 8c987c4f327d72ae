import { z } from 'zod';
import { permissions } from '../auth/permissions.ts';
import { signInSteps } from '../domain/accounts.ts';
import { roles } from '../domain/roles.ts';

export const loginRequestSchema = z
  .strictObject({
    email: z.email().max(320),
    password: z.string().min(1).max(1024),
    tenant: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,62}$/)
      .optional()
      .describe('The organisation’s slug: needed only when the e-mail has accounts in several'),
  })
  .meta({ id: 'LoginRequest' });
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const refreshRequestSchema = z
  .strictObject({ refreshToken: z.string().min(20).max(200) })
  .meta({ id: 'RefreshRequest' });
export type RefreshRequest = z.infer<typeof refreshRequestSchema>;

export const meSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    displayName: z.string(),
    role: z.enum(roles),
    tenantId: z.uuid().nullable(),
    zoneIds: z.array(z.uuid()).describe('Empty: every zone of the tenant'),
    permissions: z.array(z.enum(permissions)),
    pendingStep: z
      .enum(signInSteps)
      .nullable()
      .describe('A sign-in step still owed (see SignInStep); null once signed in'),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof meSchema>;

export const tokenResponseSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    expiresIn: z.number().int().describe('Seconds until the access token expires'),
    user: meSchema,
  })
  .meta({ id: 'TokenResponse' });
export type TokenResponse = z.infer<typeof tokenResponseSchema>;
