import { z } from 'zod';
import { roles } from '../domain/roles.ts';
import { meSchema } from './auth.schema.ts';

/** Any password being set: ASVS asks for at least 12 characters, at least 64 allowed, no composition rules. */
export const newPasswordSchema = z.string().min(12, 'at least 12 characters').max(1024);

export const changePasswordSchema = z
  .strictObject({
    currentPassword: z.string().min(1).max(1024),
    newPassword: newPasswordSchema,
  })
  .meta({ id: 'ChangePassword' });
export type ChangePassword = z.infer<typeof changePasswordSchema>;

/** A six-digit code from the authenticator app. */
export const totpCodeSchema = z.string().regex(/^\d{6}$/, 'six digits');
/** A one-time recovery code as shown at enrolment; spaces, dashes and letter case do not matter. */
export const recoveryCodeSchema = z
  .string()
  .max(64)
  .regex(/^[A-Za-z2-7 -]+$/, 'letters a-z, digits 2-7 and dashes');

export const secondFactorRequestSchema = z
  .union([z.strictObject({ code: totpCodeSchema }), z.strictObject({ recoveryCode: recoveryCodeSchema })])
  .meta({ id: 'SecondFactorRequest', description: 'A code from the authenticator app, or a recovery code' });
export type SecondFactorRequest = z.infer<typeof secondFactorRequestSchema>;

export const totpEnrolmentSchema = z
  .object({
    secret: z.string().describe('Base32, for typing into an authenticator by hand'),
    otpauthUri: z.string().describe('otpauth://totp/... for a QR code'),
  })
  .meta({ id: 'TotpEnrolment' });
export type TotpEnrolment = z.infer<typeof totpEnrolmentSchema>;

export const totpConfirmSchema = z.strictObject({ code: totpCodeSchema }).meta({ id: 'TotpConfirm' });

export const recoveryCodesSchema = z
  .object({
    recoveryCodes: z.array(z.string()).describe('Shown once; each works once in place of a code'),
    user: meSchema,
  })
  .meta({ id: 'RecoveryCodes' });
export type RecoveryCodes = z.infer<typeof recoveryCodesSchema>;

/** Re-authentication for turning the second factor off or replacing the recovery codes. */
export const totpDisableSchema = z
  .strictObject({
    password: z.string().min(1).max(1024),
    code: z.union([totpCodeSchema, recoveryCodeSchema]),
  })
  .meta({ id: 'TotpDisable' });
export const passwordConfirmSchema = z
  .strictObject({ password: z.string().min(1).max(1024) })
  .meta({ id: 'PasswordConfirm' });

export const accountSecuritySchema = z
  .object({
    totpEnabled: z.boolean(),
    totpRequired: z.boolean().describe('The tenant requires a second factor for this role'),
    recoveryCodesLeft: z.int(),
    passwordChangedAt: z.string(),
    idleTimeoutMinutes: z.int().describe('This session ends after so long without the user’s own requests'),
  })
  .meta({ id: 'AccountSecurity' });
export type AccountSecurity = z.infer<typeof accountSecuritySchema>;

export const sessionInfoSchema = z
  .object({
    id: z.uuid(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    createdAt: z.string(),
    lastActiveAt: z.string(),
    expiresAt: z.string(),
    current: z.boolean(),
  })
  .meta({ id: 'SessionInfo' });
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const endSessionsSchema = z
  .strictObject({
    includeCurrent: z.boolean().default(false).describe('Also end the session making this request'),
  })
  .meta({ id: 'EndSessions' });
export const endedSessionsSchema = z.object({ ended: z.int() }).meta({ id: 'EndedSessions' });
export type EndedSessions = z.infer<typeof endedSessionsSchema>;

export const tenantRoles = roles.filter(
  (role): role is Exclude<(typeof roles)[number], 'super_admin'> => role !== 'super_admin',
);
const tenantRoleSchema = z.enum(roles).exclude(['super_admin']);
/** One day at most: an idle limit is about an unattended console, not a work week. */
const idleMinutesSchema = z.int().min(5).max(1440);

export const securitySettingsSchema = z
  .object({
    totpRequiredRoles: z.array(tenantRoleSchema),
    idleTimeoutMinutes: z.object({
      viewer: idleMinutesSchema,
      operator: idleMinutesSchema,
      maintenance: idleMinutesSchema,
      supervisor: idleMinutesSchema,
      tenant_admin: idleMinutesSchema,
    }),
    updatedAt: z.string(),
  })
  .meta({ id: 'SecuritySettings' });
export type SecuritySettings = z.infer<typeof securitySettingsSchema>;

export const updateSecuritySettingsSchema = z
  .strictObject({
    totpRequiredRoles: z.array(tenantRoleSchema).max(5).optional(),
    idleTimeoutMinutes: z
      .strictObject({
        viewer: idleMinutesSchema.optional(),
        operator: idleMinutesSchema.optional(),
        maintenance: idleMinutesSchema.optional(),
        supervisor: idleMinutesSchema.optional(),
        tenant_admin: idleMinutesSchema.optional(),
      })
      .optional(),
  })
  .meta({ id: 'UpdateSecuritySettings' });
export type UpdateSecuritySettings = z.infer<typeof updateSecuritySettingsSchema>;
