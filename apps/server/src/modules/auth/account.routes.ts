import {
  accountSecuritySchema,
  changePasswordSchema,
  endedSessionsSchema,
  endSessionsSchema,
  idParamsSchema,
  meSchema,
  passwordConfirmSchema,
  recoveryCodesSchema,
  sessionInfoSchema,
  totpConfirmSchema,
  totpDisableSchema,
  totpEnrolmentSchema,
} from '@tidewatch/shared';
import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../http/route.ts';
import { endOwnSession, endOwnSessions, listOwnSessions } from './account-sessions.ts';
import type { AuthDeps } from './auth-deps.ts';
import { changeOwnPassword } from './change-password.ts';
import {
  confirmTotpEnrolment,
  describeAccountSecurity,
  disableTotp,
  replaceRecoveryCodes,
  startTotpEnrolment,
} from './second-factor.ts';

/** The signed-in user's own account: password, two-step verification and sessions. */
export function accountRoutes(deps: AuthDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/me/security',
      summary: 'How the caller signs in: two-step verification, recovery codes left, idle timeout',
      tag: 'account',
      access: 'signed_in',
      duringSignIn: ['second_factor_enrolment'],
      response: accountSecuritySchema,
      handler: (_input, ctx) => describeAccountSecurity(deps, ctx),
    }),
    defineRoute({
      method: 'post',
      path: '/me/password',
      summary:
        'Change the caller’s password, giving the current one; every other session of theirs ends and they are ' +
        'told by e-mail. Five wrong current passwords end this session too.',
      tag: 'account',
      access: 'signed_in',
      duringSignIn: ['password_change'],
      body: changePasswordSchema,
      response: meSchema,
      handler: ({ body }, ctx) => changeOwnPassword(deps, ctx, body),
    }),
    defineRoute({
      method: 'post',
      path: '/me/activity',
      summary:
        'The user is at the console (a client sends it while they interact and its other requests are ' +
        'marked X-Tidewatch-Background): keeps the session from its idle timeout',
      tag: 'account',
      access: 'signed_in',
      response: null,
      handler: () => Promise.resolve(),
    }),
    defineRoute({
      method: 'post',
      path: '/me/totp',
      summary: 'Start setting up an authenticator app: a new secret and its otpauth:// URI, shown once',
      tag: 'account',
      access: 'signed_in',
      duringSignIn: ['second_factor_enrolment'],
      response: totpEnrolmentSchema,
      handler: (_input, ctx) => startTotpEnrolment(deps, ctx),
    }),
    defineRoute({
      method: 'post',
      path: '/me/totp/confirm',
      summary: 'Turn two-step verification on with a first code; answers the recovery codes, shown once',
      tag: 'account',
      access: 'signed_in',
      duringSignIn: ['second_factor_enrolment'],
      body: totpConfirmSchema,
      response: recoveryCodesSchema,
      handler: ({ body }, ctx) => confirmTotpEnrolment(deps, ctx, body.code),
    }),
    defineRoute({
      method: 'post',
      path: '/me/totp/disable',
      summary:
        'Turn two-step verification off, with the password and a code or recovery code (refused where the ' +
        'tenant requires it for the role)',
      tag: 'account',
      access: 'signed_in',
      body: totpDisableSchema,
      response: null,
      handler: ({ body }, ctx) => disableTotp(deps, ctx, body),
    }),
    defineRoute({
      method: 'post',
      path: '/me/totp/recovery-codes',
      summary: 'Replace the recovery codes, with the password; the old ones stop working',
      tag: 'account',
      access: 'signed_in',
      body: passwordConfirmSchema,
      response: recoveryCodesSchema,
      handler: ({ body }, ctx) => replaceRecoveryCodes(deps, ctx, body.password),
    }),
    defineRoute({
      method: 'get',
      path: '/me/sessions',
      summary: 'The caller’s live sessions: device, address, when made and last active, which one is this',
      tag: 'account',
      access: 'signed_in',
      response: z.array(sessionInfoSchema),
      handler: (_input, ctx) => listOwnSessions(deps, ctx),
    }),
    defineRoute({
      method: 'delete',
      path: '/me/sessions/:id',
      summary: 'Sign out one of the caller’s sessions (its open sockets close at once)',
      tag: 'account',
      access: 'signed_in',
      params: idParamsSchema,
      response: null,
      handler: ({ params }, ctx) => endOwnSession(deps, ctx, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/me/sessions/end',
      summary: 'Sign out everywhere: every other session of the caller, and this one with includeCurrent',
      tag: 'account',
      access: 'signed_in',
      body: endSessionsSchema,
      response: endedSessionsSchema,
      handler: ({ body }, ctx) => endOwnSessions(deps, ctx, body.includeCurrent),
    }),
  ];
}
